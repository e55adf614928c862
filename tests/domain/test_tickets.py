"""The ticket state machine and credit limits (docs/design.md §3)."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from points_service.domain.errors import InvalidStateError, RuleViolationError
from points_service.domain.tickets import (
    SPAN_CLASSES,
    TicketAction,
    TicketStatus,
    check_credit,
    check_transition,
    span_bound,
    span_class,
)

OPEN, RESOLVED, REFUNDED = TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.REFUNDED
WAITING = TicketStatus.AWAITING_POINTS
ADJUST, RESOLVE, REFUND, CREDIT, CAPTURE = (
    TicketAction.ADJUSTED,
    TicketAction.RESOLVED,
    TicketAction.REFUNDED,
    TicketAction.CREDITED,
    TicketAction.CAPTURED,
)

ALLOWED = {
    (OPEN, ADJUST),
    (OPEN, RESOLVE),
    (OPEN, REFUND),
    (RESOLVED, REFUND),
    (RESOLVED, CREDIT),
    (WAITING, ADJUST),  # what it waits for
    (WAITING, REFUND),  # nothing to return
    (WAITING, CAPTURE),  # points arrived
}
TRANSITIONS = [ADJUST, RESOLVE, REFUND, CREDIT, CAPTURE]
FORBIDDEN = [pair for pair in itertools.product(TicketStatus, TRANSITIONS) if pair not in ALLOWED]


class TestCheckTransition:
    @pytest.mark.parametrize(("status", "action"), sorted(ALLOWED), ids=lambda v: str(v))
    def test_allowed(self, status, action):
        check_transition(status, action)

    @pytest.mark.parametrize(("status", "action"), FORBIDDEN, ids=lambda v: str(v))
    def test_forbidden_raises_invalid_state(self, status, action):
        with pytest.raises(InvalidStateError) as info:
            check_transition(status, action)
        assert info.value.extra["ticket_status"] == str(status)

    def test_every_pair_is_covered(self):
        assert len(ALLOWED) + len(FORBIDDEN) == len(TicketStatus) * len(TRANSITIONS)

    @pytest.mark.parametrize("status", list(TicketStatus), ids=str)
    def test_opened_is_never_a_transition(self, status):
        with pytest.raises(InvalidStateError):
            check_transition(status, TicketAction.OPENED)


class TestCheckCredit:
    # deducted 100, of which 30 already returned: credits of 1..70 are allowed
    LIMITS: ClassVar[dict[str, int]] = {"deducted": 100, "returned": 30}

    def test_accepts_one(self):
        check_credit(1, **self.LIMITS)

    def test_accepts_the_maximum(self):
        check_credit(70, **self.LIMITS)

    @pytest.mark.parametrize("points", [0, 71, -1])
    def test_rejects_outside_range(self, points):
        with pytest.raises(RuleViolationError) as info:
            check_credit(points, **self.LIMITS)
        assert info.value.pointer == "/points"
        assert info.value.extra["max_points"] == 70

    def test_rejects_any_credit_when_everything_returned(self):
        with pytest.raises(RuleViolationError) as info:
            check_credit(1, deducted=50, returned=50)
        assert info.value.extra["max_points"] == 0


# ---- waiting tickets: strictly first come, first served ------------------------------------------

from points_service.domain.tickets import first_served  # noqa: E402  # the section's subject


def test_first_served_captures_in_order_while_they_fit() -> None:
    assert first_served([("a", 40), ("b", 50), ("c", 5)], 100) == ["a", "b", "c"]
    assert first_served([("a", 40), ("b", 50)], 60) == ["a"]


def test_first_served_never_lets_a_small_ticket_overtake() -> None:
    assert first_served([("big", 500), ("small", 5)], 60) == []


def test_first_served_takes_exact_fits_and_zero_point_tickets() -> None:
    assert first_served([("a", 60), ("z", 0)], 60) == ["a", "z"]
    assert first_served([], 60) == []


class TestSpanClass:
    """How long a ticket stayed in progress, in classes of doubling length (as-of reads find the
    tickets in progress at an instant as one short range of closing times per class)."""

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
