"""A dispute's credit says so (docs/design.md §3): `ledger_entries.dispute_id`.

- `ledger_entries.dispute_id` (FK to `disputes.id`, NULL on every other entry): the accepted
  dispute whose credit a `return` entry is. Until now its reason was `dispute <id>`, so a client
  filtering entries by `reason == "dispute"` found none, and the link was text only. No index:
  no read finds entries by dispute (`verify`, which checks each accepted dispute's credited points
  against its linked entries, reads every entry anyway), and disputes are never deleted, so the
  foreign key needs none either.
- CHECK `dispute_credit`: an entry linked to a dispute is a `return` whose reason is `dispute`.

Backfill, per accepted dispute (in pages by id): its `return` entry (its ticket's, reason
`dispute <id>`: found through `ix_ledger_entries_ticket_id`, not by scanning every entry for the
reason) gets reason `dispute` and `dispute_id`; its ticket's `credited` history row with reason
`dispute <id>` gets reason `dispute` and the dispute's id as its note (history rows have no link
column; the note of that row was empty). A credit whose reason a person happened to type as
`dispute <id>` on another ticket, or naming no accepted dispute, is left as it is. The dispute's own
history rows (`disputed`, `dispute_accepted`, `dispute_rejected`) keep `dispute <id>`: their notes
carry the customer's or the helpdesk's words.

Downgrade: the reasons and notes back as they were, then the column goes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

DISPUTES_PER_PAGE = 5000
REASON = "dispute"  # the reason of a dispute's credit from now on (frozen here)
DISPUTE_CREDIT = f"dispute_id IS NULL OR (kind = 'return' AND reason = '{REASON}')"

_disputes = sa.table("disputes", sa.column("id", sa.String), sa.column("ticket_id", sa.String), sa.column("status"))
_entries = sa.table(
    "ledger_entries",
    sa.column("ticket_id", sa.String),
    sa.column("kind", sa.String),
    sa.column("reason", sa.String),
    sa.column("dispute_id", sa.String),
)
_history = sa.table(
    "ticket_events",
    sa.column("ticket_id", sa.String),
    sa.column("action", sa.String),
    sa.column("reason", sa.String),
    sa.column("note", sa.String),
)
_e, _h = _entries.c, _history.c
_p = sa.bindparam


def _accepted(conn: sa.Connection) -> Iterator[list[dict[str, Any]]]:
    """The accepted disputes, a page at a time: [{id, ticket, old}] (`old`: the reason until 0014)."""
    d = _disputes.c
    page = (
        sa.select(d.id, d.ticket_id)
        .where(d.status == "accepted", d.id > _p("after"))
        .order_by(d.id)
        .limit(DISPUTES_PER_PAGE)
    )
    after = ""
    while rows := conn.execute(page, {"after": after}).all():
        yield [{"id": i, "ticket": ticket, "old": f"{REASON} {i}"} for i, ticket in rows]
        after = rows[-1][0]


_LINK = (
    _entries.update()
    .where(_e.ticket_id == _p("ticket"), _e.kind == "return", _e.reason == _p("old"))
    .values(reason=REASON, dispute_id=_p("id"))
)
_LINK_HISTORY = (
    _history.update()
    .where(_h.ticket_id == _p("ticket"), _h.action == "credited", _h.reason == _p("old"), _h.note.is_(None))
    .values(reason=REASON, note=_p("id"))
)
_UNLINK = (
    _entries.update()
    .where(_e.ticket_id == _p("ticket"), _e.dispute_id == _p("id"))
    .values(reason=_p("old"), dispute_id=None)
)
_UNLINK_HISTORY = (
    _history.update()
    .where(_h.ticket_id == _p("ticket"), _h.action == "credited", _h.reason == REASON, _h.note == _p("id"))
    .values(reason=_p("old"), note=None)
)


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispute_id", sa.String(length=32), nullable=True))
    conn = op.get_bind()
    for page in _accepted(conn):
        conn.execute(_LINK, page)
        conn.execute(_LINK_HISTORY, page)
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_foreign_key(op.f("fk_ledger_entries_dispute_id_disputes"), "disputes", ["dispute_id"], ["id"])
        batch_op.create_check_constraint("dispute_credit", DISPUTE_CREDIT)


def downgrade() -> None:
    conn = op.get_bind()
    for page in _accepted(conn):
        conn.execute(_UNLINK, page)
        conn.execute(_UNLINK_HISTORY, page)
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_entries_dispute_credit"), type_="check")
        batch_op.drop_constraint(op.f("fk_ledger_entries_dispute_id_disputes"), type_="foreignkey")
        batch_op.drop_column("dispute_id")
