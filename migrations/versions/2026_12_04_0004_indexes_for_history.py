"""Indexes that keep account reads O(page) however long the account's history.

- `ix_lots_live` (partial: lots still holding points) serves the lots list and the balance's
  expiring points without walking an account's consumed lots; `ix_lots_due` (partial: lots with
  available points) serves the sweep and the accounts-expiring list without walking every lot
  that ever expired. They replace `ix_lots_account_id_expires_at` and `ix_lots_expires_at`.
- `ix_lots_account_order`: an account's lots in consumption order (the list with `include_empty`).
- `ix_tickets_account_status_opened_at`: the tickets of an account in one status, newest first.
- `ix_ledger_entries_account_kind_seq`: the entries of an account of one kind, newest first.

The partial indexes' conditions use literal constants, as the queries do (SQLite matches a
partial index's condition against the query's WHERE as written).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LIVE = sa.text("held > 0 OR available > 0")
SPENDABLE = sa.text("available > 0")


def upgrade() -> None:
    op.create_index("ix_lots_account_order", "lots", ["account_id", "expires_at", "granted_at", "id"])
    op.create_index(
        "ix_lots_live",
        "lots",
        ["account_id", "expires_at", "granted_at", "id"],
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_index("ix_lots_due", "lots", ["expires_at"], sqlite_where=SPENDABLE, postgresql_where=SPENDABLE)
    op.drop_index("ix_lots_account_id_expires_at", table_name="lots")
    op.drop_index("ix_lots_expires_at", table_name="lots")
    op.create_index("ix_tickets_account_status_opened_at", "tickets", ["account_id", "status", "opened_at", "id"])
    op.create_index("ix_ledger_entries_account_kind_seq", "ledger_entries", ["account_id", "kind", "seq"])


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_account_kind_seq", table_name="ledger_entries")
    op.drop_index("ix_tickets_account_status_opened_at", table_name="tickets")
    op.create_index("ix_lots_expires_at", "lots", ["expires_at"])
    op.create_index("ix_lots_account_id_expires_at", "lots", ["account_id", "expires_at"])
    op.drop_index("ix_lots_due", table_name="lots")
    op.drop_index("ix_lots_live", table_name="lots")
    op.drop_index("ix_lots_account_order", table_name="lots")
