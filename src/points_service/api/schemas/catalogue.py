"""The catalogue: point packs (plans), ticket categories and their pricing rules, license products, quotes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool

from .common import (
    _USD_120,
    NO_NUL,
    BonusPolicyName,
    Money,
    Name,
    Points,
    PositivePoints,
    Quantity,
    RequestBody,
    _examples,
)

_FIXED_25 = {"type": "fixed", "points": 25}
_RANGE = {"type": "range", "min": 80, "max": 100}
_FORMULA = {"type": "formula", "base": 120, "per_unit": 60, "unit": "deployed stores", "min_quantity": 1}


class FixedPricing(RequestBody):
    """Every ticket of the category costs `points`."""

    model_config = _examples(_FIXED_25)

    type: Literal["fixed"] = Field(description="`fixed`")
    points: Points = Field(description="what every ticket of the category costs, in whole points")


class RangePricing(RequestBody):
    """The helpdesk estimates between `min` and `max` when it opens a ticket."""

    model_config = _examples(_RANGE)

    type: Literal["range"] = Field(description="`range`")
    min: Points = Field(description="the least a ticket may be estimated at, in whole points")
    max: Points = Field(description="the most a ticket may be estimated at, in whole points; at least `min`")


class FromPricing(RequestBody):
    """At least `min`; the helpdesk may estimate more when it opens a ticket."""

    model_config = _examples({"type": "from", "min": 100})

    type: Literal["from"] = Field(description="`from`")
    min: Points = Field(description="the least a ticket costs, and its estimate when none is given, in whole points")


class FormulaPricing(RequestBody):
    """`base + per_unit × quantity`, quantity counted in `unit` and at least `min_quantity`."""

    model_config = _examples(_FORMULA)

    type: Literal["formula"] = Field(description="`formula`")
    base: Points = Field(description="whole points every ticket of the category costs")
    per_unit: Points = Field(description="whole points added per unit of quantity")
    unit: Annotated[str, Field(strict=True, min_length=1, max_length=100, pattern=NO_NUL)] = Field(
        description="what the quantity counts, e.g. `deployed stores`"
    )
    min_quantity: Quantity = Field(description="the least quantity a ticket may have")


class UponRequestPricing(RequestBody):
    """Priced case by case: the helpdesk gives `estimated_points` when it opens a ticket."""

    model_config = _examples({"type": "upon_request"})

    type: Literal["upon_request"] = Field(description="`upon_request`")


Pricing = Annotated[
    FixedPricing | RangePricing | FromPricing | FormulaPricing | UponRequestPricing, Field(discriminator="type")
]

_PLAN = {"code": "points-120", "points": 120, "price": _USD_120, "active": True}


class Plan(BaseModel):
    """A point pack customers buy."""

    model_config = _examples(_PLAN)

    code: str = Field(description="the plan's code, e.g. `points-120`")
    points: int = Field(description="whole points a purchase of the pack grants")
    price: Money = Field(description="what the pack costs")
    active: bool = Field(description="false once retired: no longer listed (a payment for it is still accepted)")


class PlanPut(RequestBody):
    """A point pack to create or change; its code is in the path."""

    model_config = _examples({key: value for key, value in _PLAN.items() if key != "code"})

    points: PositivePoints = Field(description="whole points a purchase of the pack grants, at least 1")
    price: Money = Field(description="what the pack costs; lots bought earlier keep the price paid")
    active: StrictBool = Field(default=True, description="`false` retires the pack: it is no longer listed")


_CATEGORY = {
    "code": "aspe-transfer",
    "group": "transfer",
    "name": "Transfer of LiteCommerce ASPE",
    "pricing": _FORMULA,
    "active": True,
}


class Category(BaseModel):
    """A ticket category, with the rule that prices the opening of its tickets."""

    model_config = _examples(_CATEGORY)

    code: str = Field(description="the category's code, e.g. `store-problem`")
    group: str = Field(description="the group it is listed under, e.g. `installation`")
    name: str = Field(description="the name shown to customers")
    pricing: Pricing = Field(
        description="the rule that prices the opening of a ticket; tickets keep the rule they were opened with"
    )
    active: bool = Field(description="false once retired: no new ticket may be opened in it")


class CategoryPut(RequestBody):
    """A ticket category to create or change; its code is in the path."""

    model_config = _examples({key: value for key, value in _CATEGORY.items() if key != "code"})

    group: Annotated[str, Field(strict=True, min_length=1, max_length=64, pattern=NO_NUL)] = Field(
        description="the group it is listed under, e.g. `installation`"
    )
    name: Name = Field(description="the name shown to customers")
    pricing: Pricing = Field(
        description="the rule that prices the opening of a ticket; open tickets keep the rule they were opened with"
    )
    active: StrictBool = Field(
        default=True, description="`false` retires the category: no new ticket may be opened in it"
    )


_PRODUCT = {
    "code": "default",
    "name": "Default license",
    "bonus_points": 60,
    "bonus_policy": "first_license",
    "active": True,
}
_BONUS_POLICY = (
    "`first_license`: a bonus only with the account's first license of any product; "
    "`every_license`: a bonus with every license"
)


class LicenseProduct(BaseModel):
    """A software license product, and the bonus points its licenses bring."""

    model_config = _examples(_PRODUCT)

    code: str = Field(description="the product's code, e.g. `default`")
    name: str = Field(description="the product's name")
    bonus_points: int = Field(description="whole points a license of this product brings (0: none)")
    bonus_policy: BonusPolicyName = Field(description=_BONUS_POLICY)
    active: bool = Field(description="false once retired: no longer listed")


class LicenseProductPut(RequestBody):
    """A license product to create or change; its code is in the path."""

    model_config = _examples({key: value for key, value in _PRODUCT.items() if key != "code"})

    name: Name = Field(description="the product's name")
    bonus_points: Points = Field(description="whole points a license of this product brings (0: none)")
    bonus_policy: BonusPolicyName = Field(description=_BONUS_POLICY)
    active: StrictBool = Field(default=True, description="`false` retires the product: it is no longer listed")


class Quote(BaseModel):
    """What opening a ticket of a category costs. Fixed and formula rules fix `points` (= `min` =
    `max`); a range gives `min` and `max`; `from` gives `min`; upon request gives nothing."""

    model_config = _examples(
        {"category": "aspe-transfer", "pricing": _FORMULA, "quantity": 2, "points": 240, "min": 240, "max": 240},
        {
            "category": "sales-n-stats-transfer",
            "pricing": _RANGE,
            "quantity": None,
            "points": None,
            "min": 80,
            "max": 100,
        },
    )

    category: str = Field(description="the category's code")
    pricing: Pricing = Field(description="the category's pricing rule")
    quantity: int | None = Field(description="the quantity priced (formula rules); null when none was given")
    points: int | None = Field(
        description="the cost in whole points (fixed and formula rules); null when the rule does not fix it"
    )
    min: int | None = Field(description="the least cost in whole points; null for `upon_request`")
    max: int | None = Field(description="the greatest cost in whole points; null for `from` and `upon_request`")
