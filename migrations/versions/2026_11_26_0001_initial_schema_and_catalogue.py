"""The ledger schema, and the seed catalogue (docs/design.md §1) (plans, categories, license product).

Revision ID: 0001
Revises:
Create Date: 2026-11-26 06:05:34.203133
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("available", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("deducted", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("ledger_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("available >= 0", name=op.f("ck_accounts_available_not_negative")),
        sa.CheckConstraint("deducted >= 0", name=op.f("ck_accounts_deducted_not_negative")),
        sa.CheckConstraint("held >= 0", name=op.f("ck_accounts_held_not_negative")),
        sa.CheckConstraint("last_seq >= 0", name=op.f("ck_accounts_last_seq_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("(role = 'viewer') = (account_id IS NOT NULL)", name=op.f("ck_api_keys_viewer_bound")),
        sa.CheckConstraint("role IN ('admin', 'billing', 'helpdesk', 'viewer')", name=op.f("ck_api_keys_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
    )
    op.create_table(
        "categories",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("group", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("pricing", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_categories")),
    )
    op.create_table(
        "license_products",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("bonus_points", sa.BigInteger(), nullable=False),
        sa.Column("bonus_policy", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "bonus_policy IN ('first_license', 'every_license')", name=op.f("ck_license_products_bonus_policy")
        ),
        sa.CheckConstraint("bonus_points >= 0", name=op.f("ck_license_products_bonus_not_negative")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_license_products")),
    )
    op.create_table(
        "plans",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("points > 0", name=op.f("ck_plans_points_positive")),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_plans_price_not_negative")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_plans")),
    )
    op.create_table(
        "lots",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("available", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("deducted", sa.BigInteger(), nullable=False),
        sa.Column("expired", sa.BigInteger(), nullable=False),
        sa.Column("revoked", sa.BigInteger(), nullable=False),
        sa.Column("written_off", sa.BigInteger(), nullable=False),
        sa.Column("reissued", sa.BigInteger(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("plan_code", sa.String(length=64), nullable=True),
        sa.Column("paid_minor", sa.BigInteger(), nullable=True),
        sa.Column("paid_currency", sa.String(length=3), nullable=True),
        sa.Column("payment_id", sa.String(length=128), nullable=True),
        sa.Column("license_key", sa.String(length=128), nullable=True),
        sa.Column("external_ref", sa.String(length=128), nullable=True),
        sa.Column("origin_lot_id", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('purchase', 'license_bonus', 'adjustment', 'import', 'returned')", name=op.f("ck_lots_source")
        ),
        sa.CheckConstraint("(paid_minor IS NULL) = (paid_currency IS NULL)", name=op.f("ck_lots_paid_complete")),
        sa.CheckConstraint(
            "available + held + deducted + expired + revoked + written_off + reissued = points",
            name=op.f("ck_lots_states_sum_to_points"),
        ),
        sa.CheckConstraint("available >= 0", name=op.f("ck_lots_available_not_negative")),
        sa.CheckConstraint("deducted >= 0", name=op.f("ck_lots_deducted_not_negative")),
        sa.CheckConstraint("expired >= 0", name=op.f("ck_lots_expired_not_negative")),
        sa.CheckConstraint("held >= 0", name=op.f("ck_lots_held_not_negative")),
        sa.CheckConstraint("points > 0", name=op.f("ck_lots_points_positive")),
        sa.CheckConstraint("reissued >= 0", name=op.f("ck_lots_reissued_not_negative")),
        sa.CheckConstraint("revoked >= 0", name=op.f("ck_lots_revoked_not_negative")),
        sa.CheckConstraint("written_off >= 0", name=op.f("ck_lots_written_off_not_negative")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_lots_account_id_accounts")),
        sa.ForeignKeyConstraint(["origin_lot_id"], ["lots.id"], name=op.f("fk_lots_origin_lot_id_lots")),
        sa.ForeignKeyConstraint(["plan_code"], ["plans.code"], name=op.f("fk_lots_plan_code_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
        sa.UniqueConstraint("external_ref", name=op.f("uq_lots_external_ref")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_lots_payment_id")),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index("ix_lots_account_id_expires_at", ["account_id", "expires_at"], unique=False)
        batch_op.create_index("ix_lots_expires_at", ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lots_origin_lot_id"), ["origin_lot_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("external_ref", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("pricing", sa.JSON(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=True),
        sa.Column("estimated_points", sa.BigInteger(), nullable=False),
        sa.Column("captured_points", sa.BigInteger(), nullable=False),
        sa.Column("charged_points", sa.BigInteger(), nullable=False),
        sa.Column("deducted_points", sa.BigInteger(), nullable=False),
        sa.Column("returned_points", sa.BigInteger(), nullable=False),
        sa.Column("forfeited_points", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status = 'open' OR captured_points = 0", name=op.f("ck_tickets_closed_holds_nothing")),
        sa.CheckConstraint("status IN ('open', 'resolved', 'refunded')", name=op.f("ck_tickets_status")),
        sa.CheckConstraint("captured_points >= 0", name=op.f("ck_tickets_captured_not_negative")),
        sa.CheckConstraint("charged_points >= 0", name=op.f("ck_tickets_charged_not_negative")),
        sa.CheckConstraint("deducted_points <= charged_points", name=op.f("ck_tickets_deducted_within_charged")),
        sa.CheckConstraint("deducted_points >= 0", name=op.f("ck_tickets_deducted_not_negative")),
        sa.CheckConstraint("estimated_points >= 0", name=op.f("ck_tickets_estimated_not_negative")),
        sa.CheckConstraint("forfeited_points >= 0", name=op.f("ck_tickets_forfeited_not_negative")),
        sa.CheckConstraint("returned_points <= charged_points", name=op.f("ck_tickets_returned_within_charged")),
        sa.CheckConstraint("returned_points >= 0", name=op.f("ck_tickets_returned_not_negative")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_tickets_version_positive")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_tickets_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["category_code"], ["categories.code"], name=op.f("fk_tickets_category_code_categories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("account_id", "external_ref", name=op.f("uq_tickets_account_id")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_account_id_opened_at", ["account_id", "opened_at", "id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("available_delta", sa.BigInteger(), nullable=False),
        sa.Column("held_delta", sa.BigInteger(), nullable=False),
        sa.Column("deducted_delta", sa.BigInteger(), nullable=False),
        sa.Column("available_after", sa.BigInteger(), nullable=False),
        sa.Column("held_after", sa.BigInteger(), nullable=False),
        sa.Column("deducted_after", sa.BigInteger(), nullable=False),
        sa.Column("lot_id", sa.String(length=32), nullable=True),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('purchase', 'license_bonus', 'adjustment', 'import', 'expiry', 'revocation', 'capture', "
            "'capture_increase', 'capture_decrease', 'deduction', 'return')",
            name=op.f("ck_ledger_entries_kind"),
        ),
        sa.CheckConstraint("available_after >= 0", name=op.f("ck_ledger_entries_available_after_not_negative")),
        sa.CheckConstraint(
            "available_delta <> 0 OR held_delta <> 0 OR deducted_delta <> 0",
            name=op.f("ck_ledger_entries_moves_points"),
        ),
        sa.CheckConstraint("deducted_after >= 0", name=op.f("ck_ledger_entries_deducted_after_not_negative")),
        sa.CheckConstraint("held_after >= 0", name=op.f("ck_ledger_entries_held_after_not_negative")),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_ledger_entries_seq_positive")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_ledger_entries_account_id_accounts")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_ledger_entries_lot_id_lots")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ledger_entries_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("account_id", "seq", name=op.f("uq_ledger_entries_account_id")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_ticket_id", ["ticket_id"], unique=False)

    op.create_table(
        "licenses",
        sa.Column("license_key", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("purchased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lot_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_licenses_account_id_accounts")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_licenses_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["product_code"], ["license_products.code"], name=op.f("fk_licenses_product_code_license_products")
        ),
        sa.PrimaryKeyConstraint("license_key", name=op.f("pk_licenses")),
    )
    with op.batch_alter_table("licenses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licenses_account_id"), ["account_id"], unique=False)

    op.create_table(
        "ticket_allocations",
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lot_id", sa.String(length=32), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("released", sa.BigInteger(), nullable=False),
        sa.Column("deducted", sa.BigInteger(), nullable=False),
        sa.Column("returned", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("deducted + released <= points", name=op.f("ck_ticket_allocations_deducted_within_points")),
        sa.CheckConstraint("deducted >= 0", name=op.f("ck_ticket_allocations_deducted_not_negative")),
        sa.CheckConstraint("held + released <= points", name=op.f("ck_ticket_allocations_held_within_points")),
        sa.CheckConstraint("held >= 0", name=op.f("ck_ticket_allocations_held_not_negative")),
        sa.CheckConstraint("points > 0", name=op.f("ck_ticket_allocations_points_positive")),
        sa.CheckConstraint("released >= 0", name=op.f("ck_ticket_allocations_released_not_negative")),
        sa.CheckConstraint("returned <= points - released", name=op.f("ck_ticket_allocations_returned_within_points")),
        sa.CheckConstraint("returned >= 0", name=op.f("ck_ticket_allocations_returned_not_negative")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_ticket_allocations_lot_id_lots")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_allocations_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("ticket_id", "seq", name=op.f("pk_ticket_allocations")),
    )
    with op.batch_alter_table("ticket_allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_allocations_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
        sa.UniqueConstraint("ticket_id", "version", name=op.f("uq_ticket_events_ticket_id")),
    )
    op.create_table(
        "postings",
        sa.Column("entry_id", sa.String(length=32), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lot_id", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "from_state IS NULL OR from_state IN "
            "('available', 'held', 'deducted', 'expired', 'revoked', 'written_off', 'reissued')",
            name=op.f("ck_postings_from_state"),
        ),
        sa.CheckConstraint(
            "to_state IN ('available', 'held', 'deducted', 'expired', 'revoked', 'written_off', 'reissued')",
            name=op.f("ck_postings_to_state"),
        ),
        sa.CheckConstraint("from_state IS NULL OR from_state <> to_state", name=op.f("ck_postings_moves")),
        sa.CheckConstraint("points > 0", name=op.f("ck_postings_points_positive")),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entries.id"], name=op.f("fk_postings_entry_id_ledger_entries")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_postings_lot_id_lots")),
        sa.PrimaryKeyConstraint("entry_id", "idx", name=op.f("pk_postings")),
    )
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_postings_lot_id"), ["lot_id"], unique=False)

    _seed_catalogue()


def downgrade() -> None:
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_postings_lot_id"))

    op.drop_table("postings")
    op.drop_table("ticket_events")
    with op.batch_alter_table("ticket_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_allocations_lot_id"))

    op.drop_table("ticket_allocations")
    with op.batch_alter_table("licenses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licenses_account_id"))

    op.drop_table("licenses")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_ticket_id")

    op.drop_table("ledger_entries")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_account_id_opened_at")

    op.drop_table("tickets")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lots_origin_lot_id"))
        batch_op.drop_index("ix_lots_expires_at")
        batch_op.drop_index("ix_lots_account_id_expires_at")

    op.drop_table("lots")
    op.drop_table("plans")
    op.drop_table("license_products")
    op.drop_table("categories")
    op.drop_table("api_keys")
    op.drop_table("accounts")


PLANS = [  # code, points, price in cents (USD)
    ("points-60", 60, 3450),
    ("points-120", 120, 6850),
    ("points-300", 300, 16950),
    ("points-1200", 1200, 67333),
]


def _fixed(points: int) -> dict[str, object]:
    return {"type": "fixed", "points": points}


def _from(minimum: int) -> dict[str, object]:
    return {"type": "from", "min": minimum}


CATEGORIES = [  # group, code, name, pricing
    ("default functionality", "general-question", "Level 0: General questions", _fixed(0)),
    ("default functionality", "consultation", "Level 1: Consultation on software functionalities", _fixed(10)),
    ("default functionality", "store-problem", "Level 2: Problem-solving on client's store", _fixed(25)),
    (
        "default functionality",
        "store-server-problem",
        "Level 3: Problem-solving on client's store and server",
        _fixed(40),
    ),
    ("default functionality", "code-debugging", "Level 4: Code debugging and debug data monitoring", _fixed(80)),
    ("default functionality", "warranty", "Product warranty issues", _fixed(0)),
    ("modifications", "small-mod", "Small mods", _fixed(25)),
    ("modifications", "medium-mod", "Medium mods", _fixed(50)),
    ("modifications", "patch-application", "Patch application", _fixed(40)),
    ("modifications", "other", "Other issues", {"type": "upon_request"}),
    ("installation", "installation", "Installation service for points", _fixed(150)),
    ("installation", "third-party-install", "Installation of 3rd-party web-software", _from(100)),
    ("installation", "ssl-install", "Installation of SSL certificate", _fixed(150)),
    ("installation", "server-app-install", "Installation of server applications", _from(150)),
    ("transfer", "store-transfer", "Transfer of X-Cart/LiteCommerce store", _fixed(150)),
    ("transfer", "custom-store-transfer", "Transfer of heavily customized X-Cart store", _from(150)),
    ("transfer", "sales-n-stats-transfer", "Transfer of Sales-n-Stats", {"type": "range", "min": 80, "max": 100}),
    (
        "transfer",
        "aspe-transfer",
        "Transfer of LiteCommerce ASPE",
        {"type": "formula", "base": 120, "per_unit": 60, "unit": "deployed stores", "min_quantity": 1},
    ),
    ("optimization", "store-performance", "X-Cart performance optimization", _from(80)),
    ("optimization", "server-performance", "Optimization of server applications performance", _from(120)),
    ("optimization", "sef-analysis", "SEF analysis", _fixed(60)),
    (
        "security",
        "security-audit",
        "Website security audit",
        {
            "type": "formula",
            "base": 150,
            "per_unit": 60,
            "unit": "additional stores on the same server",
            "min_quantity": 0,
        },
    ),
]


def _seed_catalogue() -> None:
    now = datetime.now(UTC)
    stamp = {"active": True, "created_at": now, "updated_at": now}
    plans = sa.table(
        "plans",
        sa.column("code"),
        sa.column("points"),
        sa.column("price_minor"),
        sa.column("currency"),
        sa.column("active"),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(plans, [{"code": c, "points": p, "price_minor": m, "currency": "USD", **stamp} for c, p, m in PLANS])
    categories = sa.table(
        "categories",
        sa.column("code"),
        sa.column("group"),
        sa.column("name"),
        sa.column("pricing", sa.JSON()),
        sa.column("active"),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        categories,
        [{"code": c, "group": g, "name": n, "pricing": p, **stamp} for g, c, n, p in CATEGORIES],
    )
    products = sa.table(
        "license_products",
        sa.column("code"),
        sa.column("name"),
        sa.column("bonus_points"),
        sa.column("bonus_policy"),
        sa.column("active"),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        products,
        [{"code": "default", "name": "Default license", "bonus_points": 60, "bonus_policy": "first_license", **stamp}],
    )
