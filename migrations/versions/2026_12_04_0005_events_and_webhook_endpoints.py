"""Outgoing events: the outbox, webhook endpoints and their deliveries, the sweep's lease.

- `events`: one row per event, written in the transaction of the change it reports, numbered
  per account (`accounts.event_seq` holds the newest number, as `last_seq` does for entries).
- `accounts.low_balance_threshold` / `low_balance`: the threshold, and whether the account was
  last told `balance.low` (so each crossing is told once).
- `lots.notice_days`: the smallest `lot.expiring_soon` notice the lot got.
- `webhook_endpoints`, `webhook_deliveries` (one per event and endpoint: the dispatcher's queue),
  `webhook_attempts` (every attempt, as the deliveries list shows it).
- `leases`: a job one process at a time runs (the periodic sweep).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 05:05:52.143197
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# The event types of this revision (frozen here: the domain's list may grow in later revisions).
EVENT_TYPES = (
    "account.created",
    "points.granted",
    "points.expired",
    "points.revoked",
    "points.written_off",
    "ticket.opened",
    "ticket.adjusted",
    "ticket.resolved",
    "ticket.refunded",
    "ticket.credited",
    "ticket.awaiting_points",
    "ticket.idle",
    "dispute.opened",
    "dispute.accepted",
    "dispute.rejected",
    "lot.expiring_soon",
    "balance.low",
    "balance.recovered",
)


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("fanned_out", sa.Boolean(), server_default="false", nullable=False),
        sa.CheckConstraint(
            "type IN (" + ", ".join(repr(t) for t in EVENT_TYPES) + ")",
            name=op.f("ck_events_type"),
        ),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_events_seq_positive")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_events_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("account_id", "seq", name=op.f("uq_events_account_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_account_created_at", ["account_id", "created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_events_account_type_created_at", ["account_id", "type", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_events_created_at", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_events_to_fan_out",
            ["created_at"],
            unique=False,
            sqlite_where=sa.text("fanned_out = false"),
            postgresql_where=sa.text("fanned_out = false"),
        )
        batch_op.create_index("ix_events_type_created_at", ["type", "created_at", "id"], unique=False)

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=200), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_webhook_endpoints_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_endpoints_created_at", ["created_at", "id"], unique=False)

    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("endpoint_id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("attempt >= 1", name=op.f("ck_webhook_attempts_attempt_positive")),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_attempts_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_webhook_attempts_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_attempts_endpoint_id", ["endpoint_id", "id"], unique=False)
        batch_op.create_index("ix_webhook_attempts_event_id", ["event_id"], unique=False)

    op.create_table(
        "webhook_deliveries",
        sa.Column("endpoint_id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status <> 'pending' OR next_attempt_at IS NOT NULL", name=op.f("ck_webhook_deliveries_pending_is_due")
        ),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f("ck_webhook_deliveries_status")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_webhook_deliveries_attempts_not_negative")),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_webhook_deliveries_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("endpoint_id", "event_id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_due",
            ["next_attempt_at"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index("ix_webhook_deliveries_event_id", ["event_id"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_seq", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("low_balance_threshold", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("low_balance", sa.Boolean(), server_default="false", nullable=False))
        batch_op.create_check_constraint("event_seq_not_negative", "event_seq >= 0")
        batch_op.create_check_constraint("low_balance_threshold_not_negative", "low_balance_threshold >= 0")

    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_column("notice_days")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_accounts_low_balance_threshold_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_accounts_event_seq_not_negative"), type_="check")
        batch_op.drop_column("low_balance")
        batch_op.drop_column("low_balance_threshold")
        batch_op.drop_column("event_seq")

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_event_id")
        batch_op.drop_index(
            "ix_webhook_deliveries_due",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_attempts_event_id")
        batch_op.drop_index("ix_webhook_attempts_endpoint_id")

    op.drop_table("webhook_attempts")
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_endpoints_created_at")

    op.drop_table("webhook_endpoints")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_type_created_at")
        batch_op.drop_index(
            "ix_events_to_fan_out",
            sqlite_where=sa.text("fanned_out = false"),
            postgresql_where=sa.text("fanned_out = false"),
        )
        batch_op.drop_index("ix_events_created_at")
        batch_op.drop_index("ix_events_account_type_created_at")
        batch_op.drop_index("ix_events_account_created_at")

    op.drop_table("events")
    op.drop_table("leases")
