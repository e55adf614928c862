"""Request and response bodies. Request bodies reject unknown fields; points are strict integers."""

from __future__ import annotations

import copy
import enum
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar, cast

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, JsonValue, StrictBool
from typing_extensions import TypeAliasType

from ..domain import MAX_POINTS
from ..domain import ledger as ledger_rules
from ..domain import lots as lot_rules
from ..domain import tickets as ticket_rules
from ..domain.money import AMOUNT_PATTERN, CURRENCIES

T = TypeVar("T")


def _whole_number(value: Any) -> Any:
    """JSON has one number type: `40.0` is the whole number 40, as JSON Schema's `integer` says.

    Only exact whole numbers are converted; `40.5`, `"40"` and `true` stay what they are, and the
    strict integer check rejects them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = BeforeValidator(_whole_number)

Points = Annotated[int, Field(strict=True, ge=0, le=MAX_POINTS, description="whole points"), WholeNumber]
PositivePoints = Annotated[int, Field(strict=True, ge=1, le=MAX_POINTS), WholeNumber]
SignedPoints = Annotated[int, Field(strict=True, ge=-MAX_POINTS, le=MAX_POINTS), WholeNumber]
Quantity = Annotated[int, Field(strict=True, ge=0, le=1_000_000), WholeNumber]
Code = Annotated[str, Field(strict=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Ref = Annotated[str, Field(strict=True, min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
# Free text: anything but NUL, which PostgreSQL cannot store in text (and no one means to send).
NO_NUL = r"^[^\x00]*$"
Reason = Annotated[str, Field(strict=True, min_length=1, max_length=500, pattern=NO_NUL)]
Note = Annotated[str, Field(strict=True, max_length=2000, pattern=NO_NUL)]
Name = Annotated[str, Field(strict=True, min_length=1, max_length=200, pattern=NO_NUL)]
Currency = Annotated[
    str,
    Field(
        strict=True,
        pattern=r"^[A-Z]{3}$",
        examples=["USD"],
        description="ISO 4217 code of a currency with minor units",
        json_schema_extra={"enum": CURRENCIES},  # checked by the money rules, which report the pointer
    ),
]
Amount = Annotated[
    str,
    Field(
        strict=True,
        max_length=24,
        pattern=AMOUNT_PATTERN,
        description="exact decimal string with exactly the currency's minor digits (`34.50` in USD, `3450` in JPY); "
        "a JSON number is rejected",
        examples=["34.50"],
    ),
]


# RFC 3339 `date-time`, what the document's `format: date-time` promises. Pydantic alone would also
# take Unix times (`0.5`, `"1700000000"`) and a space for the `T`.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 timestamp with an offset, like 2026-11-26T10:00:00Z")
    return value


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339),
    AfterValidator(lambda moment: moment.astimezone(UTC)),
    Field(
        description="RFC 3339 (ISO 8601) timestamp with an offset; normalised to UTC", examples=["2026-11-26T10:00:00Z"]
    ),
]


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    """Model-level examples for the OpenAPI document; tests/test_openapi_schemas.py checks that each
    one validates against its model and is exactly what the model serializes."""
    copied: list[JsonValue] = copy.deepcopy(list(examples))
    return ConfigDict(json_schema_extra={"examples": copied})


# The examples tell one story, at 2026-11-26T10:00:00Z. Account `cust-42` bought points-60 on
# 2025-01-18 (lot _L1); a resolved consultation took 10 of those points and an open store-problem
# ticket holds 25; now the customer buys points-120 (lot _L2). Other accounts appear where an
# example needs another history. Ids are what the service makes: a prefix and a ULID whose time
# part is when the object was created.
_NOW = "2026-11-26T10:00:00Z"
_L1 = "lot_01JHWAZ8Q0Y1S82CH4JR7QPYTD"
_L2 = "lot_01M8BMRD80K402HET3029XW5Y5"
_T_OPEN = "tkt_01M7WQRWM833G1ZHNY2MYV3JZH"
_T_RESOLVED = "tkt_01M463KBC8V7ZQ8CE4899SHWD6"
_CURSOR = "eyJzIjoiYmVhMjgyYzQyODQ4NWVjZiIsImsiOlszXX0"
_USD_120 = {"amount": "68.50", "currency": "USD"}


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Money(RequestBody):
    """An exact amount of money in a currency."""

    model_config = _examples(_USD_120, {"amount": "9800", "currency": "JPY"})

    amount: Amount
    currency: Currency


# ---- catalogue -----------------------------------------------------------------------------

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
    bonus_policy: Literal["first_license", "every_license"] = Field(description=_BONUS_POLICY)
    active: bool = Field(description="false once retired: no longer listed")


class LicenseProductPut(RequestBody):
    """A license product to create or change; its code is in the path."""

    model_config = _examples({key: value for key, value in _PRODUCT.items() if key != "code"})

    name: Name = Field(description="the product's name")
    bonus_points: Points = Field(description="whole points a license of this product brings (0: none)")
    bonus_policy: Literal["first_license", "every_license"] = Field(description=_BONUS_POLICY)
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


def _page_examples(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """`Page[X]`: a page holding X's first example."""
    (item,) = model.__pydantic_generic_metadata__["args"] or (None,)
    extra = (
        item.model_config.get("json_schema_extra") if isinstance(item, type) and issubclass(item, BaseModel) else None
    )
    if isinstance(extra, dict) and extra.get("examples"):
        examples = cast("list[JsonValue]", extra["examples"])  # a list, as _examples() stores it
        schema["examples"] = [{"items": [copy.deepcopy(examples[0])], "next_cursor": _CURSOR}]


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    model_config = ConfigDict(json_schema_extra=_page_examples)

    items: list[T] = Field(description="this page's items, in the list's order")
    next_cursor: str | None = Field(description="`?cursor=` for the next page (opaque); null on the last page")


# ---- accounts and balances -----------------------------------------------------------------

_EXPIRING_L1 = {"lot_id": _L1, "points": 25, "expires_at": "2027-01-18T09:12:44Z"}
_BALANCE = {
    "account_id": "cust-42",
    "available": 145,
    "held": 25,
    "deducted": 10,
    "expiring": [_EXPIRING_L1],
    "as_of": _NOW,
}


class ExpiringLot(BaseModel):
    """Available points of one lot, and when they expire."""

    model_config = _examples(_EXPIRING_L1)

    lot_id: str = Field(description="the lot")
    points: int = Field(description="its available points, which expire at `expires_at`, in whole points")
    expires_at: datetime = Field(description="when they stop counting (UTC, RFC 3339)")


class Balance(BaseModel):
    """An account's points at `as_of`. Due expiries count whether or not they were written yet."""

    model_config = _examples(_BALANCE)

    account_id: str = Field(description="the account")
    available: int = Field(description="whole points spendable now")
    held: int = Field(description="whole points captured by open tickets")
    deducted: int = Field(description="whole points closed tickets took for good (charged minus returned)")
    expiring: list[ExpiringLot] = Field(
        description=(
            "lots whose available points expire within `POINTS_EXPIRING_WINDOW_DAYS` (default 90), soonest first"
        )
    )
    as_of: datetime = Field(description="the instant these figures are for (UTC, RFC 3339)")


_METADATA = {"crm_id": "0015g00000XyZ12AAB", "tier": "gold"}
_ACCOUNT = {
    "account_id": "cust-42",
    "display_name": "ACME Corp",
    "metadata": _METADATA,
    "created_at": "2025-01-18T09:12:40Z",
    "updated_at": "2026-06-02T11:45:00Z",
    "balance": _BALANCE,
}
_ACCOUNT_ID = "the helpdesk's customer id: 1–64 of `[A-Za-z0-9._:-]`, case-sensitive"


class Account(BaseModel):
    """A customer account and its balance."""

    model_config = _examples(_ACCOUNT)

    account_id: str = Field(description=_ACCOUNT_ID)
    display_name: str | None = Field(description="the name shown to staff; null when not set")
    metadata: dict[str, Any] = Field(description="free-form JSON object kept for the caller; `{}` when not set")
    created_at: datetime = Field(description="when the account was created (UTC, RFC 3339)")
    updated_at: datetime = Field(description="when `display_name` or `metadata` last changed (UTC, RFC 3339)")
    balance: Balance = Field(description="its points now")


class AccountPut(RequestBody):
    """What to set on an account (created when new). Fields left out keep their value."""

    model_config = _examples({"display_name": "ACME Corp", "metadata": _METADATA}, {"display_name": None})

    display_name: Name | None = Field(
        default=None, description="the name shown to staff, 1–200 characters; null clears it; omitted: unchanged"
    )
    metadata: Annotated[dict[str, Any], Field(max_length=50)] | None = Field(
        default=None,
        description=(
            "free-form JSON object of at most 50 keys, replacing the stored one; null clears it; omitted: unchanged"
        ),
    )


class ExpiringAccount(BaseModel):
    """An account with available points expiring before `expiring_before`."""

    model_config = _examples(
        {"account_id": "cust-42", "display_name": "ACME Corp", "expiring_points": 25, "expiring": [_EXPIRING_L1]}
    )

    account_id: str = Field(description=_ACCOUNT_ID)
    display_name: str | None = Field(description="the name shown to staff; null when not set")
    expiring_points: int = Field(description="whole points expiring between now and `expiring_before`")
    expiring: list[ExpiringLot] = Field(description="the lots they are in, soonest expiry first")


# ---- lots ----------------------------------------------------------------------------------

_NO_EXTRAS = {"revoked_at": None, "license_key": None, "external_ref": None, "origin_lot_id": None}
_STATES_FRESH = {"held": 0, "deducted": 0, "expired": 0, "revoked": 0, "written_off": 0, "reissued": 0}
_LOT_L2 = {
    "id": _L2,
    "account_id": "cust-42",
    "source": "purchase",
    "points": 120,
    "available": 120,
    **_STATES_FRESH,
    "granted_at": "2026-11-26T09:59:58Z",
    "expires_at": "2028-11-26T09:59:58Z",
    "plan": "points-120",
    "paid": _USD_120,
    "payment_id": "pay_3QF8Zk2eZvKYlo2C",
    **_NO_EXTRAS,
}
_LOT_L1 = {
    **_LOT_L2,
    "id": _L1,
    "points": 60,
    "available": 25,
    "held": 25,
    "deducted": 10,
    "granted_at": "2025-01-18T09:12:44Z",
    "expires_at": "2027-01-18T09:12:44Z",
    "plan": "points-60",
    "paid": {"amount": "34.50", "currency": "USD"},
    "payment_id": "pay_7dQ2mX9kLp4RzT1c",
}


class Lot(BaseModel):
    """One arrival of points, with how many of them are in each state; the states always sum to
    `points`."""

    model_config = _examples(_LOT_L2, _LOT_L1)

    id: str = Field(description="the lot's id: `lot_` and a ULID")
    account_id: str = Field(description="the account it belongs to")
    source: LotSourceName = Field(
        description="how the points arrived: a `purchase`, a `license_bonus`, an `adjustment` (+N by an admin), "
        "an `import` from a previous system, or `returned` (points a ticket gave back after their lot expired)"
    )
    points: int = Field(description="whole points the lot received")
    available: int = Field(description="whole points spendable now (0 once the lot has expired)")
    held: int = Field(description="whole points captured by open tickets")
    deducted: int = Field(description="whole points taken by resolved tickets")
    expired: int = Field(description="whole points that expired while available")
    revoked: int = Field(description="whole points removed because the payment was refunded or charged back")
    written_off: int = Field(description="whole points removed by negative adjustments")
    reissued: int = Field(
        description="whole points tickets gave back after the lot expired (or nearly), moved into a `returned` lot"
    )
    granted_at: datetime = Field(
        description="when the points arrived (UTC, RFC 3339): a purchase's or license's `purchased_at`, an import's "
        "`granted_at`, otherwise when the lot was created"
    )
    expires_at: datetime | None = Field(
        description="when its available points stop counting (UTC, RFC 3339); null: never"
    )
    revoked_at: datetime | None = Field(description="when the lot was revoked (UTC, RFC 3339); null unless revoked")
    plan: str | None = Field(description="the plan bought; null unless `source` is `purchase`")
    paid: Money | None = Field(description="the price paid; null unless `source` is `purchase`")
    payment_id: str | None = Field(
        description="the billing system's payment id (purchases, and imports given one); null otherwise"
    )
    license_key: str | None = Field(
        description="the license that brought the points; null unless `source` is `license_bonus`"
    )
    external_ref: str | None = Field(description="the previous system's reference; null unless `source` is `import`")
    origin_lot_id: str | None = Field(
        description="the lot these points were reissued from; null unless `source` is `returned`"
    )


_WHEN = "(RFC 3339 with an offset, normalised to UTC)"


class PurchaseCreate(RequestBody):
    """A point pack bought with a payment."""

    model_config = _examples(
        {
            "plan": "points-120",
            "payment_id": "pay_3QF8Zk2eZvKYlo2C",
            "purchased_at": "2026-11-26T09:59:58Z",
            "paid": _USD_120,
        }
    )

    plan: Code = Field(description="the code of the plan bought (an inactive plan is still accepted)")
    payment_id: Ref = Field(
        description="the billing system's payment id, unique across accounts: the same payment again with the "
        "same fields answers 200, other content 409"
    )
    purchased_at: Instant | None = Field(
        default=None,
        description=f"when it was paid {_WHEN}; up to 5 minutes ahead (counts as now) and 7 days back "
        "(admins: any past time); omitted or null: now",
    )
    paid: Money | None = Field(default=None, description="the price paid; omitted or null: the plan's price")


class LotWithBalance(BaseModel):
    """A lot, and the account's balance after the operation."""

    model_config = _examples({"lot": _LOT_L2, "balance": _BALANCE})

    lot: Lot = Field(description="the lot created (201), or the one recorded before as it is now (200)")
    balance: Balance = Field(description="the account's balance after the operation")


class LicenseCreate(RequestBody):
    """A software license sold to the account."""

    model_config = _examples(
        {"license_key": "LIC-4F7K-92QX-MM4T", "product": "default", "purchased_at": "2026-11-26T09:58:00Z"}
    )

    license_key: Ref = Field(
        description=(
            "the license's key; it belongs to one account forever "
            "(the same content again answers 200, other content 409)"
        )
    )
    product: Code = Field(description="the code of the license product")
    purchased_at: Instant | None = Field(
        default=None,
        description=f"when the license was bought {_WHEN}; up to 5 minutes ahead and 7 days back "
        "(admins: any past time); omitted or null: now",
    )


_L3 = "lot_01M8BMRD80TM9GSV13PSEXYBWE"
_LICENSE = {
    "license_key": "LIC-4F7K-92QX-MM4T",
    "account_id": "cust-77",
    "product": "default",
    "purchased_at": "2026-11-26T09:58:00Z",
    "lot_id": _L3,
}


class License(BaseModel):
    """A software license sold to an account."""

    model_config = _examples(_LICENSE)

    license_key: str = Field(description="the license's key")
    account_id: str = Field(description="the account it belongs to")
    product: str = Field(description="the code of the license product")
    purchased_at: datetime = Field(description="when it was bought (UTC, RFC 3339)")
    lot_id: str | None = Field(
        description="the lot of bonus points it brought; null when the product's policy gave none"
    )


class LicenseResult(BaseModel):
    """A license, its bonus lot, and the account's balance after it."""

    model_config = _examples(
        {
            "license": _LICENSE,
            "lot": {
                **_LOT_L2,
                "id": _L3,
                "account_id": "cust-77",
                "source": "license_bonus",
                "points": 60,
                "available": 60,
                "granted_at": "2026-11-26T09:58:00Z",
                "expires_at": "2028-11-26T09:58:00Z",
                "plan": None,
                "paid": None,
                "payment_id": None,
                "license_key": "LIC-4F7K-92QX-MM4T",
            },
            "balance": {
                "account_id": "cust-77",
                "available": 60,
                "held": 0,
                "deducted": 0,
                "expiring": [],
                "as_of": _NOW,
            },
        },
        {
            "license": {**_LICENSE, "license_key": "LIC-9XW2-H7RM-3KQP", "account_id": "cust-42", "lot_id": None},
            "lot": None,
            "balance": _BALANCE,
        },
    )

    license: License = Field(description="the license")
    lot: Lot | None = Field(description="the bonus lot; null when the product's bonus policy gives nothing")
    balance: Balance = Field(description="the account's balance after the operation")


class ImportCreate(RequestBody):
    """Points moved from a previous system."""

    model_config = _examples(
        {
            "points": 40,
            "granted_at": "2025-06-01T00:00:00Z",
            "expires_at": "2027-06-01T00:00:00Z",
            "external_ref": "legacy-8812",
            "reason": "balance moved from the old helpdesk",
        }
    )

    points: PositivePoints = Field(description="whole points to import, at least 1")
    granted_at: Instant = Field(description=f"when the previous system granted them {_WHEN}; not in the future")
    expires_at: Instant | None = Field(
        default=None,
        description=f"when they expire {_WHEN}; after `granted_at`, and may be past (the lot is created expired); "
        "omitted: two years from `granted_at`; null: never",
    )
    external_ref: Ref = Field(
        description="the previous system's reference; imported once (the same content again answers 200)"
    )
    payment_id: Ref | None = Field(
        default=None,
        description=(
            "the payment behind the points, in the purchases' namespace (its refund revokes the lot); "
            "omitted or null: none"
        ),
    )
    reason: Reason = Field(description="why, recorded on the ledger entry")


class AdjustmentCreate(RequestBody):
    """Points granted or written off by hand."""

    model_config = _examples(
        {"points": 30, "reason": "goodwill: outage on 2026-11-24", "expires_at": "2027-11-26T10:00:00Z"},
        {"points": -15, "reason": "duplicate import of a legacy balance"},
    )

    points: SignedPoints = Field(
        description="whole points: +N grants a new lot (`source: adjustment`), −N writes off N available points "
        "in consumption order (422 if fewer are available); never 0",
        json_schema_extra={"not": {"const": 0}},  # checked by the route (a 422 pointing at #/points)
    )
    reason: Reason = Field(description="why, recorded on the ledger entry")
    expires_at: Instant | None = Field(
        default=None,
        description=f"positive adjustments only: when the new lot expires {_WHEN}, in the future; "
        "omitted: two years from now; null: never",
    )


def _values_of(vocabulary: type[enum.StrEnum]) -> Any:
    """`Literal["a", "b", …]` of a domain StrEnum's values: the document states the enum of strings,
    and the domain's enum stays the one list (the database's CHECK constraints list the same
    values, from the same enum; tests/test_openapi_schemas.py compares the document with them)."""
    return Literal[tuple(member.value for member in vocabulary)]


_STATES = ", ".join(f"`{state}`" for state in list(lot_rules.LotState)[:-1]) + f" or `{list(lot_rules.LotState)[-1]}`"
# Named aliases: the document has one schema for each, which every use refers to, so the generated
# client has one enum for each. (Type checkers see plain strings: the values are computed.)
if TYPE_CHECKING:
    LotState = str
    EntryKind = str
    LotSourceName = str
    TicketStatusName = str
    TicketActionName = str
else:
    LotState = TypeAliasType(
        "LotState",
        Annotated[
            _values_of(lot_rules.LotState),
            Field(description="a state a lot's points are in; a lot's seven states sum to its points"),
        ],
    )
    EntryKind = TypeAliasType(
        "EntryKind", Annotated[_values_of(ledger_rules.EntryKind), Field(description="what a ledger entry records")]
    )
    LotSourceName = _values_of(lot_rules.LotSource)
    TicketStatusName = _values_of(ticket_rules.TicketStatus)
    TicketActionName = _values_of(ticket_rules.TicketAction)


class PostingOut(BaseModel):
    """Points of one lot moving from one state to another."""

    model_config = _examples({"lot_id": _L1, "from_state": "available", "to_state": "held", "points": 25})

    lot_id: str = Field(description="the lot")
    from_state: LotState | None = Field(
        description=f"the state they left: {_STATES}; null when they arrive with the lot"
    )
    to_state: LotState = Field(description=f"the state they entered: {_STATES}")
    points: int = Field(description="whole points moved, more than 0")


_LADJ = "lot_01M8BMRD80VJRP81ZZJXYMCXSD"


class AdjustmentResult(BaseModel):
    """The outcome of an adjustment: a new lot (+N, 201) or the points written off (−N, 200)."""

    model_config = _examples(
        {
            "lot": {
                **_LOT_L2,
                "id": _LADJ,
                "source": "adjustment",
                "points": 30,
                "available": 30,
                "granted_at": _NOW,
                "expires_at": "2027-11-26T10:00:00Z",
                "plan": None,
                "paid": None,
                "payment_id": None,
            },
            "postings": [],
            "balance": {**_BALANCE, "available": 175},
        },
        {
            "lot": None,
            "postings": [{"lot_id": _L1, "from_state": "available", "to_state": "written_off", "points": 15}],
            "balance": {**_BALANCE, "available": 130, "expiring": [{**_EXPIRING_L1, "points": 10}]},
        },
    )

    lot: Lot | None = Field(description="the new lot (+N); null for a write-off (−N)")
    postings: list[PostingOut] = Field(description="the points written off, per lot (−N); empty for +N")
    balance: Balance = Field(description="the account's balance after the adjustment")


class RevokeRequest(RequestBody):
    """The payment behind a lot was refunded or charged back."""

    model_config = _examples({"reason": "payment pay_9hB4nW6tYc2JmQ8s charged back"})

    reason: Reason = Field(description="why, recorded on the ledger entry")


_LREV = "lot_01M00H6D4RC482AA689SZ2W45Q"


class Revocation(BaseModel):
    """A revoked lot and where its points were. `revoked`, `held_by_open_tickets`, `unrecoverable`,
    `already_expired`, `written_off` and `reissued` sum to the lot's points."""

    model_config = _examples(
        {
            "lot": {
                **_LOT_L2,
                "id": _LREV,
                "account_id": "cust-31",
                "available": 0,
                "held": 25,
                "deducted": 15,
                "revoked": 80,
                "granted_at": "2026-08-14T16:20:31Z",
                "expires_at": "2028-08-14T16:20:31Z",
                "revoked_at": _NOW,
                "payment_id": "pay_9hB4nW6tYc2JmQ8s",
            },
            "revoked": 80,
            "held_by_open_tickets": 25,
            "unrecoverable": 15,
            "already_expired": 0,
            "written_off": 0,
            "reissued": 0,
            "revoked_from_reissued_lots": 0,
        }
    )

    lot: Lot = Field(description="the lot, now revoked")
    revoked: int = Field(
        description="whole points revoked: those available at revocation, and held ones that came back since"
    )
    held_by_open_tickets: int = Field(
        description="whole points still held by open tickets; revoked when they come back"
    )
    unrecoverable: int = Field(description="whole points resolved tickets had already taken")
    already_expired: int = Field(description="whole points that had expired")
    written_off: int = Field(description="whole points written off by negative adjustments")
    reissued: int = Field(description="whole points given back after the lot expired and moved into `returned` lots")
    revoked_from_reissued_lots: int = Field(
        description="whole points revoked from the lots reissued from this one (its `origin_lot_id` chain)"
    )


# ---- tickets -------------------------------------------------------------------------------

_IN_HISTORY = "recorded in the ticket's history"


class TicketCreate(RequestBody):
    """A ticket to open; it captures its estimated points."""

    model_config = _examples(
        {"external_ref": "HD-10482", "category": "store-problem", "subject": "Blank shipping step at checkout"},
        {
            "external_ref": "HD-10517",
            "category": "third-party-install",
            "estimated_points": 120,
            "subject": "Install a blog",
        },
        {"external_ref": "HD-10533", "category": "aspe-transfer", "quantity": 2, "subject": "Move two ASPE stores"},
    )

    external_ref: Ref = Field(
        description=(
            "the helpdesk's reference, unique per account (a repeat answers 409 `conflict` naming the existing ticket)"
        )
    )
    category: Code = Field(description="the code of an active category")
    quantity: Quantity | None = Field(
        default=None,
        description=(
            "formula categories only, and required there (at least the rule's `min_quantity`); "
            "omitted or null otherwise"
        ),
    )
    estimated_points: Points | None = Field(
        default=None,
        description="whole points to capture: required for `range` (within it) and `upon_request`, optional for `from` "
        "(at least `min`; omitted or null: `min`), omitted, null or equal to the price for `fixed` and `formula`",
    )
    subject: Annotated[str, Field(strict=True, max_length=500, pattern=NO_NUL)] | None = Field(
        default=None, description="a short description; omitted or null: none"
    )


class TicketAdjust(RequestBody):
    """Set an open ticket's captured points, optionally correcting its category or quantity."""

    model_config = _examples(
        {"points": 40, "reason": "the server's PHP version had to be upgraded as well"},
        {"points": 300, "reason": "three stores to move, not two", "quantity": 3},
    )

    points: Points = Field(
        description="the whole points to hold from now on, 0 to 1,000,000,000 whatever the pricing rule: "
        "more captures the difference, less gives it back"
    )
    reason: Reason = Field(description=f"why, {_IN_HISTORY}")
    category: Code | None = Field(
        default=None, description="reclassify to this active category; omitted or null: unchanged"
    )
    quantity: Quantity | None = Field(
        default=None,
        description="the quantity, for a formula rule (the ticket's, or the new category's, where it is required); "
        "omitted or null: none",
    )


class TicketResolve(RequestBody):
    """Resolve an open ticket: its captured points are deducted."""

    model_config = _examples(
        {"note": "shipping step restored"},
        {"points": 40, "note": "fixed after upgrading PHP on the server"},
    )

    points: Points | None = Field(
        default=None,
        description="the final whole points, set first as an adjust would (one history entry, one version step); "
        "omitted or null: the captured points",
    )
    note: Note | None = Field(default=None, description=f"free text {_IN_HISTORY}; omitted or null: none")


class TicketRefund(RequestBody):
    """Refund a ticket: every point not yet returned goes back."""

    model_config = _examples({"reason": "software_bug", "note": "a bug of 5.4.1, fixed in 5.4.2"})

    reason: Literal["software_bug", "withdrawn", "duplicate", "other"] = Field(
        description="`software_bug` and `other` are the vendor's doing: points whose lot has expired (or expires "
        "within the return grace) come back in a new `returned` lot; with `withdrawn` and `duplicate`, points of an "
        "expired lot expire"
    )
    note: Note | None = Field(default=None, description=f"free text {_IN_HISTORY}; omitted or null: none")


class TicketCredit(RequestBody):
    """Give back part of a resolved ticket's points; it stays resolved."""

    model_config = _examples({"points": 10, "reason": "goodwill: the fix took two attempts"})

    points: Points = Field(
        description=(
            "whole points to give back, 1 to `deducted_points` − `returned_points`; outside → 422 with `max_points`"
        )
    )
    reason: Reason = Field(description=f"why, {_IN_HISTORY}")


_TICKET_OPEN = {
    "id": _T_OPEN,
    "account_id": "cust-42",
    "external_ref": "HD-10482",
    "subject": "Blank shipping step at checkout",
    "category": "store-problem",
    "pricing": _FIXED_25,
    "quantity": None,
    "estimated_points": 25,
    "captured_points": 25,
    "charged_points": 0,
    "deducted_points": 0,
    "returned_points": 0,
    "forfeited_points": 0,
    "status": "open",
    "version": 1,
    "opened_at": "2026-11-20T15:04:05Z",
    "resolved_at": None,
    "refunded_at": None,
    "closed_at": None,
}
_TICKET_RESOLVED = {
    **_TICKET_OPEN,
    "id": _T_RESOLVED,
    "external_ref": "HD-10211",
    "subject": "How do I export orders to CSV?",
    "category": "consultation",
    "pricing": {"type": "fixed", "points": 10},
    "estimated_points": 10,
    "captured_points": 0,
    "charged_points": 10,
    "deducted_points": 10,
    "status": "resolved",
    "version": 2,
    "opened_at": "2026-10-05T13:21:09Z",
    "resolved_at": "2026-10-06T08:02:51Z",
    "closed_at": "2026-10-06T08:02:51Z",
}


class Ticket(BaseModel):
    """A support ticket and the points it captured, took and gave back."""

    model_config = _examples(_TICKET_OPEN, _TICKET_RESOLVED)

    id: str = Field(description="the ticket's id: `tkt_` and a ULID")
    account_id: str = Field(description="the account whose points it uses")
    external_ref: str = Field(description="the helpdesk's reference, unique per account")
    subject: str | None = Field(description="a short description; null when none was given")
    category: str = Field(description="the code of its category")
    pricing: Pricing = Field(description="the pricing rule it was opened (or reclassified) with")
    quantity: int | None = Field(description="the quantity it was priced with (formula rules); null otherwise")
    estimated_points: int = Field(description="whole points the pricing rule gave at opening")
    captured_points: int = Field(description="whole points held now; 0 once closed")
    charged_points: int = Field(description="whole points held when it left `open`; 0 while open")
    deducted_points: int = Field(
        description="whole points taken at resolution; 0 while open, and if refunded while open"
    )
    returned_points: int = Field(
        description=(
            "whole points given back after it left `open`, by a refund or credits (lowering a capture is not a return)"
        )
    )
    forfeited_points: int = Field(
        description="whole points that went back to a revoked lot and were revoked again at once"
    )
    status: TicketStatusName = Field(description="`open`, then `resolved` or `refunded`")
    version: int = Field(description="1 at opening, one more on each change; the `ETag`, checked against `If-Match`")
    opened_at: datetime = Field(description="when it was opened (UTC, RFC 3339)")
    resolved_at: datetime | None = Field(
        description="when it was resolved (UTC, RFC 3339); null unless it was resolved"
    )
    refunded_at: datetime | None = Field(
        description="when it was refunded (UTC, RFC 3339); null unless it was refunded"
    )
    closed_at: datetime | None = Field(
        description="when it left `open`, resolved or refunded (UTC, RFC 3339); null while the ticket is open"
    )


_T2_LOT = "lot_01KQSDR2G0461943QXD26ANJ3S"


class AllocationOut(BaseModel):
    """Points one capture step took from one lot."""

    model_config = _examples({"seq": 1, "lot_id": _T2_LOT, "held": 0, "deducted": 25, "returned": 0})

    seq: int = Field(description="the step's order; points are given back from the highest first")
    lot_id: str = Field(description="the lot they were taken from")
    held: int = Field(description="whole points of this step held now")
    deducted: int = Field(description="whole points of this step taken at resolution")
    returned: int = Field(description="whole points of this step given back by a refund or credit")


_HELPDESK = "helpdesk-app"
_OPENED = {
    "at": "2026-11-19T11:42:17Z",
    "action": "opened",
    "points": 25,
    "reason": None,
    "note": None,
    "actor": _HELPDESK,
    "version": 1,
}


class HistoryEntry(BaseModel):
    """One change of a ticket."""

    model_config = _examples(_OPENED)

    at: datetime = Field(description="when (UTC, RFC 3339)")
    action: TicketActionName = Field(description="what was done")
    points: int = Field(
        description=(
            "whole points: captured (`opened`, `adjusted`), deducted (`resolved`) "
            "or given back (`refunded`, `credited`)"
        )
    )
    reason: str | None = Field(
        description="the reason given (adjust, refund, credit); null for `opened` and `resolved`"
    )
    note: str | None = Field(description="the note given (resolve, refund); null when none was given")
    actor: str = Field(description="the name of the API key that made the change")
    version: int = Field(description="the ticket's version after the change")


class TicketDetail(Ticket):
    """A ticket with the lots it took points from and its history."""

    model_config = _examples(
        {
            **_TICKET_OPEN,
            "id": "tkt_01M7SSTND8CVX1M02RPZF6J11G",
            "account_id": "cust-58",
            "external_ref": "HD-10377",
            "subject": "Orders stuck in processing",
            "captured_points": 0,
            "charged_points": 40,
            "deducted_points": 40,
            "status": "resolved",
            "version": 3,
            "opened_at": "2026-11-19T11:42:17Z",
            "resolved_at": _NOW,
            "closed_at": _NOW,
            "allocations": [
                {"seq": 1, "lot_id": _T2_LOT, "held": 0, "deducted": 25, "returned": 0},
                {"seq": 2, "lot_id": _T2_LOT, "held": 0, "deducted": 15, "returned": 0},
            ],
            "history": [
                _OPENED,
                {
                    **_OPENED,
                    "at": "2026-11-21T09:30:00Z",
                    "action": "adjusted",
                    "points": 40,
                    "reason": "the server's PHP version had to be upgraded as well",
                    "version": 2,
                },
                {
                    **_OPENED,
                    "at": _NOW,
                    "action": "resolved",
                    "points": 40,
                    "note": "fixed after upgrading PHP on the server",
                    "version": 3,
                },
            ],
        }
    )

    allocations: list[AllocationOut] = Field(description="what each capture step took from which lot, by `seq`")
    history: list[HistoryEntry] = Field(description="every change, oldest first")


# ---- ledger --------------------------------------------------------------------------------

_ENTRY_L2 = {
    "id": "le_01M8BMRD80VAAY4YRPT0SFJGSR",
    "seq": 5,
    "account_id": "cust-42",
    "kind": "purchase",
    "available_delta": 120,
    "held_delta": 0,
    "deducted_delta": 0,
    "available_after": 145,
    "held_after": 25,
    "deducted_after": 10,
    "postings": [{"lot_id": _L2, "from_state": None, "to_state": "available", "points": 120}],
    "lot_id": _L2,
    "ticket_id": None,
    "reason": None,
    "actor": "billing-system",
    "created_at": _NOW,
    "effective_at": "2026-11-26T09:59:58Z",
    "pending": False,
}
_ENTRY_L1 = {
    **_ENTRY_L2,
    "id": "le_01JHWAZ8Q0SDT9M0KQSNPRMRY0",
    "seq": 1,
    "available_delta": 60,
    "available_after": 60,
    "held_after": 0,
    "deducted_after": 0,
    "postings": [{"lot_id": _L1, "from_state": None, "to_state": "available", "points": 60}],
    "lot_id": _L1,
    "created_at": "2025-01-18T09:12:44Z",
    "effective_at": "2025-01-18T09:12:44Z",
}
_ENTRY_CAPTURE = {
    **_ENTRY_L2,
    "id": "le_01M7WQRWM8BB4RYFG63FEEXW2B",
    "seq": 4,
    "kind": "capture",
    "available_delta": -25,
    "held_delta": 25,
    "available_after": 25,
    "postings": [{"lot_id": _L1, "from_state": "available", "to_state": "held", "points": 25}],
    "lot_id": _L1,
    "ticket_id": _T_OPEN,
    "actor": _HELPDESK,
    "created_at": "2026-11-20T15:04:05Z",
    "effective_at": "2026-11-20T15:04:05Z",
}
_LX = "lot_01JDH726T0GSMZW7RZ2DXZKHS1"
_ENTRY_PENDING = {
    **_ENTRY_L2,
    "id": f"pending:{_LX}",
    "seq": None,
    "account_id": "cust-17",
    "kind": "expiry",
    "available_delta": -15,
    "available_after": 0,
    "held_after": 0,
    "deducted_after": 45,
    "postings": [{"lot_id": _LX, "from_state": "available", "to_state": "expired", "points": 15}],
    "lot_id": _LX,
    "actor": "system:expiry",
    "effective_at": "2026-11-25T08:30:00Z",
    "pending": True,
}


class LedgerEntry(BaseModel):
    """One operation's effect on an account's points. Entries are never changed or deleted."""

    model_config = _examples(_ENTRY_L2, _ENTRY_CAPTURE, _ENTRY_PENDING)

    id: str = Field(description="the entry's id: `le_` and a ULID (`pending:<lot id>` for a pending expiry)")
    seq: int | None = Field(
        description="its place in the account's ledger, gapless from 1; null for a pending expiry, not yet written"
    )
    account_id: str = Field(description="the account")
    kind: EntryKind = Field(
        description="`purchase`, `license_bonus`, `adjustment`, `import`, `expiry`, `revocation`, `capture`, "
        "`capture_increase`, `capture_decrease`, `deduction` or `return`"
    )
    available_delta: int = Field(description="signed change of the account's available points, in whole points")
    held_delta: int = Field(description="signed change of the account's held points, in whole points")
    deducted_delta: int = Field(description="signed change of the account's deducted points, in whole points")
    available_after: int = Field(description="the account's available points after the entry")
    held_after: int = Field(description="the account's held points after the entry")
    deducted_after: int = Field(description="the account's deducted points after the entry")
    postings: list[PostingOut] = Field(description="the points each lot moved between states")
    lot_id: str | None = Field(description="the lot, when exactly one is involved; null otherwise")
    ticket_id: str | None = Field(description="the ticket that moved the points; null for entries of no ticket")
    reason: str | None = Field(description="the reason given with the operation; null when there was none")
    actor: str = Field(description="who did it: the API key's name, `webhook:billing` or `system:expiry`")
    created_at: datetime = Field(
        description="when it was written, or for a pending expiry when it was read (UTC, RFC 3339)"
    )
    effective_at: datetime = Field(
        description="when it took effect (UTC, RFC 3339): a lot's `expires_at` for an expiry, its `granted_at` "
        "for a grant, else `created_at`"
    )
    pending: bool = Field(
        description="true for a due expiry not yet written (the account's next write or the sweep writes it)"
    )


class Statement(BaseModel):
    """The account page's three parts, from one consistent snapshot. They reconcile: `available` =
    Σ `modifications` `available_delta` − Σ `in_progress` `captured_points` − Σ `closed`
    (`charged_points` − `returned_points`)."""

    model_config = _examples(
        {
            "balance": _BALANCE,
            "modifications": {"items": [_ENTRY_L2, _ENTRY_L1], "next_cursor": None},
            "in_progress": {"items": [_TICKET_OPEN], "next_cursor": None},
            "closed": {"items": [_TICKET_RESOLVED], "next_cursor": None},
        }
    )

    balance: Balance = Field(description="the account's balance")
    modifications: Page[LedgerEntry] = Field(
        description="where points came from and went other than to tickets: entries of kinds `purchase`, "
        "`license_bonus`, `adjustment`, `import`, `expiry` (pending ones included) and `revocation`, newest first; "
        "continued by `/ledger?view=modifications`"
    )
    in_progress: Page[Ticket] = Field(
        description="open tickets with the points captured for each, newest first; continued by `/tickets?status=open`"
    )
    closed: Page[Ticket] = Field(
        description="resolved and refunded tickets with the points each took, newest first; "
        "continued by `/tickets?status=resolved&status=refunded`"
    )


# ---- admin ---------------------------------------------------------------------------------


class SweepResult(BaseModel):
    """What the expiry sweep wrote."""

    model_config = _examples({"expired_lots": 3, "expired_points": 145, "accounts": ["cust-17", "cust-93"]})

    expired_lots: int = Field(description="lots whose expiry it wrote")
    expired_points: int = Field(description="whole points that expired")
    accounts: list[str] = Field(description="the accounts it wrote expiries for, by id")


_DISAGREEMENT = {
    "account_id": "cust-42",
    "check": "entries sum to counters",
    "expected": {"available": 145, "held": 25, "deducted": 10},
    "found": {"available": 150, "held": 25, "deducted": 10},
}


class Disagreement(BaseModel):
    """One check of the ledger that failed."""

    model_config = _examples(_DISAGREEMENT)

    account_id: str = Field(description="the account")
    check: str = Field(
        description="what was checked, e.g. `entries sum to counters` or `lot <id> states sum to points`"
    )
    expected: Any = Field(description="what the check expected: a number, or points per state")
    found: Any = Field(description="what it found instead")


class VerifyReport(BaseModel):
    """The ledger check: every balance recomputed from the ledger and the lots, and compared."""

    model_config = _examples(
        {"ok": True, "checked_accounts": 1250, "checked_lots": 4312, "disagreements": []},
        {"ok": False, "checked_accounts": 1, "checked_lots": 2, "disagreements": [_DISAGREEMENT]},
    )

    ok: bool = Field(description="true when every check agreed (`disagreements` is empty)")
    checked_accounts: int = Field(description="accounts checked")
    checked_lots: int = Field(description="lots checked")
    disagreements: list[Disagreement] = Field(description="the checks that failed")


class Health(BaseModel):
    """Liveness or readiness."""

    model_config = _examples({"status": "ok"})

    status: Literal["ok"] = Field(description="`ok`")


# ---- webhooks ------------------------------------------------------------------------------

_DELIVERY = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
_WEBHOOK_ACK = {
    "id": _DELIVERY,
    "type": "payment.succeeded",
    "outcome": "applied",
    "detail": "purchase recorded",
    "replayed": False,
}


class WebhookAck(BaseModel):
    """What became of a billing event."""

    model_config = _examples(_WEBHOOK_ACK, {**_WEBHOOK_ACK, "replayed": True})

    id: str = Field(description="the delivery's `webhook-id`")
    type: str = Field(description="the event's type, e.g. `payment.succeeded`")
    outcome: Literal["applied", "ignored", "failed", "needs_review", "conflict"] = Field(
        description="`applied`; `ignored` (a type not handled); `needs_review` (e.g. a partial refund, for ops); "
        "`conflict` (contradicts what was recorded); `failed` events are answered 422 instead"
    )
    detail: str | None = Field(description="what happened, in words; null when there is nothing to say")
    replayed: bool = Field(description="true when this delivery id was settled before: nothing was done")


class WebhookEvent(BaseModel):
    """A stored billing webhook delivery."""

    model_config = _examples(
        {
            **{key: value for key, value in _WEBHOOK_ACK.items() if key != "replayed"},
            "account_id": "cust-58",
            "lot_id": _T2_LOT,
            "attempts": 1,
            "payload": {
                "type": "payment.succeeded",
                "timestamp": "2026-05-04T12:00:00Z",
                "data": {
                    "payment_id": "pay_5Lr8sK2vN7bX1gQe",
                    "account_id": "cust-58",
                    "plan": "points-300",
                    "amount": "169.50",
                    "currency": "USD",
                    "paid_at": "2026-05-04T11:59:57Z",
                },
            },
            "received_at": "2026-05-04T12:00:00Z",
            "updated_at": "2026-05-04T12:00:00Z",
        }
    )

    id: str = Field(description="the delivery's `webhook-id`")
    type: str = Field(description="the event's type (`(none)` when the payload had none)")
    outcome: Literal["applied", "ignored", "failed", "needs_review", "conflict"] = Field(
        description="`applied`, `ignored` (a type not handled), `failed` (attempted again when the sender retries), "
        "`needs_review` (for ops) or `conflict` (contradicts what was recorded)"
    )
    detail: str | None = Field(description="what happened, in words; null when there is nothing to say")
    account_id: str | None = Field(description="the payload's `data.account_id`; null when it had none")
    lot_id: str | None = Field(description="the lot the event created or revoked; null when none")
    attempts: int = Field(description="how many times this delivery id was processed")
    payload: dict[str, Any] = Field(description="the event as received, unknown fields included")
    received_at: datetime = Field(description="when it was first received (UTC, RFC 3339)")
    updated_at: datetime = Field(description="when it was last processed (UTC, RFC 3339)")
