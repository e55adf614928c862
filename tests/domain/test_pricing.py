"""Category pricing rules (docs/design.md §1: the catalogue, opening and quoting)."""

import pytest

from points_service.domain.errors import RuleViolationError
from points_service.domain.pricing import (
    Fixed,
    Formula,
    From,
    Quote,
    Range,
    UponRequest,
    check_rule,
    estimate,
    quote,
    rule_from_dict,
    rule_to_dict,
)

FIXED_150 = Fixed(150)  # installation
RANGE_80_100 = Range(80, 100)  # sales-n-stats-transfer
FROM_100 = From(100)  # third-party-install
ASPE = Formula(120, 60, "deployed stores", 1)  # aspe-transfer: 120 + N×60, N ≥ 1
AUDIT = Formula(150, 60, "additional stores", 0)  # security-audit: 150 + X×60, X ≥ 0
UPON_REQUEST = UponRequest()  # other


def rejects(pointer, rule, **kwargs):
    with pytest.raises(RuleViolationError) as info:
        estimate(rule, **kwargs)
    assert info.value.pointer == pointer
    return info.value


class TestFixedPricing:
    def test_absent_estimate_gives_the_fixed_points(self):
        assert estimate(FIXED_150, quantity=None, estimated_points=None) == 150

    def test_equal_estimate_is_accepted(self):
        assert estimate(FIXED_150, quantity=None, estimated_points=150) == 150

    def test_fixed_zero_is_accepted(self):
        assert estimate(Fixed(0), quantity=None, estimated_points=None) == 0

    def test_rejects_other_estimate(self):
        rejects("/estimated_points", FIXED_150, quantity=None, estimated_points=149)

    def test_rejects_quantity(self):
        rejects("/quantity", FIXED_150, quantity=1, estimated_points=None)


class TestRangePricing:
    def test_accepts_80(self):
        assert estimate(RANGE_80_100, quantity=None, estimated_points=80) == 80

    def test_accepts_100(self):
        assert estimate(RANGE_80_100, quantity=None, estimated_points=100) == 100

    def test_rejects_79(self):
        rejects("/estimated_points", RANGE_80_100, quantity=None, estimated_points=79)

    def test_rejects_101(self):
        rejects("/estimated_points", RANGE_80_100, quantity=None, estimated_points=101)

    def test_rejects_missing_estimate(self):
        rejects("/estimated_points", RANGE_80_100, quantity=None, estimated_points=None)

    def test_rejects_quantity(self):
        rejects("/quantity", RANGE_80_100, quantity=2, estimated_points=90)


class TestFromPricing:
    def test_missing_estimate_defaults_to_min(self):
        assert estimate(FROM_100, quantity=None, estimated_points=None) == 100

    def test_accepts_min(self):
        assert estimate(FROM_100, quantity=None, estimated_points=100) == 100

    def test_accepts_above_min(self):
        assert estimate(FROM_100, quantity=None, estimated_points=5000) == 5000

    def test_rejects_below_min(self):
        rejects("/estimated_points", FROM_100, quantity=None, estimated_points=99)

    def test_rejects_quantity(self):
        rejects("/quantity", FROM_100, quantity=1, estimated_points=None)


class TestFormulaPricingWithMinQuantityOne:
    def test_one_store_costs_180(self):
        assert estimate(ASPE, quantity=1, estimated_points=None) == 180

    def test_three_stores_cost_300(self):
        assert estimate(ASPE, quantity=3, estimated_points=None) == 300

    def test_rejects_zero_quantity(self):
        error = rejects("/quantity", ASPE, quantity=0, estimated_points=None)
        assert "at least 1" in error.detail

    def test_rejects_missing_quantity(self):
        rejects("/quantity", ASPE, quantity=None, estimated_points=None)

    def test_equal_estimate_is_accepted(self):
        assert estimate(ASPE, quantity=3, estimated_points=300) == 300

    def test_rejects_other_estimate(self):
        rejects("/estimated_points", ASPE, quantity=3, estimated_points=299)


class TestFormulaPricingWithMinQuantityZero:
    def test_zero_additional_stores_cost_150(self):
        assert estimate(AUDIT, quantity=0, estimated_points=None) == 150

    def test_two_additional_stores_cost_270(self):
        assert estimate(AUDIT, quantity=2, estimated_points=None) == 270

    def test_rejects_negative_quantity(self):
        rejects("/quantity", AUDIT, quantity=-1, estimated_points=None)

    def test_rejects_missing_quantity(self):
        rejects("/quantity", AUDIT, quantity=None, estimated_points=None)


class TestUponRequestPricing:
    def test_rejects_missing_estimate(self):
        rejects("/estimated_points", UPON_REQUEST, quantity=None, estimated_points=None)

    def test_accepts_zero(self):
        assert estimate(UPON_REQUEST, quantity=None, estimated_points=0) == 0

    def test_accepts_any_positive_value(self):
        assert estimate(UPON_REQUEST, quantity=None, estimated_points=12345) == 12345

    def test_rejects_quantity(self):
        rejects("/quantity", UPON_REQUEST, quantity=1, estimated_points=10)


class TestQuote:
    def test_fixed_gives_points_min_and_max(self):
        assert quote(FIXED_150, None) == Quote(150, 150, 150)

    def test_range_gives_min_and_max(self):
        assert quote(RANGE_80_100, None) == Quote(None, 80, 100)

    def test_from_gives_min_only(self):
        assert quote(FROM_100, None) == Quote(None, 100, None)

    def test_formula_gives_points_min_and_max(self):
        assert quote(ASPE, 3) == Quote(300, 300, 300)

    def test_formula_at_zero_quantity(self):
        assert quote(AUDIT, 0) == Quote(150, 150, 150)

    def test_upon_request_gives_all_none(self):
        assert quote(UPON_REQUEST, None) == Quote(None, None, None)

    def test_formula_without_quantity_is_rejected(self):
        with pytest.raises(RuleViolationError) as info:
            quote(ASPE, None)
        assert info.value.pointer == "#/query/quantity"

    def test_formula_below_min_quantity_is_rejected(self):
        with pytest.raises(RuleViolationError) as info:
            quote(ASPE, 0)
        assert info.value.pointer == "#/query/quantity"

    @pytest.mark.parametrize("rule", [FIXED_150, RANGE_80_100, FROM_100, UPON_REQUEST])
    def test_quantity_elsewhere_is_rejected(self, rule):
        with pytest.raises(RuleViolationError) as info:
            quote(rule, 1)
        assert info.value.pointer == "#/query/quantity"


class TestRuleSerialisation:
    @pytest.mark.parametrize(
        ("rule", "data"),
        [
            (FIXED_150, {"type": "fixed", "points": 150}),
            (RANGE_80_100, {"type": "range", "min": 80, "max": 100}),
            (FROM_100, {"type": "from", "min": 100}),
            (
                ASPE,
                {"type": "formula", "base": 120, "per_unit": 60, "unit": "deployed stores", "min_quantity": 1},
            ),
            (UPON_REQUEST, {"type": "upon_request"}),
        ],
        ids=["fixed", "range", "from", "formula", "upon_request"],
    )
    def test_round_trip(self, rule, data):
        assert rule_to_dict(rule) == data
        assert rule_from_dict(data) == rule
        assert rule_from_dict(rule_to_dict(rule)) == rule

    def test_unknown_type_is_refused(self):
        with pytest.raises(ValueError):
            rule_from_dict({"type": "sliding"})


class TestCheckRule:
    def test_refuses_range_with_min_above_max(self):
        with pytest.raises(RuleViolationError) as info:
            check_rule(Range(101, 100))
        assert info.value.pointer == "/pricing/max"

    def test_accepts_range_with_min_equal_max(self):
        check_rule(Range(100, 100))

    @pytest.mark.parametrize("rule", [FIXED_150, RANGE_80_100, FROM_100, ASPE, AUDIT, UPON_REQUEST])
    def test_accepts_catalogue_rules(self, rule):
        check_rule(rule)


class TestEstimateBounds:
    def test_rejects_negative_upon_request_estimate(self):
        with pytest.raises(RuleViolationError) as caught:
            estimate(UponRequest(), quantity=None, estimated_points=-5)
        assert caught.value.pointer == "/estimated_points"

    def test_rejects_from_estimate_above_the_points_ceiling(self):
        with pytest.raises(RuleViolationError):
            estimate(From(100), quantity=None, estimated_points=1_000_000_001)
