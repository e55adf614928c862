"""The estimate ratios' mean and spread (exact decimals, population standard deviation), and the
period rule of the reports and the export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from points_service.domain.clock import period_error
from points_service.domain.estimates import RatioMoments, rounded


def moments(*tickets: tuple[int, int]) -> RatioMoments:
    m = RatioMoments()
    for charged, estimated in tickets:
        m.add(charged, estimated)
    return m


class TestRatioMoments:
    def test_no_ratio_has_no_mean_and_no_spread(self):
        assert (RatioMoments().mean(), RatioMoments().stddev()) == (None, None)

    def test_one_ratio_has_no_spread(self):
        m = moments((30, 25))
        assert (rounded(m.mean()), rounded(m.stddev())) == ("1.200000", "0.000000")

    def test_thirds_are_exact_to_the_places_reported(self):
        m = moments((1, 3), (2, 3))  # 1/3 and 2/3: mean 1/2, spread 1/6
        assert (rounded(m.mean()), rounded(m.stddev())) == ("0.500000", "0.166667")

    def test_population_not_sample_standard_deviation(self):
        m = moments((1, 1), (3, 1))  # population: 1; a sample's would be √2
        assert m.stddev() == Decimal(1)

    def test_tickets_with_the_same_figures_count_as_many(self):
        grouped = RatioMoments()
        grouped.add(50, 25, tickets=3)
        grouped.add(25, 25)
        one_by_one = moments((50, 25), (50, 25), (50, 25), (25, 25))
        assert (grouped.count, grouped.mean(), grouped.stddev()) == (4, Decimal("1.75"), one_by_one.stddev())
        assert rounded(grouped.stddev()) == "0.433013"

    def test_merging_is_adding_every_ratio(self):
        a, b = moments((15, 10), (10, 10)), moments((12, 10))
        a.merge(b)
        assert (rounded(a.mean()), rounded(a.stddev())) == ("1.233333", "0.205480")

    def test_rounding_is_half_to_even(self):
        assert rounded(Decimal("0.0000005")) == "0.000000"
        assert rounded(Decimal("0.0000015")) == "0.000002"

    def test_large_ratios_keep_their_digits(self):
        m = moments((1_000_000_000, 1), (1_000_000_000, 3))
        assert rounded(m.mean()) == "666666666.666667"
        assert rounded(m.stddev()) == "333333333.333333"

    @pytest.mark.parametrize(("charged", "estimated"), [(10, 0), (10, -1)])
    def test_a_ratio_needs_an_estimate(self, charged: int, estimated: int):
        with pytest.raises(ValueError):
            RatioMoments().add(charged, estimated)


T = datetime(2026, 1, 15, tzinfo=UTC)


class TestPeriod:
    def test_an_empty_period_is_valid(self):
        assert period_error(T, T) is None

    def test_from_after_to(self):
        assert period_error(T, T - timedelta(microseconds=1)) == ("from", "must not be after to")

    def test_ten_calendar_years_at_most(self):
        leap = datetime(2016, 2, 29, tzinfo=UTC)
        assert period_error(leap, datetime(2026, 2, 28, tzinfo=UTC)) is None
        assert period_error(leap, datetime(2026, 2, 28, 0, 0, 0, 1, tzinfo=UTC)) == (
            "to",
            "must be at most 10 years after from",
        )

    def test_near_the_end_of_the_calendar(self):
        assert period_error(datetime(9995, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)) is None
