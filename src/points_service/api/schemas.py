"""Request and response bodies. Request bodies reject unknown fields; points are strict integers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, BaseModel, ConfigDict, Field, StrictBool

from ..domain import MAX_POINTS
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
        description="exact decimal with exactly the currency's minor digits (`34.50` in USD, `3450` in JPY)",
        examples=["34.50"],
    ),
]


# RFC 3339 `date-time`, what the document's `format: date-time` promises. Pydantic alone would also
# take Unix times (`0.5`, `"1700000000"`) and a space for the `T`.
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")


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
    Field(description="RFC 3339 (ISO 8601) timestamp with an offset; normalised to UTC", examples=["2026-11-26T10:00:00Z"]),
]


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Money(RequestBody):
    amount: Amount
    currency: Currency


# ---- catalogue -----------------------------------------------------------------------------


class FixedPricing(RequestBody):
    type: Literal["fixed"]
    points: Points


class RangePricing(RequestBody):
    type: Literal["range"]
    min: Points
    max: Points


class FromPricing(RequestBody):
    type: Literal["from"]
    min: Points


class FormulaPricing(RequestBody):
    """`base + per_unit × quantity`, quantity counted in `unit` and at least `min_quantity`."""

    type: Literal["formula"]
    base: Points
    per_unit: Points
    unit: Annotated[str, Field(strict=True, min_length=1, max_length=100, pattern=NO_NUL)]
    min_quantity: Quantity


class UponRequestPricing(RequestBody):
    type: Literal["upon_request"]


Pricing = Annotated[
    FixedPricing | RangePricing | FromPricing | FormulaPricing | UponRequestPricing, Field(discriminator="type")
]


class Plan(BaseModel):
    code: str
    points: int
    price: Money
    active: bool


class PlanPut(RequestBody):
    points: PositivePoints
    price: Money
    active: StrictBool = True


class Category(BaseModel):
    code: str
    group: str
    name: str
    pricing: Pricing
    active: bool


class CategoryPut(RequestBody):
    group: Annotated[str, Field(strict=True, min_length=1, max_length=64, pattern=NO_NUL)]
    name: Name
    pricing: Pricing
    active: StrictBool = True


class LicenseProduct(BaseModel):
    code: str
    name: str
    bonus_points: int
    bonus_policy: Literal["first_license", "every_license"]
    active: bool


class LicenseProductPut(RequestBody):
    name: Name
    bonus_points: Points
    bonus_policy: Literal["first_license", "every_license"]
    active: StrictBool = True


class Quote(BaseModel):
    category: str
    pricing: Pricing
    quantity: int | None
    points: int | None
    min: int | None
    max: int | None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


# ---- accounts and balances -----------------------------------------------------------------


class ExpiringLot(BaseModel):
    lot_id: str
    points: int
    expires_at: datetime


class Balance(BaseModel):
    account_id: str
    available: int
    held: int
    deducted: int
    expiring: list[ExpiringLot]
    as_of: datetime


class Account(BaseModel):
    account_id: str
    display_name: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    balance: Balance


class AccountPut(RequestBody):
    display_name: Name | None = None
    metadata: Annotated[dict[str, Any], Field(max_length=50)] | None = None


class ExpiringAccount(BaseModel):
    account_id: str
    display_name: str | None
    expiring_points: int
    expiring: list[ExpiringLot]


# ---- lots ----------------------------------------------------------------------------------


class Lot(BaseModel):
    id: str
    account_id: str
    source: Literal["purchase", "license_bonus", "adjustment", "import", "returned"]
    points: int
    available: int
    held: int
    deducted: int
    expired: int
    revoked: int
    written_off: int
    reissued: int
    granted_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    plan: str | None
    paid: Money | None
    payment_id: str | None
    license_key: str | None
    external_ref: str | None
    origin_lot_id: str | None


class PurchaseCreate(RequestBody):
    plan: Code
    payment_id: Ref
    purchased_at: Instant | None = None
    paid: Money | None = Field(default=None, description="defaults to the plan's price")


class LotWithBalance(BaseModel):
    lot: Lot
    balance: Balance


class LicenseCreate(RequestBody):
    license_key: Ref
    product: Code
    purchased_at: Instant | None = None


class License(BaseModel):
    license_key: str
    account_id: str
    product: str
    purchased_at: datetime
    lot_id: str | None


class LicenseResult(BaseModel):
    license: License
    lot: Lot | None
    balance: Balance


class ImportCreate(RequestBody):
    points: PositivePoints
    granted_at: Instant
    expires_at: Instant | None = Field(
        default=None, description="omitted: two years from granted_at; null: never expires"
    )
    external_ref: Ref
    payment_id: Ref | None = None
    reason: Reason


class AdjustmentCreate(RequestBody):
    points: SignedPoints = Field(
        description="+N grants a new lot, −N writes off available points; never 0",
        json_schema_extra={"not": {"const": 0}},  # checked by the route (a 422 pointing at #/points)
    )
    reason: Reason
    expires_at: Instant | None = Field(
        default=None, description="positive adjustments only; omitted: two years from now; null: never"
    )


class PostingOut(BaseModel):
    lot_id: str
    from_state: str | None
    to_state: str
    points: int


class AdjustmentResult(BaseModel):
    lot: Lot | None
    postings: list[PostingOut]
    balance: Balance


class RevokeRequest(RequestBody):
    reason: Reason


class Revocation(BaseModel):
    lot: Lot
    revoked: int
    held_by_open_tickets: int
    unrecoverable: int
    already_expired: int
    written_off: int
    reissued: int
    revoked_from_reissued_lots: int


# ---- tickets -------------------------------------------------------------------------------


class TicketCreate(RequestBody):
    external_ref: Ref
    category: Code
    quantity: Quantity | None = None
    estimated_points: Points | None = None
    subject: Annotated[str, Field(strict=True, max_length=500, pattern=NO_NUL)] | None = None


class TicketAdjust(RequestBody):
    points: Points
    reason: Reason
    category: Code | None = None
    quantity: Quantity | None = None


class TicketResolve(RequestBody):
    points: Points | None = None
    note: Note | None = None


class TicketRefund(RequestBody):
    reason: Literal["software_bug", "withdrawn", "duplicate", "other"]
    note: Note | None = None


class TicketCredit(RequestBody):
    points: Points = Field(description="1 to deducted − returned; outside → 422 with `max_points`")
    reason: Reason


class Ticket(BaseModel):
    id: str
    account_id: str
    external_ref: str
    subject: str | None
    category: str
    pricing: Pricing
    quantity: int | None
    estimated_points: int
    captured_points: int
    charged_points: int
    deducted_points: int
    returned_points: int
    forfeited_points: int
    status: Literal["open", "resolved", "refunded"]
    version: int
    opened_at: datetime
    resolved_at: datetime | None
    refunded_at: datetime | None
    closed_at: datetime | None


class AllocationOut(BaseModel):
    seq: int
    lot_id: str
    held: int
    deducted: int
    returned: int


class HistoryEntry(BaseModel):
    at: datetime
    action: Literal["opened", "adjusted", "resolved", "refunded", "credited"]
    points: int
    reason: str | None
    note: str | None
    actor: str
    version: int


class TicketDetail(Ticket):
    allocations: list[AllocationOut]
    history: list[HistoryEntry]


# ---- ledger --------------------------------------------------------------------------------


class LedgerEntry(BaseModel):
    id: str
    seq: int | None = Field(description="null for a pending expiry, not yet written")
    account_id: str
    kind: str
    available_delta: int
    held_delta: int
    deducted_delta: int
    available_after: int
    held_after: int
    deducted_after: int
    postings: list[PostingOut]
    lot_id: str | None
    ticket_id: str | None
    reason: str | None
    actor: str
    created_at: datetime
    effective_at: datetime
    pending: bool


class Statement(BaseModel):
    balance: Balance
    modifications: Page[LedgerEntry]
    in_progress: Page[Ticket]
    closed: Page[Ticket]


# ---- admin ---------------------------------------------------------------------------------


class SweepResult(BaseModel):
    expired_lots: int
    expired_points: int
    accounts: list[str]


class Disagreement(BaseModel):
    account_id: str
    check: str
    expected: Any
    found: Any


class VerifyReport(BaseModel):
    ok: bool
    checked_accounts: int
    checked_lots: int
    disagreements: list[Disagreement]


class Health(BaseModel):
    status: Literal["ok"]



# ---- webhooks ------------------------------------------------------------------------------


class WebhookAck(BaseModel):
    id: str
    type: str
    outcome: Literal["applied", "ignored", "failed", "needs_review", "conflict"]
    detail: str | None
    replayed: bool = Field(description="true when this delivery id was settled before: nothing was done")


class WebhookEvent(BaseModel):
    id: str
    type: str
    outcome: Literal["applied", "ignored", "failed", "needs_review", "conflict"]
    detail: str | None
    account_id: str | None
    lot_id: str | None
    attempts: int
    payload: dict[str, Any]
    received_at: datetime
    updated_at: datetime
