"""The tables of the points ledger (SQLAlchemy Core; Alembic compares the migrations with them).

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
* **catalogue_state** holds one row whose `version` grows with every catalogue change, so that
  each process's in-memory copy of the catalogue knows when it is stale (`services.catalogue`).

There is no ORM: the write path and the reads use these `Table` objects directly.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    literal_column,
    or_,
)
from sqlalchemy.sql import ColumnElement

from ..domain.delivery import DeliveryStatus
from ..domain.disputes import CREDIT_REASON, DisputeStatus
from ..domain.events import EventType
from ..domain.ledger import EntryKind
from ..domain.lots import LotSource, LotState
from ..domain.spans import SPAN_CLASSES
from ..domain.tickets import TicketStatus
from ..domain.vocabulary import BonusPolicy, Outcome, Role
from .types import BigIntPK, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The vocabularies are the domain's StrEnums; the CHECK constraints below list their values.
LOT_STATES: tuple[str, ...] = tuple(state.value for state in LotState)
LOT_SOURCES: tuple[str, ...] = tuple(source.value for source in LotSource)
ENTRY_KINDS: tuple[str, ...] = tuple(kind.value for kind in EntryKind)
TICKET_STATUSES: tuple[str, ...] = tuple(status.value for status in TicketStatus)
EVENT_TYPES: tuple[str, ...] = tuple(kind.value for kind in EventType)
DISPUTE_STATUSES: tuple[str, ...] = tuple(status.value for status in DisputeStatus)
DELIVERY_STATUSES: tuple[str, ...] = tuple(status.value for status in DeliveryStatus)
ROLES: tuple[str, ...] = tuple(role.value for role in Role)
BONUS_POLICIES: tuple[str, ...] = tuple(policy.value for policy in BonusPolicy)
WEBHOOK_OUTCOMES: tuple[str, ...] = tuple(outcome.value for outcome in Outcome)

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def is_word(column: ColumnElement[str], word: str, vocabulary: tuple[str, ...]) -> ColumnElement[bool]:
    """`column = 'word'` with the word written into the statement, for a column whose CHECK allows
    only `vocabulary`: how every statement names a fixed status or kind. A partial index's condition
    must be written so for SQLite to match a query to it (`IDLE_UNTOLD`, `OPEN_DISPUTE`,
    `PENDING_DELIVERY`), and compared to a bound parameter instead, a column such a condition names
    makes SQLite prepare the statement again at every run, to see whether the index applies to the
    value bound (docs/performance.md, "Statements SQLite prepared again at every run")."""
    if word not in vocabulary:
        raise ValueError(f"{word!r} is not one of {vocabulary}")
    return column == literal_column(f"'{word}'")


def _when(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, UTCDateTime(), nullable=nullable)


def _points(name: str) -> Column[int]:
    return Column(name, BigInteger(), nullable=False)


api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("account_id", String(64)),
    Column("key_hash", String(64), nullable=False, unique=True),
    _when("created_at"),
    _when("revoked_at", nullable=True),
    CheckConstraint(_in("role", ROLES), name="role"),
    CheckConstraint("(role = 'viewer') = (account_id IS NOT NULL)", name="viewer_bound"),
)

plans = Table(
    "plans",
    metadata,
    Column("code", String(64), primary_key=True),
    _points("points"),
    Column("price_minor", BigInteger(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("active", Boolean(), nullable=False),
    _when("created_at"),
    _when("updated_at"),
    CheckConstraint("points > 0", name="points_positive"),
    CheckConstraint("price_minor >= 0", name="price_not_negative"),
)

categories = Table(
    "categories",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("group", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("pricing", JSON(), nullable=False),
    Column("active", Boolean(), nullable=False),
    _when("created_at"),
    _when("updated_at"),
)

license_products = Table(
    "license_products",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    _points("bonus_points"),
    Column("bonus_policy", String(32), nullable=False),
    Column("active", Boolean(), nullable=False),
    _when("created_at"),
    _when("updated_at"),
    CheckConstraint("bonus_points >= 0", name="bonus_not_negative"),
    CheckConstraint(_in("bonus_policy", BONUS_POLICIES), name="bonus_policy"),
)

catalogue_state = Table(
    "catalogue_state",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=False),
    Column("version", BigInteger(), nullable=False),
    CheckConstraint("id = 1", name="one_row"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("display_name", String(200)),
    Column("metadata", JSON(), nullable=False),
    _points("available"),
    _points("held"),
    _points("deducted"),
    Column("last_seq", BigInteger(), nullable=False),
    # created_at of the newest ledger entry: a command's clock never goes back past it.
    _when("ledger_at", nullable=True),
    _when("created_at"),
    _when("updated_at"),
    Column("event_seq", BigInteger(), nullable=False, server_default="0"),  # seq of its newest event
    Column("low_balance_threshold", BigInteger()),  # NULL: no balance.low events
    Column("low_balance", Boolean(), nullable=False, server_default="false"),  # told balance.low last
    # tickets waiting for points (`awaiting_points`): how many, and the points they wait for
    Column("awaiting_count", BigInteger(), nullable=False, server_default="0"),
    Column("awaiting_points", BigInteger(), nullable=False, server_default="0"),
    CheckConstraint("available >= 0", name="available_not_negative"),
    CheckConstraint("held >= 0", name="held_not_negative"),
    CheckConstraint("deducted >= 0", name="deducted_not_negative"),
    CheckConstraint("last_seq >= 0", name="last_seq_not_negative"),
    CheckConstraint("event_seq >= 0", name="event_seq_not_negative"),
    CheckConstraint("low_balance_threshold >= 0", name="low_balance_threshold_not_negative"),
    CheckConstraint("awaiting_count >= 0", name="awaiting_count_not_negative"),
    CheckConstraint("awaiting_points >= 0", name="awaiting_points_not_negative"),
)

lots = Table(
    "lots",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False),
    Column("source", String(16), nullable=False),
    *(_points(name) for name in ("points", *LOT_STATES)),
    _when("granted_at"),
    _when("expires_at", nullable=True),
    _when("revoked_at", nullable=True),
    Column("plan_code", String(64), ForeignKey("plans.code")),
    Column("paid_minor", BigInteger()),
    Column("paid_currency", String(3)),
    Column("payment_id", String(128), unique=True),
    Column("license_key", String(128)),
    Column("external_ref", String(128), unique=True),
    Column("origin_lot_id", String(32), ForeignKey("lots.id"), index=True),
    Column("reason", String(500)),
    _when("created_at"),
    Column("notice_days", Integer()),  # the smallest lot.expiring_soon notice sent (days), NULL: none
    # Cost basis: what one point cost (decimal text, `UNIT_PRICE_PLACES` places; zero when nothing was
    # paid) and in which currency; a returned lot keeps its origin's, and its plan (`basis_plan_code`).
    Column("unit_price", String(40), nullable=False),
    Column("unit_currency", String(3), nullable=False),
    Column("basis_plan_code", String(64)),
    # while it holds no points (available and held both 0), when it last stopped holding them (its
    # newest posting out of available or held that left it none), NULL while it holds some; and the
    # class of the span from its recording to then (`domain.spans.span_class`): the lots holding
    # points at an instant and none now are, per class, a short range of these times after it
    _when("emptied_at", nullable=True),
    Column("emptied_class", SmallInteger(), nullable=True),
    CheckConstraint(_in("source", LOT_SOURCES), name="source"),
    CheckConstraint("points > 0", name="points_positive"),
    *(CheckConstraint(f"{state} >= 0", name=f"{state}_not_negative") for state in LOT_STATES),
    CheckConstraint(" + ".join(LOT_STATES) + " = points", name="states_sum_to_points"),
    CheckConstraint("(paid_minor IS NULL) = (paid_currency IS NULL)", name="paid_complete"),
    CheckConstraint("(available > 0 OR held > 0) = (emptied_at IS NULL)", name="emptied_when_holding_none"),
    CheckConstraint("(emptied_at IS NULL) = (emptied_class IS NULL)", name="emptied_class_when_emptied"),
    CheckConstraint(f"emptied_class BETWEEN 0 AND {SPAN_CLASSES - 1}", name="emptied_class_known"),
    # An account's lots in consumption order (the lots list with `include_empty`).
    Index("ix_lots_account_order", "account_id", "expires_at", "granted_at", "id"),
)

# Partial indexes: only the lots that still hold points, which stay few however long the history.
# Their conditions are written with literal constants, and queries use these same expressions:
# SQLite uses a partial index only when the query's WHERE names its condition (a bound 0 would not do).
LIVE_LOT = or_(lots.c.held > literal_column("0"), lots.c.available > literal_column("0"))
SPENDABLE_LOT = lots.c.available > literal_column("0")
# The lots list (without `include_empty`) and the balance's expiring points.
Index(
    "ix_lots_live",
    lots.c.account_id,
    lots.c.expires_at,
    lots.c.granted_at,
    lots.c.id,
    sqlite_where=LIVE_LOT,
    postgresql_where=LIVE_LOT,
)
# The lots holding points at an instant and none now (as-of reads): per span class, those emptied
# within the class's bound after it, recorded by then; with their ids. Partial, so that no live read
# is planned through it (those holding points now: `ix_lots_live`).
EMPTIED_LOT = lots.c.emptied_at.is_not(None)
Index(
    "ix_lots_account_emptied",
    lots.c.account_id,
    lots.c.emptied_class,
    lots.c.emptied_at,
    lots.c.created_at,
    lots.c.id,
    sqlite_where=EMPTIED_LOT,
    postgresql_where=EMPTIED_LOT,
)
# Due expiries across accounts: the sweep, and the accounts with points expiring before an instant.
Index("ix_lots_due", lots.c.expires_at, sqlite_where=SPENDABLE_LOT, postgresql_where=SPENDABLE_LOT)

licenses = Table(
    "licenses",
    metadata,
    Column("license_key", String(128), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("product_code", String(64), ForeignKey("license_products.code"), nullable=False),
    _when("purchased_at"),
    Column("lot_id", String(32), ForeignKey("lots.id")),
    _when("created_at"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False),
    Column("external_ref", String(128), nullable=False),
    Column("subject", String(500)),
    Column("category_code", String(64), ForeignKey("categories.code"), nullable=False),
    Column("pricing", JSON(), nullable=False),
    Column("quantity", BigInteger()),
    *(
        _points(name)
        for name in (
            "estimated_points",
            "captured_points",
            "charged_points",
            "deducted_points",
            "returned_points",
            "forfeited_points",
        )
    ),
    Column("status", String(16), nullable=False),
    Column("version", BigInteger(), nullable=False),
    _when("opened_at"),
    _when("resolved_at", nullable=True),
    _when("refunded_at", nullable=True),
    _when("closed_at", nullable=True),
    _when("changed_at"),  # its last change (its newest history row): idle tickets
    Column("idle_noticed", Boolean(), nullable=False, server_default="false"),  # ticket.idle sent since then
    # opened to wait for points (`awaiting_points`; set once): as-of reads rebuild only these to
    # know which tickets waited at an instant
    Column("waited", Boolean(), nullable=False, server_default="false"),
    # how long it stayed in progress, once closed (`domain.spans.span_class`): the tickets in
    # progress at an instant and closed since are, per class, a short range of closing times
    Column("span_class", SmallInteger(), nullable=True),
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
    CheckConstraint("status <> 'awaiting_points' OR charged_points = 0", name="waiting_charged_nothing"),
    CheckConstraint("returned_points <= charged_points", name="returned_within_charged"),
    CheckConstraint("deducted_points <= charged_points", name="deducted_within_charged"),
    CheckConstraint("(closed_at IS NULL) = (span_class IS NULL)", name="span_class_when_closed"),
    CheckConstraint(f"span_class BETWEEN 0 AND {SPAN_CLASSES - 1}", name="span_class_known"),
    Index("ix_tickets_account_id_opened_at", "account_id", "opened_at", "id"),
    Index("ix_tickets_account_status_opened_at", "account_id", "status", "opened_at", "id"),  # by status
    Index("ix_tickets_status_changed_at", "status", "changed_at", "id"),  # idle tickets, oldest first
    Index("ix_tickets_closed_at", "closed_at"),  # closed in a period: the estimate accuracy report
    # Tickets in progress at an instant (as-of reads): not closed by then (still open, or per span
    # class closed within the class's bound after it), opened by then; with their keys, so that only
    # a page of them is read whole.
    Index("ix_tickets_account_span_closed_at", "account_id", "span_class", "closed_at", "opened_at", "id"),
)
# The tickets that waited for points, by the same keys: those waiting at an instant (as-of balances).
WAITED = tickets.c.waited == literal_column("true")
Index(
    "ix_tickets_waited",
    tickets.c.account_id,
    tickets.c.span_class,
    tickets.c.closed_at,
    tickets.c.opened_at,
    tickets.c.id,
    sqlite_where=WAITED,
    postgresql_where=WAITED,
)

# One capture step's take from one lot, and what became of it.
# Open tickets not yet told idle, by their last change: the sweep's `ticket.idle`.
IDLE_UNTOLD = and_(
    is_word(tickets.c.status, "open", TICKET_STATUSES), tickets.c.idle_noticed == literal_column("false")
)
Index("ix_tickets_idle_due", tickets.c.changed_at, sqlite_where=IDLE_UNTOLD, postgresql_where=IDLE_UNTOLD)

ticket_allocations = Table(
    "ticket_allocations",
    metadata,
    Column("ticket_id", String(32), ForeignKey("tickets.id"), primary_key=True),
    Column("seq", Integer(), primary_key=True, autoincrement=False),
    Column("lot_id", String(32), ForeignKey("lots.id"), nullable=False, index=True),
    _points("points"),  # taken by the capture step
    _points("held"),  # still held
    _points("released"),  # given back by lowering the capture while open
    _points("deducted"),  # taken for good at resolution
    _points("returned"),  # given back after leaving open (refund, credit)
    *(CheckConstraint(f"{c} >= 0", name=f"{c}_not_negative") for c in ("held", "released", "deducted", "returned")),
    CheckConstraint("points > 0", name="points_positive"),
    CheckConstraint("held + released <= points", name="held_within_points"),
    CheckConstraint("deducted + released <= points", name="deducted_within_points"),
    CheckConstraint("returned <= points - released", name="returned_within_points"),
)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("ticket_id", String(32), ForeignKey("tickets.id"), nullable=False),
    Column("version", BigInteger(), nullable=False),
    Column("action", String(16), nullable=False),
    _points("points"),
    Column("reason", String(500)),
    Column("note", String(2000)),
    Column("actor", String(80), nullable=False),
    _when("at"),
    # The ticket's estimate and classification after the change (as-of reads); NULL before 0009.
    Column("estimated_points", BigInteger()),
    Column("category_code", String(64)),
    Column("quantity", BigInteger()),
    Column("pricing", JSON()),
    UniqueConstraint("ticket_id", "version"),
)

# A customer's claim that a resolved ticket cost too much, and how it was decided. Its account is
# the ticket's (kept here so an account's disputes read from one index range).
disputes = Table(
    "disputes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("ticket_id", String(32), ForeignKey("tickets.id"), nullable=False),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("points_claimed", BigInteger()),  # NULL: everything left to return
    Column("points_credited", BigInteger()),  # set when accepted
    Column("reason", String(500), nullable=False),
    Column("resolution_note", String(2000)),
    _when("opened_at"),
    Column("opened_by", String(80), nullable=False),
    _when("closed_at", nullable=True),
    Column("closed_by", String(80)),
    CheckConstraint(_in("status", DISPUTE_STATUSES), name="status"),
    CheckConstraint("points_claimed > 0", name="points_claimed_positive"),
    CheckConstraint("points_credited > 0", name="points_credited_positive"),
    CheckConstraint("(status = 'accepted') = (points_credited IS NOT NULL)", name="credited_when_accepted"),
    CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="closed_at_when_closed"),
    CheckConstraint("(status = 'open') = (closed_by IS NULL)", name="closed_by_when_closed"),
    Index("ix_disputes_opened_at", "opened_at", "id"),  # the list, newest first
    Index("ix_disputes_status_opened_at", "status", "opened_at", "id"),  # by status
    Index("ix_disputes_account_opened_at", "account_id", "opened_at", "id"),  # one account's
)
# One open dispute per ticket, whatever the race: the database refuses a second.
OPEN_DISPUTE = is_word(disputes.c.status, "open", DISPUTE_STATUSES)
Index(
    "uq_disputes_open_ticket_id",
    disputes.c.ticket_id,
    unique=True,
    sqlite_where=OPEN_DISPUTE,
    postgresql_where=OPEN_DISPUTE,
)

# An entry linked to a dispute is that dispute's credit: a `return` whose reason is exactly `dispute`.
DISPUTE_CREDIT = f"dispute_id IS NULL OR (kind = 'return' AND reason = '{CREDIT_REASON}')"

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False),
    Column("seq", BigInteger(), nullable=False),
    Column("kind", String(24), nullable=False),
    *(_points(name) for name in ("available_delta", "held_delta", "deducted_delta")),
    *(_points(name) for name in ("available_after", "held_after", "deducted_after")),
    Column("lot_id", String(32), ForeignKey("lots.id")),
    Column("ticket_id", String(32), ForeignKey("tickets.id")),
    Column("reason", String(500)),
    Column("actor", String(80), nullable=False),
    _when("created_at"),
    _when("effective_at"),
    # The accepted dispute whose credit this is (docs/design.md §3: a `return` entry, reason `dispute`); NULL
    # on every other entry. No index: nothing reads entries by dispute but `verify`, which reads them all.
    Column("dispute_id", String(32), ForeignKey("disputes.id")),
    UniqueConstraint("account_id", "seq"),
    CheckConstraint(_in("kind", ENTRY_KINDS), name="kind"),
    CheckConstraint("seq >= 1", name="seq_positive"),
    CheckConstraint("available_after >= 0", name="available_after_not_negative"),
    CheckConstraint("held_after >= 0", name="held_after_not_negative"),
    CheckConstraint("deducted_after >= 0", name="deducted_after_not_negative"),
    CheckConstraint("available_delta <> 0 OR held_delta <> 0 OR deducted_delta <> 0", name="moves_points"),
    CheckConstraint(DISPUTE_CREDIT, name="dispute_credit"),
    Index("ix_ledger_entries_ticket_id", "ticket_id"),
    Index("ix_ledger_entries_account_kind_seq", "account_id", "kind", "seq"),  # the ledger by kind
    Index("ix_ledger_entries_created_at", "created_at", "id"),  # every account's, by time: the export
    # The newest entry recorded by an instant (as-of reads).
    Index("ix_ledger_entries_account_created_at", "account_id", "created_at", "seq"),
)

# The lot's states after a posting (`<state>_after`), as entries keep the account's counters after
# them: a lot's states at an instant are those of its newest posting by then (as-of reads).
POSTING_AFTER: tuple[str, ...] = tuple(f"{state}_after" for state in LOT_STATES)

# Points of one lot moving from one state to another within a ledger entry; `seq` is its entry's
# (so a lot's postings are ordered by (seq, idx): an account's entries are numbered in time order).
postings = Table(
    "postings",
    metadata,
    Column("entry_id", String(32), ForeignKey("ledger_entries.id"), primary_key=True),
    Column("idx", Integer(), primary_key=True, autoincrement=False),
    Column("lot_id", String(32), ForeignKey("lots.id"), nullable=False),
    Column("from_state", String(16)),
    Column("to_state", String(16), nullable=False),
    _points("points"),
    Column("seq", BigInteger(), nullable=False),
    *(_points(name) for name in POSTING_AFTER),
    CheckConstraint("points > 0", name="points_positive"),
    CheckConstraint(_in("to_state", LOT_STATES), name="to_state"),
    CheckConstraint("from_state IS NULL OR " + _in("from_state", LOT_STATES), name="from_state"),
    CheckConstraint("from_state IS NULL OR from_state <> to_state", name="moves"),
    CheckConstraint("seq >= 1", name="seq_positive"),
    *(CheckConstraint(f"{name} >= 0", name=f"{name}_not_negative") for name in POSTING_AFTER),
    # the state it moved points into holds at least those points after it
    CheckConstraint(
        "CASE to_state " + " ".join(f"WHEN '{state}' THEN {state}_after" for state in LOT_STATES) + " END >= points",
        name="to_state_after_holds_points",
    ),
    # A lot's postings in order: its newest posting by an entry `seq` is one index step.
    Index("ix_postings_lot_seq", "lot_id", "seq", "idx"),
)

# One billing webhook delivery, stored by its `webhook-id` with what came of it.
webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", String(255), primary_key=True),  # the webhook-id header
    Column("type", String(100), nullable=False),
    Column("payload", JSON(), nullable=False),  # the whole event, unknown fields included
    Column("outcome", String(16), nullable=False),
    Column("detail", String(1000)),
    Column("account_id", String(64)),
    Column("lot_id", String(32)),
    Column("attempts", BigInteger(), nullable=False),
    _when("received_at"),
    _when("updated_at"),
    CheckConstraint(_in("outcome", WEBHOOK_OUTCOMES), name="outcome"),
    CheckConstraint("attempts >= 1", name="attempts_positive"),
    Index("ix_webhook_events_outcome_received_at", "outcome", "received_at"),
)

# A POST's Idempotency-Key, scoped to the API key (its name), with the response it got.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("api_key", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer(), nullable=False),
    Column("body", Text(), nullable=False),
    Column("headers", JSON(), nullable=False),
    _when("created_at"),
    PrimaryKeyConstraint("api_key", "key"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

# The outbox: every event, written in the transaction of the change it reports, numbered gaplessly
# per account. `fanned_out` turns true once the dispatcher has queued its deliveries.
events = Table(
    "events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False),
    Column("seq", BigInteger(), nullable=False),
    Column("type", String(32), nullable=False),
    _when("created_at"),
    Column("data", JSON(), nullable=False),
    Column("fanned_out", Boolean(), nullable=False, server_default="false"),
    UniqueConstraint("account_id", "seq"),
    CheckConstraint(_in("type", EVENT_TYPES), name="type"),
    CheckConstraint("seq >= 1", name="seq_positive"),
    Index("ix_events_created_at", "created_at", "id"),  # the list, newest first; the purge
    Index("ix_events_account_created_at", "account_id", "created_at", "id"),  # one account's
    Index("ix_events_account_type_created_at", "account_id", "type", "created_at", "id"),  # of one type
    Index("ix_events_type_created_at", "type", "created_at", "id"),  # by type
)
NOT_FANNED_OUT = events.c.fanned_out == literal_column("false")
Index("ix_events_to_fan_out", events.c.created_at, sqlite_where=NOT_FANNED_OUT, postgresql_where=NOT_FANNED_OUT)

# Where events are pushed. The secret signs (Standard Webhooks); after a rotation the previous one
# also signs until `previous_secret_until`.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("url", String(2048), nullable=False),
    Column("description", String(500)),
    Column("event_types", JSON(), nullable=False),  # a list of EVENT_TYPES, or ["*"]
    Column("account_id", String(64), ForeignKey("accounts.id")),  # NULL: every account's events
    Column("secret", String(100), nullable=False),
    Column("previous_secret", String(100)),
    _when("previous_secret_until", nullable=True),
    Column("enabled", Boolean(), nullable=False),
    Column("disabled_reason", String(200)),
    _when("failing_since", nullable=True),  # the first failed attempt since the last delivery
    _when("created_at"),
    _when("updated_at"),
    Index("ix_webhook_endpoints_created_at", "created_at", "id"),
)

# One event to one endpoint: the dispatcher's work queue and its state.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("endpoint_id", String(32), ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), primary_key=True),
    Column("event_id", String(32), ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer(), nullable=False),
    _when("next_attempt_at", nullable=True),  # pending: when it is (next) due
    _when("leased_until", nullable=True),  # a dispatcher is sending it until then
    _when("created_at"),
    _when("updated_at"),
    CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    CheckConstraint("status <> 'pending' OR next_attempt_at IS NOT NULL", name="pending_is_due"),
    Index("ix_webhook_deliveries_event_id", "event_id"),
)
PENDING_DELIVERY = is_word(webhook_deliveries.c.status, "pending", DELIVERY_STATUSES)
# Each endpoint's pending deliveries by when they are due: the dispatcher's claim (an endpoint's
# oldest due delivery is the start of its range) and the metrics' oldest pending delivery.
Index(
    "ix_webhook_deliveries_endpoint_due",
    webhook_deliveries.c.endpoint_id,
    webhook_deliveries.c.next_attempt_at,
    sqlite_where=PENDING_DELIVERY,
    postgresql_where=PENDING_DELIVERY,
)

# Every attempt to deliver an event to an endpoint, as the deliveries list shows it.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("endpoint_id", String(32), ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", String(32), ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("attempt", Integer(), nullable=False),
    _when("at"),
    Column("status_code", Integer()),  # NULL: no response (timeout, refused, blocked address)
    Column("duration_ms", Integer(), nullable=False),
    Column("error", String(500)),
    _when("next_attempt_at", nullable=True),
    CheckConstraint("attempt >= 1", name="attempt_positive"),
    Index("ix_webhook_attempts_endpoint_id", "endpoint_id", "id"),
    Index("ix_webhook_attempts_event_id", "event_id"),
)

# A named job that one process at a time may run (the periodic sweep), until `until`.
leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),
    _when("until"),
)

# Sessions of the pages (/ui/, docs/design.md §16): the cookie holds a random secret; only its
# SHA-256 is stored, so a copy of the database opens no session. A session is its key's: it ends
# with the key's revocation (the look-up joins the key), at sign-out (the row goes) or at `expires_at`.
ui_sessions = Table(
    "ui_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 (hex) of the cookie's secret
    Column("key_id", String(32), ForeignKey("api_keys.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),  # every form of the session carries it
    _when("created_at"),
    _when("expires_at"),
    CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    Index("ix_ui_sessions_expires_at", "expires_at"),
)
