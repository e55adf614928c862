"""As-of reads in the time of live ones (issue #17): what a past instant needs, kept as it happens.

- `postings.seq`: its entry's `seq`, so that a lot's postings are ordered by (`seq`, `idx`) without
  the entries (an account's entries are numbered in time order).
- `postings.<state>_after` for the seven lot states: the lot's states after the posting, as an
  entry keeps the account's counters after it. A lot's states at an instant are those of its
  newest posting in an entry recorded by then: one step down `ix_postings_lot_seq`, which
  replaces `ix_postings_lot_id` (its prefix).
- CHECKs: `seq >= 1`, every `<state>_after >= 0`, and the state a posting moved points into holds
  at least those points after it.
- `tickets.waited`: the ticket was opened to wait for points (backfilled from its `opened` history
  row: reason `awaiting points`, no points, as as-of reads told it before), with
  `ix_tickets_waited` (partial: those tickets only), so that the tickets waiting at an instant are
  found without rebuilding every ticket in progress then.
- `ix_tickets_account_closed_at` gains `id`: the keys of the tickets in progress at an instant are
  read from the index, and only a page of them whole.

Backfill: each lot's postings in (`seq`, `idx`) order, their states summed as they go (the rule
of `services.ledger.AccountWriter.post`: creation adds to `points` and to the state, a move takes
from one state and gives to another), frozen here, in pages of lots by id. Downgrade drops the
columns (they are derived from the postings' moves).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

STATES = ("available", "held", "deducted", "expired", "revoked", "written_off", "reissued")
AFTER = tuple(f"{state}_after" for state in STATES)
LOTS_PER_PAGE = 500

_postings = sa.table(
    "postings",
    sa.column("entry_id", sa.String),
    sa.column("idx", sa.Integer),
    sa.column("lot_id", sa.String),
    sa.column("from_state", sa.String),
    sa.column("to_state", sa.String),
    sa.column("points", sa.BigInteger),
    sa.column("seq", sa.BigInteger),
    *(sa.column(name, sa.BigInteger) for name in AFTER),
)
_entries = sa.table("ledger_entries", sa.column("id", sa.String), sa.column("seq", sa.BigInteger))
_lots = sa.table("lots", sa.column("id", sa.String))


def _backfill_postings(conn: sa.Connection) -> None:
    p = _postings.c
    moves = (
        sa.select(p.entry_id, p.idx, p.lot_id, p.from_state, p.to_state, p.points, _entries.c.seq)
        .select_from(_postings.join(_entries, _entries.c.id == p.entry_id))
        .where(p.lot_id.in_(sa.bindparam("lot_ids", expanding=True)))
        .order_by(p.lot_id, _entries.c.seq, p.idx)
    )
    update = (
        _postings.update()
        .where(p.entry_id == sa.bindparam("pk_entry_id"), p.idx == sa.bindparam("pk_idx"))
        .values(seq=sa.bindparam("seq"), **{name: sa.bindparam(name) for name in AFTER})
    )
    after = ""
    while True:
        lot_ids = (
            conn.execute(sa.select(_lots.c.id).where(_lots.c.id > after).order_by(_lots.c.id).limit(LOTS_PER_PAGE))
            .scalars()
            .all()
        )
        if not lot_ids:
            return
        states: dict[str, dict[str, int]] = {}
        params = []
        for entry_id, idx, lot_id, from_state, to_state, points, seq in conn.execute(moves, {"lot_ids": lot_ids}):
            lot = states.setdefault(lot_id, dict.fromkeys(STATES, 0))
            if from_state is not None:
                lot[from_state] -= points
            lot[to_state] += points
            params.append(
                {"pk_entry_id": entry_id, "pk_idx": idx, "seq": seq}
                | {f"{state}_after": lot[state] for state in STATES}
            )
        if params:
            conn.execute(update, params)
        after = lot_ids[-1]


WAITED = sa.text("waited = true")
# What `services.asof` read as "opened to wait" before this column (frozen here).
WAITED_BEFORE = (
    "UPDATE tickets SET waited = true WHERE status = 'awaiting_points' OR id IN (SELECT ticket_id FROM "
    "ticket_events WHERE version = 1 AND action = 'opened' AND reason = 'awaiting points' AND points = 0)"
)


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waited", sa.Boolean(), server_default="false", nullable=False))
        batch_op.drop_index("ix_tickets_account_closed_at")
    op.execute(WAITED_BEFORE)
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_account_closed_at", ["account_id", "closed_at", "opened_at", "id"])
        batch_op.create_index(
            "ix_tickets_waited",
            ["account_id", "closed_at", "opened_at"],
            unique=False,
            sqlite_where=WAITED,
            postgresql_where=WAITED,
        )
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        for name in AFTER:
            batch_op.add_column(sa.Column(name, sa.BigInteger(), nullable=True))
    _backfill_postings(op.get_bind())
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        for name in AFTER:
            batch_op.alter_column(name, existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_check_constraint("seq_positive", "seq >= 1")
        for name in AFTER:
            batch_op.create_check_constraint(f"{name}_not_negative", f"{name} >= 0")
        batch_op.create_check_constraint(
            "to_state_after_holds_points",
            "CASE to_state " + " ".join(f"WHEN '{s}' THEN {s}_after" for s in STATES) + " END >= points",
        )
        batch_op.drop_index("ix_postings_lot_id")
        batch_op.create_index("ix_postings_lot_seq", ["lot_id", "seq", "idx"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_waited")
        batch_op.drop_index("ix_tickets_account_closed_at")
        batch_op.create_index("ix_tickets_account_closed_at", ["account_id", "closed_at", "opened_at"])
        batch_op.drop_column("waited")
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.drop_index("ix_postings_lot_seq")
        batch_op.create_index("ix_postings_lot_id", ["lot_id"], unique=False)
        batch_op.drop_constraint(op.f("ck_postings_to_state_after_holds_points"), type_="check")
        for name in reversed(AFTER):
            batch_op.drop_constraint(op.f(f"ck_postings_{name}_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_postings_seq_positive"), type_="check")
        for name in reversed(AFTER):
            batch_op.drop_column(name)
        batch_op.drop_column("seq")
