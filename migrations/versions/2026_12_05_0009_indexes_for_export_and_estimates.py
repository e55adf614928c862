"""Indexes for the period reads of docs/design.md §14: the ledger export and the estimate accuracy report.

- `ix_ledger_entries_created_at` (`created_at`, `id`): every account's entries recorded in a period,
  in that order, read a chunk at a time from a keyset (`services.export`) without walking the
  rest of the ledger.
- `ix_tickets_closed_at`: the tickets closed in a period (`services.estimates`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_entries_created_at", "ledger_entries", ["created_at", "id"])
    op.create_index("ix_tickets_closed_at", "tickets", ["closed_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_closed_at", table_name="tickets")
    op.drop_index("ix_ledger_entries_created_at", table_name="ledger_entries")
