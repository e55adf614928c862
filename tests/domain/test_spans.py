"""Spans in classes of doubling length (domain/spans.py): a ticket's time in progress, a lot's
time holding points."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from points_service.domain.spans import SPAN_CLASSES, span_bound, span_class


class TestSpanClass:
    """Spans in classes of doubling length (as-of reads find the tickets in progress, and the lots
    holding points, at an instant as one short range of ending times per class)."""

    T0 = datetime(2026, 1, 1, tzinfo=UTC)
    US = timedelta(microseconds=1)
    H = timedelta(hours=1)

    @pytest.mark.parametrize(
        ("span", "cls"),
        [
            (timedelta(0), 0),
            (timedelta(microseconds=1), 0),
            (timedelta(hours=1), 0),  # a class's bound is inclusive
            (timedelta(hours=1, microseconds=1), 1),
            (timedelta(hours=2), 1),
            (timedelta(hours=2, microseconds=1), 2),
            (timedelta(hours=4), 2),
            (timedelta(days=1), 5),  # 24 h: (16 h, 32 h]
            (timedelta(hours=2**15), 15),
            (timedelta(hours=2**15, microseconds=1), 16),  # the last class: unbounded
            (timedelta(days=365 * 50), 16),
        ],
    )
    def test_boundaries(self, span, cls):
        assert span_class(self.T0, self.T0 + span) == cls

    def test_a_clock_stepping_back_is_class_zero(self):
        assert span_class(self.T0, self.T0 - timedelta(seconds=5)) == 0

    def test_bounds_double_and_the_last_is_unbounded(self):
        assert [span_bound(c) for c in range(3)] == [self.H, 2 * self.H, 4 * self.H]
        assert span_bound(SPAN_CLASSES - 1) is None

    @given(span_us=st.integers(min_value=0, max_value=10**15))
    def test_every_span_is_within_its_class_and_above_the_one_before(self, span_us):
        span = timedelta(microseconds=span_us)
        cls = span_class(self.T0, self.T0 + span)
        bound = span_bound(cls)
        assert bound is None or span <= bound
        assert cls == 0 or span > span_bound(cls - 1)
