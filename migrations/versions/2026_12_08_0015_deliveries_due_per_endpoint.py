"""The dispatcher claims per endpoint (issue #15): `ix_webhook_deliveries_endpoint_due`.

- `ix_webhook_deliveries_endpoint_due` (endpoint_id, next_attempt_at) WHERE status = 'pending'
  replaces `ix_webhook_deliveries_due` (next_attempt_at, same condition). The dispatcher no longer
  reads the oldest due deliveries of all endpoints together (a dead endpoint's backlog could fill
  that window and hide the others): it looks up each enabled endpoint's oldest due delivery, a
  short range of this index, and the metric's oldest pending delivery reads the same entries.

No data changes. Downgrade restores the index of 0005.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_endpoint_due",
            ["endpoint_id", "next_attempt_at"],
            unique=False,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )
        batch_op.drop_index("ix_webhook_deliveries_due", sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_due",
            ["next_attempt_at"],
            unique=False,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )
        batch_op.drop_index("ix_webhook_deliveries_endpoint_due", sqlite_where=PENDING, postgresql_where=PENDING)
