"""Sessions of the pages (/ui/).

- `ui_sessions`: one row per signed-in browser: the SHA-256 of the cookie's random secret (never
  the secret), the API key it was opened with, its CSRF token, and when it ends (8 hours after
  sign-in). Revoking the key ends its sessions at once: the look-up joins the key.
- `ix_ui_sessions_key_id` finds a key's sessions; `ix_ui_sessions_expires_at` lets the sweep purge
  the ended ones by an index range.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ui_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_ui_sessions_expires_after_creation")),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"], name=op.f("fk_ui_sessions_key_id_api_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ui_sessions")),
    )
    op.create_index("ix_ui_sessions_key_id", "ui_sessions", ["key_id"], unique=False)
    op.create_index("ix_ui_sessions_expires_at", "ui_sessions", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ui_sessions_expires_at", table_name="ui_sessions")
    op.drop_index("ix_ui_sessions_key_id", table_name="ui_sessions")
    op.drop_table("ui_sessions")
