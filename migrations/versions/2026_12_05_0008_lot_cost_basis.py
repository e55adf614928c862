"""Cost basis of lots: what one point cost, for the finance report (docs/design.md §13).

- `lots.unit_price`: decimal text with exactly 10 places, `paid / points` rounded half to even;
  `0.0000000000` for lots bought with nothing (license bonuses, adjustments, imports).
- `lots.unit_currency`: the currency paid in; for lots bought with nothing `POINTS_CURRENCY` as set
  when this migration runs (default USD).
- `lots.basis_plan_code`: the plan the points were bought under; a returned lot has its origin's.
  Returned lots take their origin's price and plan, following `origin_lot_id` (origins are older).

The rule is frozen here, not imported: `domain.money.unit_price` may change in later revisions.
Downgrade drops the three columns (they are derived from the others).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 09:00:00.000000
"""

from __future__ import annotations

import os
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import sqlalchemy as sa
from alembic import op
from iso4217 import Currency

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PLACES = Decimal(1).scaleb(-10)
CHUNK = 1000


def _unit_price(paid_minor: int | None, currency: str, points: int) -> str:
    if not paid_minor:
        return f"{Decimal(0).quantize(PLACES):f}"
    exponent = Currency(currency).exponent or 0
    with localcontext() as ctx:
        ctx.prec = 60
        return f"{(Decimal(paid_minor).scaleb(-exponent) / points).quantize(PLACES, rounding=ROUND_HALF_EVEN):f}"


def upgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_price", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("unit_currency", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("basis_plan_code", sa.String(length=64), nullable=True))

    free_currency = os.environ.get("POINTS_CURRENCY", "USD")
    conn = op.get_bind()
    lots = sa.table(
        "lots",
        sa.column("id", sa.String),
        sa.column("source", sa.String),
        sa.column("points", sa.BigInteger),
        sa.column("plan_code", sa.String),
        sa.column("paid_minor", sa.BigInteger),
        sa.column("paid_currency", sa.String),
        sa.column("origin_lot_id", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("unit_price", sa.String),
        sa.column("unit_currency", sa.String),
        sa.column("basis_plan_code", sa.String),
    )
    update = (
        lots.update()
        .where(lots.c.id == sa.bindparam("lot_id"))
        .values(
            unit_price=sa.bindparam("price"),
            unit_currency=sa.bindparam("currency"),
            basis_plan_code=sa.bindparam("plan"),
        )
    )
    # Lots bought or granted: from their own price. One pass, in pages by id.
    own = sa.select(lots.c.id, lots.c.points, lots.c.plan_code, lots.c.paid_minor, lots.c.paid_currency).where(
        lots.c.source != "returned"
    )
    after = ""
    while True:
        rows = conn.execute(own.where(lots.c.id > after).order_by(lots.c.id).limit(CHUNK)).all()
        if not rows:
            break
        params = [
            {
                "lot_id": lot_id,
                "price": _unit_price(paid, currency or free_currency, points),
                "currency": currency or free_currency,
                "plan": plan,
            }
            for lot_id, points, plan, paid, currency in rows
        ]
        conn.execute(update, params)
        after = rows[-1][0]
    # Returned lots: their origin's, oldest first (an origin is always older than what it reissued).
    origin = lots.alias("origin")
    returned = (
        sa.select(lots.c.id, origin.c.unit_price, origin.c.unit_currency, origin.c.basis_plan_code)
        .select_from(lots.join(origin, origin.c.id == lots.c.origin_lot_id))
        .where(lots.c.source == "returned", lots.c.unit_price.is_(None), origin.c.unit_price.is_not(None))
        .order_by(lots.c.created_at, lots.c.id)
        .limit(CHUNK)
    )
    while True:
        rows = conn.execute(returned).all()
        if not rows:
            break
        conn.execute(
            update,
            [{"lot_id": i, "price": price, "currency": currency, "plan": plan} for i, price, currency, plan in rows],
        )

    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.alter_column("unit_price", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("unit_currency", existing_type=sa.String(length=3), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_column("basis_plan_code")
        batch_op.drop_column("unit_currency")
        batch_op.drop_column("unit_price")
