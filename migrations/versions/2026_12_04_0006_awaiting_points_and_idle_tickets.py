"""Tickets that wait for points, and idle tickets.

- `tickets.status` may be `awaiting_points` (the CHECK lists it), and such a ticket has charged
  nothing (`ck_tickets_waiting_charged_nothing`).
- `accounts.awaiting_count` / `awaiting_points`: how many of the account's tickets wait, and for
  how many points (kept by the write path; the balance shows them without a scan).
- `tickets.changed_at`: the ticket's last change (backfilled from its newest history row), with
  `idle_noticed` (a `ticket.idle` was sent since) and `ix_tickets_status_changed_at`, so idle
  tickets are read oldest first through an index (`ix_tickets_idle_due`: those the sweep has not
  told about yet).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('open', 'resolved', 'refunded')"
NEW_STATUSES = "status IN ('open', 'resolved', 'refunded', 'awaiting_points')"
IDLE_UNTOLD = sa.text("status = 'open' AND idle_noticed = false")


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("awaiting_count", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("awaiting_points", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.create_check_constraint("awaiting_count_not_negative", "awaiting_count >= 0")
        batch_op.create_check_constraint("awaiting_points_not_negative", "awaiting_points >= 0")

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("idle_noticed", sa.Boolean(), server_default="false", nullable=False))
    op.execute(
        "UPDATE tickets SET changed_at = COALESCE("
        "(SELECT max(ticket_events.at) FROM ticket_events WHERE ticket_events.ticket_id = tickets.id), opened_at)"
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.alter_column("changed_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_constraint(op.f("ck_tickets_status"), type_="check")
        batch_op.create_check_constraint("status", NEW_STATUSES)
        batch_op.create_check_constraint("waiting_charged_nothing", "status <> 'awaiting_points' OR charged_points = 0")
        batch_op.create_index("ix_tickets_status_changed_at", ["status", "changed_at", "id"], unique=False)
        batch_op.create_index(
            "ix_tickets_idle_due", ["changed_at"], unique=False, sqlite_where=IDLE_UNTOLD, postgresql_where=IDLE_UNTOLD
        )


def downgrade() -> None:
    # The schema before cannot hold a waiting ticket: such tickets (holding nothing) are withdrawn.
    op.execute(
        "UPDATE tickets SET status = 'refunded', refunded_at = changed_at, closed_at = changed_at "
        "WHERE status = 'awaiting_points'"
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_idle_due")
        batch_op.drop_index("ix_tickets_status_changed_at")
        batch_op.drop_constraint(op.f("ck_tickets_waiting_charged_nothing"), type_="check")
        batch_op.drop_constraint(op.f("ck_tickets_status"), type_="check")
        batch_op.create_check_constraint("status", OLD_STATUSES)
        batch_op.drop_column("idle_noticed")
        batch_op.drop_column("changed_at")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_accounts_awaiting_points_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_accounts_awaiting_count_not_negative"), type_="check")
        batch_op.drop_column("awaiting_points")
        batch_op.drop_column("awaiting_count")
