"""Request and response bodies. Request bodies reject unknown fields; points are strict integers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from ..domain import MAX_POINTS

T = TypeVar("T")

Points = Annotated[int, Field(strict=True, ge=0, le=MAX_POINTS, description="whole points")]
PositivePoints = Annotated[int, Field(strict=True, ge=1, le=MAX_POINTS)]
SignedPoints = Annotated[int, Field(strict=True, ge=-MAX_POINTS, le=MAX_POINTS)]
Quantity = Annotated[int, Field(strict=True, ge=0, le=1_000_000)]
Code = Annotated[str, Field(strict=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Ref = Annotated[str, Field(strict=True, min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
Reason = Annotated[str, Field(strict=True, min_length=1, max_length=500)]
Note = Annotated[str, Field(strict=True, max_length=2000)]
Name = Annotated[str, Field(strict=True, min_length=1, max_length=200)]
Currency = Annotated[str, Field(strict=True, pattern=r"^[A-Z]{3}$", examples=["USD"])]
Amount = Annotated[
    str,
    Field(strict=True, max_length=24, description="exact decimal with the currency's minor digits", examples=["34.50"]),
]


Instant = Annotated[
    AwareDatetime,
    AfterValidator(lambda moment: moment.astimezone(UTC)),
    Field(description="ISO 8601 with an offset; normalised to UTC", examples=["2026-11-26T10:00:00Z"]),
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
    unit: Annotated[str, Field(strict=True, min_length=1, max_length=100)]
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
    group: Annotated[str, Field(strict=True, min_length=1, max_length=64)]
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
    points: SignedPoints = Field(description="+N grants a new lot, −N writes off available points")
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
    subject: Annotated[str, Field(strict=True, max_length=500)] | None = None


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
