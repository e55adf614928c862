"""Rows as values: one frozen dataclass per table, its fields named and ordered as its columns.

Records are immutable: a command that changes a row makes a new version (`dataclasses.replace`)
and hands it to its transaction (`services.state`), so a command that fails leaves nothing behind
in memory, and no code can change a row behind the ledger's back.

`SELECT[Record]` reads a table's columns in field order, so a result row builds a record
positionally (`Record(*row)`), the cheapest way there is.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Select, Table, select

from ..domain.spans import span_class
from . import schema as t


@dataclass(frozen=True, slots=True)
class Account:
    TABLE: ClassVar[Table] = t.accounts
    MUTABLE: ClassVar[tuple[str, ...]] = (
        "display_name",
        "metadata",
        "available",
        "held",
        "deducted",
        "last_seq",
        "ledger_at",
        "updated_at",
        "event_seq",
        "low_balance_threshold",
        "low_balance",
        "awaiting_count",
        "awaiting_points",
    )

    id: str
    display_name: str | None
    metadata: dict[str, Any]
    available: int
    held: int
    deducted: int
    last_seq: int
    ledger_at: datetime | None
    created_at: datetime
    updated_at: datetime
    event_seq: int
    low_balance_threshold: int | None
    low_balance: bool
    awaiting_count: int
    awaiting_points: int

    @property
    def pk(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Lot:
    TABLE: ClassVar[Table] = t.lots
    MUTABLE: ClassVar[tuple[str, ...]] = (*t.LOT_STATES, "revoked_at", "notice_days", "emptied_at", "emptied_class")

    id: str
    account_id: str
    source: str
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
    plan_code: str | None
    paid_minor: int | None
    paid_currency: str | None
    payment_id: str | None
    license_key: str | None
    external_ref: str | None
    origin_lot_id: str | None
    reason: str | None
    created_at: datetime
    notice_days: int | None
    unit_price: str  # decimal text: `domain.money.unit_price`
    unit_currency: str
    basis_plan_code: str | None
    # while it holds no points, when it last stopped holding them (its newest posting out of available
    # or held that left it none; None while it holds some: `AccountWriter.post` keeps it), and the
    # class of the span from its recording to then, derived here
    emptied_at: datetime | None = None
    emptied_class: int | None = None

    def __post_init__(self) -> None:
        if self.emptied_class is None and self.emptied_at is not None:
            object.__setattr__(self, "emptied_class", span_class(self.created_at, self.emptied_at))

    @property
    def pk(self) -> str:
        return self.id

    def states(self) -> dict[str, int]:
        return {state: getattr(self, state) for state in t.LOT_STATES}


@dataclass(frozen=True, slots=True)
class Ticket:
    TABLE: ClassVar[Table] = t.tickets
    MUTABLE: ClassVar[tuple[str, ...]] = (
        "category_code",
        "pricing",
        "quantity",
        "captured_points",
        "charged_points",
        "deducted_points",
        "returned_points",
        "forfeited_points",
        "status",
        "version",
        "resolved_at",
        "refunded_at",
        "closed_at",
        "estimated_points",
        "changed_at",
        "idle_noticed",
        "span_class",
    )

    id: str
    account_id: str
    external_ref: str
    subject: str | None
    category_code: str
    pricing: dict[str, Any]
    quantity: int | None
    estimated_points: int
    captured_points: int
    charged_points: int
    deducted_points: int
    returned_points: int
    forfeited_points: int
    status: str
    version: int
    opened_at: datetime
    resolved_at: datetime | None
    refunded_at: datetime | None
    closed_at: datetime | None
    changed_at: datetime
    idle_noticed: bool
    waited: bool = False  # opened to wait for points (set once, at opening)
    # how long it stayed in progress, once closed (`domain.spans.span_class`): derived here from
    # `opened_at` and `closed_at` when the ticket is closed, so no command sets it
    span_class: int | None = None

    def __post_init__(self) -> None:
        if self.span_class is None and self.closed_at is not None:
            object.__setattr__(self, "span_class", span_class(self.opened_at, self.closed_at))

    @property
    def pk(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Allocation:
    """One capture step's take from one lot, and what became of it."""

    TABLE: ClassVar[Table] = t.ticket_allocations
    MUTABLE: ClassVar[tuple[str, ...]] = ("held", "released", "deducted", "returned")

    ticket_id: str
    seq: int
    lot_id: str
    points: int  # taken by the capture step
    held: int  # still held
    released: int  # given back by lowering the capture while open
    deducted: int  # taken for good at resolution
    returned: int  # given back after leaving open (refund, credit)

    @property
    def pk(self) -> tuple[str, int]:
        return (self.ticket_id, self.seq)


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One line of a ticket's history (the database numbers the rows; a ticket's are by version)."""

    TABLE: ClassVar[Table] = t.ticket_events
    MUTABLE: ClassVar[tuple[str, ...]] = ()

    ticket_id: str
    version: int
    action: str
    points: int
    reason: str | None
    note: str | None
    actor: str
    at: datetime
    # The ticket's estimate and classification after this change, which the history's points do not
    # tell (as-of reads rebuild the ticket from its rows). NULL in rows written before migration 0009.
    estimated_points: int | None = None
    category_code: str | None = None
    quantity: int | None = None
    pricing: dict[str, Any] | None = None

    @property
    def pk(self) -> tuple[str, int]:
        return (self.ticket_id, self.version)


@dataclass(frozen=True, slots=True)
class Dispute:
    """A customer's claim against a resolved ticket's charge, and its outcome (`domain.disputes`)."""

    TABLE: ClassVar[Table] = t.disputes
    MUTABLE: ClassVar[tuple[str, ...]] = ("status", "points_credited", "resolution_note", "closed_at", "closed_by")

    id: str
    ticket_id: str
    account_id: str
    status: str
    points_claimed: int | None
    points_credited: int | None
    reason: str
    resolution_note: str | None
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str | None

    @property
    def pk(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Entry:
    """A ledger entry."""

    TABLE: ClassVar[Table] = t.ledger_entries
    MUTABLE: ClassVar[tuple[str, ...]] = ()

    id: str
    account_id: str
    seq: int
    kind: str
    available_delta: int
    held_delta: int
    deducted_delta: int
    available_after: int
    held_after: int
    deducted_after: int
    lot_id: str | None
    ticket_id: str | None
    reason: str | None
    actor: str
    created_at: datetime
    effective_at: datetime
    dispute_id: str | None = None  # the accepted dispute whose credit this `return` entry is

    @property
    def pk(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Event:
    """An outgoing event, written with the change it reports (`services.events`)."""

    TABLE: ClassVar[Table] = t.events
    MUTABLE: ClassVar[tuple[str, ...]] = ()

    id: str
    account_id: str
    seq: int
    type: str
    created_at: datetime
    data: dict[str, Any]
    fanned_out: bool

    @property
    def pk(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Posting:
    TABLE: ClassVar[Table] = t.postings
    MUTABLE: ClassVar[tuple[str, ...]] = ()

    entry_id: str
    idx: int
    lot_id: str
    from_state: str | None
    to_state: str
    points: int
    seq: int  # its entry's
    # the lot's states after it
    available_after: int
    held_after: int
    deducted_after: int
    expired_after: int
    revoked_after: int
    written_off_after: int
    reissued_after: int

    @property
    def pk(self) -> tuple[str, int]:
        return (self.entry_id, self.idx)

    def view(self) -> dict[str, Any]:
        return {"lot_id": self.lot_id, "from_state": self.from_state, "to_state": self.to_state, "points": self.points}


@dataclass(frozen=True, slots=True)
class License:
    TABLE: ClassVar[Table] = t.licenses
    MUTABLE: ClassVar[tuple[str, ...]] = ()

    license_key: str
    account_id: str
    product_code: str
    purchased_at: datetime
    lot_id: str | None
    created_at: datetime

    @property
    def pk(self) -> str:
        return self.license_key


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    TABLE: ClassVar[Table] = t.webhook_events
    MUTABLE: ClassVar[tuple[str, ...]] = (
        "type",
        "payload",
        "outcome",
        "detail",
        "account_id",
        "lot_id",
        "attempts",
        "updated_at",
    )

    id: str
    type: str
    payload: dict[str, Any]
    outcome: str
    detail: str | None
    account_id: str | None
    lot_id: str | None
    attempts: int
    received_at: datetime
    updated_at: datetime

    @property
    def pk(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The response an Idempotency-Key got, stored with the effect it reports."""

    TABLE: ClassVar[Table] = t.idempotency_keys
    MUTABLE: ClassVar[tuple[str, ...]] = ()

    api_key: str
    key: str
    fingerprint: str
    status_code: int
    body: str
    headers: dict[str, str]
    created_at: datetime

    @property
    def pk(self) -> tuple[str, str]:
        return (self.api_key, self.key)


@dataclass(frozen=True, slots=True)
class Plan:
    TABLE: ClassVar[Table] = t.plans
    MUTABLE: ClassVar[tuple[str, ...]] = ("points", "price_minor", "currency", "active", "updated_at")

    code: str
    points: int
    price_minor: int
    currency: str
    active: bool
    created_at: datetime
    updated_at: datetime

    @property
    def pk(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Category:
    TABLE: ClassVar[Table] = t.categories
    MUTABLE: ClassVar[tuple[str, ...]] = ("group", "name", "pricing", "active", "updated_at")

    code: str
    group: str
    name: str
    pricing: dict[str, Any]
    active: bool
    created_at: datetime
    updated_at: datetime

    @property
    def pk(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class LicenseProduct:
    TABLE: ClassVar[Table] = t.license_products
    MUTABLE: ClassVar[tuple[str, ...]] = ("name", "bonus_points", "bonus_policy", "active", "updated_at")

    code: str
    name: str
    bonus_points: int
    bonus_policy: str
    active: bool
    created_at: datetime
    updated_at: datetime

    @property
    def pk(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class ApiKey:
    TABLE: ClassVar[Table] = t.api_keys
    MUTABLE: ClassVar[tuple[str, ...]] = ("revoked_at",)

    id: str
    name: str
    role: str
    account_id: str | None
    key_hash: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def pk(self) -> str:
        return self.id


# Every record class, each after the tables its foreign keys refer to: the order a write batch's
# flush inserts and updates them in (services/flush.py).
RECORDS: tuple[type[Any], ...] = (
    Account,
    Plan,
    Category,
    LicenseProduct,
    ApiKey,
    Lot,
    License,
    Ticket,
    Allocation,
    TicketEvent,
    Dispute,
    Entry,
    Posting,
    Event,
    WebhookEvent,
    StoredResponse,
)


def field_names(cls: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


FIELDS: dict[type[Any], tuple[str, ...]] = {cls: field_names(cls) for cls in RECORDS}
# `Record(*row)` on a row of these: mypy (1.20) cannot star-unpack SQLAlchemy 2.1's variadic
# `Row[*tuple[Any, ...]]` into typed parameters (it takes each item as `object`), so each such call
# carries `type: ignore[arg-type]`; SELECT[Record] reads the columns in the record's field order.
SELECT: dict[type[Any], Select[Any]] = {cls: select(*(cls.TABLE.c[name] for name in FIELDS[cls])) for cls in RECORDS}
