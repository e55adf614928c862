"""Category pricing rules: what opening a ticket of a category costs.

A rule prices the *opening* of a ticket. Later adjustments may set any amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import MAX_POINTS
from .errors import RuleViolationError


@dataclass(frozen=True)
class Fixed:
    points: int
    type = "fixed"


@dataclass(frozen=True)
class Range:
    min: int
    max: int
    type = "range"


@dataclass(frozen=True)
class From:
    min: int
    type = "from"


@dataclass(frozen=True)
class Formula:
    """base + per_unit × quantity, quantity ≥ min_quantity (e.g. 120 + N×60, N deployed stores)."""

    base: int
    per_unit: int
    unit: str
    min_quantity: int
    type = "formula"


@dataclass(frozen=True)
class UponRequest:
    type = "upon_request"


PricingRule = Fixed | Range | From | Formula | UponRequest


@dataclass(frozen=True)
class Quote:
    points: int | None
    min: int | None
    max: int | None


def rule_to_dict(rule: PricingRule) -> dict[str, Any]:
    match rule:
        case Fixed(points):
            return {"type": "fixed", "points": points}
        case Range(lo, hi):
            return {"type": "range", "min": lo, "max": hi}
        case From(lo):
            return {"type": "from", "min": lo}
        case Formula(base, per_unit, unit, min_quantity):
            return {"type": "formula", "base": base, "per_unit": per_unit, "unit": unit, "min_quantity": min_quantity}
        case UponRequest():
            return {"type": "upon_request"}
    raise TypeError(rule)


def rule_from_dict(data: dict[str, Any]) -> PricingRule:
    """Trusted input only (stored rules): the API validates shapes before they get here."""
    match data["type"]:
        case "fixed":
            return Fixed(data["points"])
        case "range":
            return Range(data["min"], data["max"])
        case "from":
            return From(data["min"])
        case "formula":
            return Formula(data["base"], data["per_unit"], data["unit"], data["min_quantity"])
        case "upon_request":
            return UponRequest()
    raise ValueError(f"unknown pricing type {data['type']!r}")


def check_rule(rule: PricingRule, pointer: str = "/pricing") -> None:
    """Refuse rules that could never price a ticket."""
    if isinstance(rule, Range) and rule.min > rule.max:
        raise RuleViolationError(pointer + "/max", "max must be at least min")
    if isinstance(rule, Formula) and _formula_points(rule, rule.min_quantity) > MAX_POINTS:
        raise RuleViolationError(pointer, f"the formula exceeds {MAX_POINTS} points at its minimum quantity")


def _formula_points(rule: Formula, quantity: int) -> int:
    return rule.base + rule.per_unit * quantity


def check_quantity(rule: PricingRule, quantity: int | None, pointer: str) -> None:
    if isinstance(rule, Formula):
        if quantity is None:
            raise RuleViolationError(pointer, f"quantity ({rule.unit}) is required for this category")
        if quantity < rule.min_quantity:
            raise RuleViolationError(pointer, f"quantity must be at least {rule.min_quantity}")
        if _formula_points(rule, quantity) > MAX_POINTS:
            raise RuleViolationError(pointer, f"quantity prices the ticket above {MAX_POINTS} points")
    elif quantity is not None:
        raise RuleViolationError(pointer, "quantity applies only to formula-priced categories")


def quote(rule: PricingRule, quantity: int | None, *, pointer: str = "#/query/quantity") -> Quote:
    check_quantity(rule, quantity, pointer)
    match rule:
        case Fixed(points):
            return Quote(points, points, points)
        case Range(lo, hi):
            return Quote(None, lo, hi)
        case From(lo):
            return Quote(None, lo, None)
        case Formula():
            assert quantity is not None
            points = _formula_points(rule, quantity)
            return Quote(points, points, points)
    return Quote(None, None, None)


def estimate(rule: PricingRule, *, quantity: int | None, estimated_points: int | None) -> int:
    """The points a new ticket captures, validating what the caller sent against the rule."""
    check_quantity(rule, quantity, "/quantity")
    pointer = "/estimated_points"
    if estimated_points is not None and not 0 <= estimated_points <= MAX_POINTS:
        raise RuleViolationError(pointer, f"estimated_points must be between 0 and {MAX_POINTS}")
    match rule:
        case Fixed(points):
            if estimated_points is not None and estimated_points != points:
                raise RuleViolationError(pointer, f"this category costs exactly {points} points")
            return points
        case Formula():
            assert quantity is not None
            points = _formula_points(rule, quantity)
            if estimated_points is not None and estimated_points != points:
                raise RuleViolationError(pointer, f"this category and quantity cost exactly {points} points")
            return points
        case Range(lo, hi):
            if estimated_points is None:
                raise RuleViolationError(pointer, f"estimated_points is required: between {lo} and {hi}")
            if not lo <= estimated_points <= hi:
                raise RuleViolationError(pointer, f"estimated_points must be between {lo} and {hi}")
            return estimated_points
        case From(lo):
            if estimated_points is None:
                return lo
            if estimated_points < lo:
                raise RuleViolationError(pointer, f"estimated_points must be at least {lo}")
            return estimated_points
        case UponRequest():
            if estimated_points is None:
                raise RuleViolationError(pointer, "estimated_points is required: this category is priced upon request")
            return estimated_points
    raise TypeError(rule)
