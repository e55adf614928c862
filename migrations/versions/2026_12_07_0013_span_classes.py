"""As-of reads at an old instant in the time of live reads (issue #17): span classes.

- `tickets.span_class`: how long a closed ticket stayed in progress (opened to closed), in classes
  of doubling length (`domain.spans.span_class`: class 0 up to an hour, class c up to 2**c hours,
  class 16 anything longer); NULL while it is not closed. A ticket in progress at an instant and
  closed since closed within its class's bound of that instant, so the tickets in progress at an
  instant are, per class, a short range of closing times after it, instead of every ticket closed
  since (at the middle of a three-year history, tens of thousands of index entries).
- CHECKs: set exactly when `closed_at` is, and one of the 17 classes.
- `ix_tickets_account_span_closed_at` (account_id, span_class, closed_at, opened_at, id) replaces
  `ix_tickets_account_closed_at`; `ix_tickets_waited` gains `span_class` after `account_id`, and
  `id` (the ids of the tickets waiting at an instant are read inside it).
- `lots.emptied_at`: while the lot holds no points (available and held both 0), when it last
  stopped holding them (its newest posting out of available or held that left it none; a later
  move among the other states, such as deducted points reissued, does not count), NULL while it
  holds some; `lots.emptied_class`: the class of the span from its recording (`created_at`) to
  `emptied_at`. A lot holding points at an instant and none now stopped after it, within its
  class's bound, so the lots holding points at an instant are those holding points now and, per
  class, a short range of these times: not every lot unexpired then (~750 on the bench's
  account, each probed for its state). CHECKs: `emptied_at` is set exactly when the lot holds no
  points, its class exactly with it, one of the 17.
- `ix_lots_account_emptied` (account_id, emptied_class, emptied_at, created_at, id), partial (the
  empty lots only), so that no live read is planned through it.

Backfill (the class rule frozen here), in pages by id: every closed ticket's class from its
`opened_at` and `closed_at`; every lot holding no points gets `emptied_at` = the time of the entry of
its newest posting that left it none, and its class. Downgrade drops the columns and restores the indexes of 0012.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:00:00.000000
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ROWS_PER_PAGE = 5000
CLASSES = 17
UNIT_US = 3_600_000_000  # an hour
WAITED = sa.text("waited = true")
EMPTIED = sa.text("emptied_at IS NOT NULL")

_lots = sa.table(
    "lots",
    sa.column("id", sa.String),
    sa.column("account_id", sa.String),
    sa.column("available", sa.BigInteger),
    sa.column("held", sa.BigInteger),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("emptied_at", sa.DateTime(timezone=True)),
    sa.column("emptied_class", sa.SmallInteger),
)
_postings = sa.table(
    "postings",
    sa.column("entry_id", sa.String),
    sa.column("lot_id", sa.String),
    sa.column("from_state", sa.String),
    sa.column("to_state", sa.String),
    sa.column("available_after", sa.BigInteger),
    sa.column("held_after", sa.BigInteger),
)
_entries = sa.table("ledger_entries", sa.column("id", sa.String), sa.column("created_at", sa.DateTime(timezone=True)))
HOLDING = ("available", "held")
_tickets = sa.table(
    "tickets",
    sa.column("id", sa.String),
    sa.column("opened_at", sa.DateTime(timezone=True)),
    sa.column("closed_at", sa.DateTime(timezone=True)),
    sa.column("span_class", sa.SmallInteger),
)


def span_class(span: timedelta) -> int:
    span_us = span // timedelta(microseconds=1)
    return min(((max(span_us, 1) - 1) // UNIT_US).bit_length(), CLASSES - 1)


def _backfill(conn: sa.Connection) -> None:
    k = _tickets.c
    page = (
        sa.select(k.id, k.opened_at, k.closed_at)
        .where(k.closed_at.is_not(None), k.id > sa.bindparam("after"))
        .order_by(k.id)
        .limit(ROWS_PER_PAGE)
    )
    update = _tickets.update().where(k.id == sa.bindparam("pk_id")).values(span_class=sa.bindparam("cls"))
    after = ""
    while rows := conn.execute(page, {"after": after}).all():
        conn.execute(update, [{"pk_id": i, "cls": span_class(closed - opened)} for i, opened, closed in rows])
        after = rows[-1][0]


def _backfill_lots(conn: sa.Connection) -> None:
    lot, p, e = _lots.c, _postings.c, _entries.c
    emptied_at = (
        sa.select(sa.func.max(e.created_at))
        .select_from(_postings.join(_entries, e.id == p.entry_id))
        .where(
            p.lot_id == lot.id,
            p.available_after == 0,
            p.held_after == 0,
            p.from_state.in_(HOLDING),
            p.to_state.not_in(HOLDING),
        )
        .scalar_subquery()
    )
    page = (
        sa.select(lot.id, lot.created_at, emptied_at)
        .where(lot.available == 0, lot.held == 0, lot.id > sa.bindparam("after"))
        .order_by(lot.id)
        .limit(ROWS_PER_PAGE)
    )
    update = (
        _lots.update()
        .where(lot.id == sa.bindparam("pk_id"))
        .values(emptied_at=sa.bindparam("at"), emptied_class=sa.bindparam("cls"))
    )
    after = ""
    while rows := conn.execute(page, {"after": after}).all():
        conn.execute(update, [{"pk_id": i, "at": at, "cls": span_class(at - created)} for i, created, at in rows])
        after = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("span_class", sa.SmallInteger(), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_check_constraint("span_class_when_closed", "(closed_at IS NULL) = (span_class IS NULL)")
        batch_op.create_check_constraint("span_class_known", f"span_class BETWEEN 0 AND {CLASSES - 1}")
        batch_op.drop_index("ix_tickets_account_closed_at")
        batch_op.create_index(
            "ix_tickets_account_span_closed_at", ["account_id", "span_class", "closed_at", "opened_at", "id"]
        )
        batch_op.drop_index("ix_tickets_waited")
        batch_op.create_index(
            "ix_tickets_waited",
            ["account_id", "span_class", "closed_at", "opened_at", "id"],
            unique=False,
            sqlite_where=WAITED,
            postgresql_where=WAITED,
        )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emptied_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("emptied_class", sa.SmallInteger(), nullable=True))
    _backfill_lots(op.get_bind())
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "emptied_when_holding_none", "(available > 0 OR held > 0) = (emptied_at IS NULL)"
        )
        batch_op.create_check_constraint("emptied_class_when_emptied", "(emptied_at IS NULL) = (emptied_class IS NULL)")
        batch_op.create_check_constraint("emptied_class_known", f"emptied_class BETWEEN 0 AND {CLASSES - 1}")
        batch_op.create_index(
            "ix_lots_account_emptied",
            ["account_id", "emptied_class", "emptied_at", "created_at", "id"],
            unique=False,
            sqlite_where=EMPTIED,
            postgresql_where=EMPTIED,
        )


def downgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index("ix_lots_account_emptied")
        batch_op.drop_constraint(op.f("ck_lots_emptied_class_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_lots_emptied_class_when_emptied"), type_="check")
        batch_op.drop_constraint(op.f("ck_lots_emptied_when_holding_none"), type_="check")
        batch_op.drop_column("emptied_class")
        batch_op.drop_column("emptied_at")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_waited")
        batch_op.drop_index("ix_tickets_account_span_closed_at")
        batch_op.drop_constraint(op.f("ck_tickets_span_class_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_tickets_span_class_when_closed"), type_="check")
        batch_op.drop_column("span_class")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_account_closed_at", ["account_id", "closed_at", "opened_at", "id"])
        batch_op.create_index(
            "ix_tickets_waited",
            ["account_id", "closed_at", "opened_at"],
            unique=False,
            sqlite_where=WAITED,
            postgresql_where=WAITED,
        )
