"""Disputes: a customer's claim that a resolved ticket cost too much, and its outcome.

- `disputes`: one row per dispute, with its ticket and (the ticket's) account, its status
  (`open`, then `accepted` or `rejected`), the points claimed and credited, and who opened and
  decided it when.
- `uq_disputes_open_ticket_id`: a partial unique index, so a ticket has at most one open dispute
  whatever the race; it also finds a ticket's open dispute.
- The lists read index ranges: all disputes, by status, or one account's, newest first.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 06:14:00.607052
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The statuses of this revision (frozen here: the domain's list may grow in later revisions).
DISPUTE_STATUSES = ("open", "accepted", "rejected")
OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("points_claimed", sa.BigInteger(), nullable=True),
        sa.Column("points_credited", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("resolution_note", sa.String(length=2000), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=80), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=80), nullable=True),
        sa.CheckConstraint(
            "(status = 'accepted') = (points_credited IS NOT NULL)",
            name=op.f("ck_disputes_credited_when_accepted"),
        ),
        sa.CheckConstraint("(status = 'open') = (closed_at IS NULL)", name=op.f("ck_disputes_closed_at_when_closed")),
        sa.CheckConstraint("(status = 'open') = (closed_by IS NULL)", name=op.f("ck_disputes_closed_by_when_closed")),
        sa.CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in DISPUTE_STATUSES) + ")", name=op.f("ck_disputes_status")
        ),
        sa.CheckConstraint("points_claimed > 0", name=op.f("ck_disputes_points_claimed_positive")),
        sa.CheckConstraint("points_credited > 0", name=op.f("ck_disputes_points_credited_positive")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_disputes_account_id_accounts")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_disputes_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index("ix_disputes_account_opened_at", ["account_id", "opened_at", "id"], unique=False)
        batch_op.create_index("ix_disputes_opened_at", ["opened_at", "id"], unique=False)
        batch_op.create_index("ix_disputes_status_opened_at", ["status", "opened_at", "id"], unique=False)
        batch_op.create_index(
            "uq_disputes_open_ticket_id", ["ticket_id"], unique=True, sqlite_where=OPEN, postgresql_where=OPEN
        )


def downgrade() -> None:
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index("uq_disputes_open_ticket_id", sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_index("ix_disputes_status_opened_at")
        batch_op.drop_index("ix_disputes_opened_at")
        batch_op.drop_index("ix_disputes_account_opened_at")

    op.drop_table("disputes")
