"""Catalogue commands: plans, categories and license products (admin `PUT`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from ..db.models import Base, Category, LicenseProduct, Plan
from ..domain.money import parse_amount
from ..domain.pricing import check_rule, rule_from_dict, rule_to_dict
from .context import Context

M = TypeVar("M", bound=Base)


@dataclass
class Put(Generic[M]):
    entry: M
    created: bool


async def _put(session: AsyncSession, ctx: Context, model: type[M], code: str, fields: dict[str, Any]) -> Put[M]:
    now = ctx.clock.now()
    entry = await session.get(model, code, with_for_update=True)
    if entry is None:
        entry = model(code=code, created_at=now, updated_at=now, **fields)
        session.add(entry)
        return Put(entry, True)
    if any(getattr(entry, k) != v for k, v in fields.items()):
        for key, value in fields.items():
            setattr(entry, key, value)
        entry.updated_at = now  # type: ignore[attr-defined]
    return Put(entry, False)


async def put_plan(
    session: AsyncSession, ctx: Context, *, code: str, points: int, amount: str, currency: str, active: bool
) -> Put[Plan]:
    price_minor = parse_amount(amount, currency, pointer="/price/amount")
    fields = {"points": points, "price_minor": price_minor, "currency": currency, "active": active}
    return await _put(session, ctx, Plan, code, fields)


async def put_category(
    session: AsyncSession, ctx: Context, *, code: str, group: str, name: str, pricing: dict[str, Any], active: bool
) -> Put[Category]:
    rule = rule_from_dict(pricing)
    check_rule(rule)
    fields = {"group": group, "name": name, "pricing": rule_to_dict(rule), "active": active}
    return await _put(session, ctx, Category, code, fields)


async def put_license_product(
    session: AsyncSession,
    ctx: Context,
    *,
    code: str,
    name: str,
    bonus_points: int,
    bonus_policy: str,
    active: bool,
) -> Put[LicenseProduct]:
    fields = {"name": name, "bonus_points": bonus_points, "bonus_policy": bonus_policy, "active": active}
    return await _put(session, ctx, LicenseProduct, code, fields)
