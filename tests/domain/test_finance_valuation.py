"""Cost basis and the finance report's valuation (domain.money, domain.finance): exact decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from points_service.domain.finance import Cell, GroupBy, cell_rows, identity_holds, report_rows
from points_service.domain.money import format_unit_price, to_minor, unit_price, value_of


class TestUnitPrice:
    def test_the_seed_price_is_kept_to_ten_places(self):
        price = unit_price(6850, "USD", 120)  # 120 points for 68.50
        assert price == Decimal("0.5708333333")
        assert format_unit_price(price) == "0.5708333333"

    def test_exact_quotients_stay_exact(self):
        assert unit_price(3450, "USD", 60) == Decimal("0.575")
        assert format_unit_price(unit_price(67333, "USD", 1200)) == "0.5611083333"

    def test_rounds_half_to_even(self):
        # 0.01 / 2e8 = 0.00000000005: exactly half of the tenth place
        assert unit_price(1, "USD", 2 * 10**8) == Decimal("0.0000000000")  # 0.00000000005 → even 0
        assert unit_price(3, "USD", 2 * 10**8) == Decimal("0.0000000002")  # 0.00000000015 → even 2

    def test_nothing_paid_is_zero(self):
        assert format_unit_price(unit_price(None, "USD", 60)) == "0.0000000000"
        assert format_unit_price(unit_price(0, "EUR", 60)) == "0.0000000000"

    def test_other_minor_digits(self):
        assert unit_price(9800, "JPY", 120) == Decimal("81.6666666667")
        assert unit_price(1000, "KWD", 3) == Decimal("0.3333333333")

    def test_value_is_exact_and_minor_rounding_half_even(self):
        price = unit_price(6850, "USD", 120)
        assert value_of(25, price) == Decimal("14.2708333325")
        assert to_minor(value_of(25, price), "USD") == 1427
        assert to_minor(Decimal("0.125"), "USD") == 12 and to_minor(Decimal("0.135"), "USD") == 14
        assert to_minor(Decimal("-0.125"), "USD") == -12


def seed_cell(**figures: object) -> Cell:
    return Cell("USD", "acme", "points-120", unit_price(6850, "USD", 120), **figures)


class TestValuation:
    def test_worked_example(self):
        base, row = cell_rows(seed_cell(granted=120, closing=95, recognized={"store-problem": 25}))
        assert row.category == "store-problem" and row.minor["recognized"] == 1427
        assert (base.minor["granted"], base.minor["closing"]) == (6850, 5423)

    def test_a_cell_whose_figures_disagree_is_a_bug(self):
        with pytest.raises(AssertionError):
            cell_rows(seed_cell(granted=120, closing=100))


@st.composite
def cells(draw: st.DrawFn) -> Cell:
    """A cell with random movements that respect the identity (closing is derived)."""
    price = unit_price(
        draw(st.integers(0, 10**7)), draw(st.sampled_from(["USD", "JPY", "KWD"])), draw(st.integers(1, 5000))
    )
    currency = draw(st.sampled_from(["USD", "EUR"]))
    counts = st.integers(0, 10**6)
    categories = st.dictionaries(st.sampled_from(["a", "b", "c"]), counts, max_size=3)
    cell = Cell(
        currency,
        draw(st.sampled_from(["acme", "beta"])),
        draw(st.sampled_from([None, "p1", "p2"])),
        price,
        opening=draw(counts),
        granted=draw(counts),
        breakage=draw(counts),
        revoked=draw(counts),
        written_off=draw(counts),
        recognized=draw(categories),
        returned=draw(categories),
    )
    cell.closing = (
        cell.opening
        + cell.granted
        - sum(cell.recognized.values())
        + sum(cell.returned.values())
        - cell.breakage
        - cell.revoked
        - cell.written_off
    )
    return cell


class TestReportRows:
    @settings(max_examples=50, deadline=None)
    @given(st.lists(cells(), max_size=8))
    def test_identity_and_grouped_sums_hold_exactly(self, drawn):
        whole = {r.currency: r for r in report_rows(drawn, None)}
        for row in whole.values():
            assert identity_holds(row)
        for group_by in GroupBy:
            sums: dict[str, dict[str, int]] = {}
            for row in report_rows(drawn, group_by):
                if group_by is not GroupBy.CATEGORY:  # by category, ticket figures leave the null row
                    assert identity_holds(row)
                into = sums.setdefault(row.currency, {})
                for name, value in (*row.points.items(), *((f"${k}", v) for k, v in row.minor.items())):
                    into[name] = into.get(name, 0) + value
            assert (
                sums == {c: {**r.points, **{f"${k}": v for k, v in r.minor.items()}} for c, r in whole.items()}
                or not whole
            )

    @settings(max_examples=50, deadline=None)
    @given(cells())
    def test_each_figure_is_within_a_minor_unit_of_its_exact_value(self, cell):
        rows = cell_rows(cell)
        base = rows[0]
        assert base.minor["opening"] == to_minor(value_of(cell.opening, cell.unit_price), cell.currency)
        assert base.minor["closing"] == to_minor(value_of(cell.closing, cell.unit_price), cell.currency)
        for row in rows:
            for figure, points in row.points.items():
                exact = value_of(points, cell.unit_price).scaleb(2)  # USD and EUR: 2 minor digits
                assert abs(row.minor[figure] - exact) <= 1
