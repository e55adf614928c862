"""Tickets in progress at an old instant in the time of live reads (issue #17): `tickets.span_class`.

- `tickets.span_class`: how long a closed ticket stayed in progress (opened to closed), in classes
  of doubling length (`domain.tickets.span_class`: class 0 up to an hour, class c up to 2**c hours,
  class 16 anything longer); NULL while it is not closed. A ticket in progress at an instant and
  closed since closed within its class's bound of that instant, so the tickets in progress at an
  instant are, per class, a short range of closing times after it, instead of every ticket closed
  since (at the middle of a three-year history, tens of thousands of index entries).
- CHECKs: set exactly when `closed_at` is, and one of the 17 classes.
- `ix_tickets_account_span_closed_at` (account_id, span_class, closed_at, opened_at, id) replaces
  `ix_tickets_account_closed_at`; `ix_tickets_waited` gains `span_class` after `account_id`.

Backfill: every closed ticket's class from its `opened_at` and `closed_at` (the rule frozen here),
in pages by id. Downgrade drops the column and restores the indexes of 0012.

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

TICKETS_PER_PAGE = 5000
CLASSES = 17
UNIT_US = 3_600_000_000  # an hour
WAITED = sa.text("waited = true")

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
        .limit(TICKETS_PER_PAGE)
    )
    update = _tickets.update().where(k.id == sa.bindparam("pk_id")).values(span_class=sa.bindparam("cls"))
    after = ""
    while rows := conn.execute(page, {"after": after}).all():
        conn.execute(update, [{"pk_id": i, "cls": span_class(closed - opened)} for i, opened, closed in rows])
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
            ["account_id", "span_class", "closed_at", "opened_at"],
            unique=False,
            sqlite_where=WAITED,
            postgresql_where=WAITED,
        )


def downgrade() -> None:
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
