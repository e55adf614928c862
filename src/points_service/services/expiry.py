"""The expiry sweep: persists due expiries of idle accounts, one account per transaction.

Safe to run concurrently and repeatedly: each account is locked and re-checked before anything is
written, so a lot's expiry is persisted exactly once whoever gets there first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.models import Lot
from ..domain.errors import NotFoundError
from .context import Context
from .ledger import open_account_write
from .uow import Database


@dataclass
class SweepResult:
    expired_lots: int = 0
    expired_points: int = 0
    accounts: list[str] = field(default_factory=list)


async def expire_account(session: AsyncSession, ctx: Context, *, account_id: str) -> tuple[int, int]:
    """Persist one account's due expiries: (lots, points)."""
    writer = await open_account_write(session, ctx, account_id)
    return len(writer.expiries), -sum(e.available_delta for e in writer.expiries)


async def sweep(db: Database, ctx: Context, *, account_id: str | None = None) -> SweepResult:
    now = ctx.clock.now()
    async with db.snapshot() as session:
        stmt = (
            select(Lot.account_id)
            .where(Lot.expires_at.is_not(None), Lot.expires_at <= now, Lot.available > 0)
            .distinct()
            .order_by(Lot.account_id)
        )
        if account_id is not None:
            stmt = stmt.where(Lot.account_id == account_id)
        due = list((await session.scalars(stmt)).all())
    result = SweepResult()
    for due_account in due:  # one at a time, in id order: no lock is ever held across accounts
        try:
            lots, points = await db.write(expire_account, ctx, account_id=due_account)
        except NotFoundError:
            continue
        if lots:
            result.expired_lots += lots
            result.expired_points += points
            result.accounts.append(due_account)
    return result
