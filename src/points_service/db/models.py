"""Tables of the points ledger.

Design overview
---------------
* An **account** carries three counters (`available`, `held`, `deducted`) and `last_seq`, the
  sequence number of its newest ledger entry. Every write locks the account row first; the
  counters are a cache of the ledger that `verify` recomputes.
* A **lot** is one arrival of points. Its seven state columns always sum to `points` (a CHECK).
  A lot's `available` points still count after `expires_at` until an `expiry` entry moves them
  to `expired`; reads subtract such pending expiries themselves.
* A **ledger entry** is one operation on one account, append-only, numbered gaplessly per
  account. Its **postings** move points of one lot from one state to another (`from_state`
  NULL: the lot was created). Lot counters change only together with a posting.
* A **ticket** holds points through its **allocations** (one per lot per capture step, in
  sequence); its **events** are the history, one per version.

Relationships are `lazy="raise"`: everything is loaded on purpose.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import BigIntPK, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LOT_STATES = ("available", "held", "deducted", "expired", "revoked", "written_off", "reissued")
LOT_SOURCES = ("purchase", "license_bonus", "adjustment", "import", "returned")
ENTRY_KINDS = (
    "purchase",
    "license_bonus",
    "adjustment",
    "import",
    "expiry",
    "revocation",
    "capture",
    "capture_increase",
    "capture_decrease",
    "deduction",
    "return",
)
TICKET_STATUSES = ("open", "resolved", "refunded")
ROLES = ("admin", "billing", "helpdesk", "viewer")
BONUS_POLICIES = ("first_license", "every_license")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), int: BigInteger(), dict[str, Any]: JSON(), str: Text()}


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("(role = 'viewer') = (account_id IS NOT NULL)", name="viewer_bound"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[str | None] = mapped_column(String(64))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
    )

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    points: Mapped[int]
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Category(Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    group: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    pricing: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LicenseProduct(Base):
    __tablename__ = "license_products"
    __table_args__ = (
        CheckConstraint("bonus_points >= 0", name="bonus_not_negative"),
        CheckConstraint(_in("bonus_policy", BONUS_POLICIES), name="bonus_policy"),
    )

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    bonus_points: Mapped[int]
    bonus_policy: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("available >= 0", name="available_not_negative"),
        CheckConstraint("held >= 0", name="held_not_negative"),
        CheckConstraint("deducted >= 0", name="deducted_not_negative"),
        CheckConstraint("last_seq >= 0", name="last_seq_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    available: Mapped[int]
    held: Mapped[int]
    deducted: Mapped[int]
    last_seq: Mapped[int]
    # created_at of the newest ledger entry: a command's clock never goes back past it.
    ledger_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Lot(Base):
    __tablename__ = "lots"
    __table_args__ = (
        CheckConstraint(_in("source", LOT_SOURCES), name="source"),
        CheckConstraint("points > 0", name="points_positive"),
        *(CheckConstraint(f"{state} >= 0", name=f"{state}_not_negative") for state in LOT_STATES),
        CheckConstraint(" + ".join(LOT_STATES) + " = points", name="states_sum_to_points"),
        CheckConstraint("(paid_minor IS NULL) = (paid_currency IS NULL)", name="paid_complete"),
        Index("ix_lots_account_id_expires_at", "account_id", "expires_at"),
        Index("ix_lots_expires_at", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    source: Mapped[str] = mapped_column(String(16))
    points: Mapped[int]
    available: Mapped[int]
    held: Mapped[int]
    deducted: Mapped[int]
    expired: Mapped[int]
    revoked: Mapped[int]
    written_off: Mapped[int]
    reissued: Mapped[int]
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    plan_code: Mapped[str | None] = mapped_column(ForeignKey("plans.code"))
    paid_minor: Mapped[int | None]
    paid_currency: Mapped[str | None] = mapped_column(String(3))
    payment_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    license_key: Mapped[str | None] = mapped_column(String(128))
    external_ref: Mapped[str | None] = mapped_column(String(128), unique=True)
    origin_lot_id: Mapped[str | None] = mapped_column(ForeignKey("lots.id"), index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


class License(Base):
    __tablename__ = "licenses"

    license_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    product_code: Mapped[str] = mapped_column(ForeignKey("license_products.code"))
    purchased_at: Mapped[datetime]
    lot_id: Mapped[str | None] = mapped_column(ForeignKey("lots.id"))
    created_at: Mapped[datetime]


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("account_id", "external_ref"),
        CheckConstraint(_in("status", TICKET_STATUSES), name="status"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("estimated_points >= 0", name="estimated_not_negative"),
        CheckConstraint("captured_points >= 0", name="captured_not_negative"),
        CheckConstraint("charged_points >= 0", name="charged_not_negative"),
        CheckConstraint("deducted_points >= 0", name="deducted_not_negative"),
        CheckConstraint("returned_points >= 0", name="returned_not_negative"),
        CheckConstraint("forfeited_points >= 0", name="forfeited_not_negative"),
        CheckConstraint("status = 'open' OR captured_points = 0", name="closed_holds_nothing"),
        CheckConstraint("returned_points <= charged_points", name="returned_within_charged"),
        CheckConstraint("deducted_points <= charged_points", name="deducted_within_charged"),
        Index("ix_tickets_account_id_opened_at", "account_id", "opened_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    external_ref: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str | None] = mapped_column(String(500))
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    pricing: Mapped[dict[str, Any]]
    quantity: Mapped[int | None]
    estimated_points: Mapped[int]
    captured_points: Mapped[int]
    charged_points: Mapped[int]
    deducted_points: Mapped[int]
    returned_points: Mapped[int]
    forfeited_points: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int]
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class TicketAllocation(Base):
    """One capture step's take from one lot, and what became of it."""

    __tablename__ = "ticket_allocations"
    __table_args__ = (
        *(
            CheckConstraint(f"{c} >= 0", name=f"{c}_not_negative")
            for c in ("held", "released", "deducted", "returned")
        ),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("held + released <= points", name="held_within_points"),
        CheckConstraint("deducted + released <= points", name="deducted_within_points"),
        CheckConstraint("returned <= points - released", name="returned_within_points"),
    )

    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), index=True)
    points: Mapped[int]  # taken by the capture step
    held: Mapped[int]  # still held
    released: Mapped[int]  # given back by lowering the capture while open
    deducted: Mapped[int]  # taken for good at resolution
    returned: Mapped[int]  # given back after leaving open (refund, credit)


class TicketEvent(Base):
    __tablename__ = "ticket_events"
    __table_args__ = (UniqueConstraint("ticket_id", "version"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"))
    version: Mapped[int]
    action: Mapped[str] = mapped_column(String(16))
    points: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(2000))
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime]


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("account_id", "seq"),
        CheckConstraint(_in("kind", ENTRY_KINDS), name="kind"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint("available_after >= 0", name="available_after_not_negative"),
        CheckConstraint("held_after >= 0", name="held_after_not_negative"),
        CheckConstraint("deducted_after >= 0", name="deducted_after_not_negative"),
        CheckConstraint(
            "available_delta <> 0 OR held_delta <> 0 OR deducted_delta <> 0",
            name="moves_points",
        ),
        Index("ix_ledger_entries_ticket_id", "ticket_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(24))
    available_delta: Mapped[int]
    held_delta: Mapped[int]
    deducted_delta: Mapped[int]
    available_after: Mapped[int]
    held_after: Mapped[int]
    deducted_after: Mapped[int]
    lot_id: Mapped[str | None] = mapped_column(ForeignKey("lots.id"))
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    effective_at: Mapped[datetime]


class Posting(Base):
    """Points of one lot moving from one state to another within a ledger entry."""

    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint(_in("to_state", LOT_STATES), name="to_state"),
        CheckConstraint("from_state IS NULL OR " + _in("from_state", LOT_STATES), name="from_state"),
        CheckConstraint("from_state IS NULL OR from_state <> to_state", name="moves"),
    )

    entry_id: Mapped[str] = mapped_column(ForeignKey("ledger_entries.id"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    points: Mapped[int]


WEBHOOK_OUTCOMES = ("applied", "ignored", "failed", "needs_review", "conflict")


class WebhookEvent(Base):
    """One billing webhook delivery, stored by its `webhook-id` with what came of it."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        CheckConstraint(_in("outcome", WEBHOOK_OUTCOMES), name="outcome"),
        CheckConstraint("attempts >= 1", name="attempts_positive"),
        Index("ix_webhook_events_outcome_received_at", "outcome", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # the webhook-id header
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]  # the whole event, unknown fields included
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(1000))
    account_id: Mapped[str | None] = mapped_column(String(64))
    lot_id: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int]
    received_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IdempotencyKey(Base):
    """A POST's Idempotency-Key, scoped to the API key, with the response it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)

    api_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # the API key's name
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str]
    headers: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
