"""As-of reads (docs/design.md §15): what they need to answer at a past instant from the index ranges a live
read uses.

- `ix_ledger_entries_account_created_at` (account_id, created_at, seq): the newest entry recorded
  by an instant, one index step (without it, a walk down `seq` past every later entry).
- `ix_tickets_account_closed_at` (account_id, closed_at, opened_at): the tickets in progress at an
  instant (not closed by then), read inside the index.
- `ticket_events.estimated_points`, `category_code`, `quantity`, `pricing`: the ticket's estimate
  and classification after each change, which the history's `points` do not tell (an adjust while
  waiting changes the estimate; an adjust may reclassify), so that a ticket as it stood at an
  instant is rebuilt from its rows. NULL in rows written before.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("estimated_points", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("category_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("quantity", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("pricing", sa.JSON(), nullable=True))
    op.create_index(
        "ix_ledger_entries_account_created_at", "ledger_entries", ["account_id", "created_at", "seq"], unique=False
    )
    op.create_index("ix_tickets_account_closed_at", "tickets", ["account_id", "closed_at", "opened_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tickets_account_closed_at", table_name="tickets")
    op.drop_index("ix_ledger_entries_account_created_at", table_name="ledger_entries")
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        for column in ("pricing", "quantity", "category_code", "estimated_points"):
            batch_op.drop_column(column)
