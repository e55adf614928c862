"""The expiry sweep: persists due expiries of idle accounts, one command per account.

Safe to run concurrently and repeatedly: each account is locked and re-checked before anything is
written, so a lot's expiry is persisted exactly once whoever gets there first. The accounts' commands
go through the writers like any other write, so they share batches (group commit) with each other
and with the traffic.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from ..db import schema as t
from ..domain.errors import NotFoundError
from .context import Context
from .ledger import open_account_write
from .state import Needs, Scope
from .uow import Database

CHUNK = 500  # accounts whose commands are queued at once

DUE_ACCOUNTS = (
    select(t.lots.c.account_id)
    .where(t.lots.c.expires_at.is_not(None), t.SPENDABLE_LOT)
    .distinct()
    .order_by(t.lots.c.account_id)
)


@dataclass
class SweepResult:
    expired_lots: int = 0
    expired_points: int = 0
    accounts: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class ExpireAccount:
    """Persist one account's due expiries: (lots, points)."""

    ctx: Context
    account_id: str

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)

    def apply(self, tx: Scope) -> tuple[int, int]:
        writer = open_account_write(tx, self.ctx, self.account_id)
        return len(writer.expiries), -sum(e.available_delta for e in writer.expiries)


def due_accounts(conn: Connection, now: object, account_id: str | None) -> list[str]:
    stmt = DUE_ACCOUNTS.where(t.lots.c.expires_at <= now)
    if account_id is not None:
        stmt = stmt.where(t.lots.c.account_id == account_id)
    return list(conn.execute(stmt).scalars())


async def sweep(db: Database, ctx: Context, *, account_id: str | None = None) -> SweepResult:
    due = await db.read(due_accounts, ctx.clock.now(), account_id)
    result = SweepResult()
    for start in range(0, len(due), CHUNK):
        chunk = due[start : start + CHUNK]
        outcomes = await asyncio.gather(
            *(db.write(ExpireAccount(ctx=ctx, account_id=a)) for a in chunk), return_exceptions=True
        )
        for due_account, outcome in zip(chunk, outcomes, strict=True):
            if isinstance(outcome, NotFoundError):
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            lots, points = outcome
            if lots:
                result.expired_lots += lots
                result.expired_points += points
                result.accounts.append(due_account)
    return result
