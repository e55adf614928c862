"""The expiry sweep: persists due expiries of idle accounts, one command per account.

Safe to run concurrently and repeatedly: each account is locked and re-checked before anything is
written, so a lot's expiry is persisted exactly once whoever gets there first. The accounts' commands
go through the writers like any other write, so they share batches (group commit) with each other
and with the traffic.

Bounded work: the sweep reads the accounts of at most `CHUNK` due lots at a time (in expiry order,
through the partial index of lots with available points), commits their expiries, and reads again
until nothing is due. Each chunk is committed before the next is read, so a crash between chunks
loses nothing (those expiries are written) and repeats nothing (their lots are no longer due).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, bindparam, select

from ..db import schema as t
from ..domain.errors import NotFoundError
from .context import Context
from .ledger import open_account_write
from .state import Needs, Scope
from .uow import Database

CHUNK = 500  # due lots whose accounts are read, then expired, at a time

DUE_LOTS = (
    select(t.lots.c.account_id)
    .where(
        t.lots.c.expires_at.is_not(None),
        t.SPENDABLE_LOT,
        t.lots.c.expires_at <= bindparam("now", type_=t.lots.c.expires_at.type),
    )
    .order_by(t.lots.c.expires_at)  # the oldest first: the index's order
    .limit(bindparam("chunk"))
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


def due_accounts(conn: Connection, now: datetime, account_id: str | None, chunk: int) -> list[str]:
    """The accounts of at most `chunk` lots whose available points are due at `now`, each once."""
    stmt = DUE_LOTS if account_id is None else DUE_LOTS.where(t.lots.c.account_id == account_id)
    return list(dict.fromkeys(conn.execute(stmt, {"now": now, "chunk": chunk}).scalars()))


async def sweep(db: Database, ctx: Context, *, account_id: str | None = None) -> SweepResult:
    """Persist every expiry due now, a chunk at a time (see the module's docstring)."""
    now = ctx.clock.now()
    result = SweepResult()
    done: set[str] = set()
    while chunk := [a for a in await db.read(due_accounts, now, account_id, CHUNK) if a not in done]:
        outcomes = await asyncio.gather(
            *(db.write(ExpireAccount(ctx=ctx, account_id=a)) for a in chunk), return_exceptions=True
        )
        for due_account, outcome in zip(chunk, outcomes, strict=True):
            done.add(due_account)  # its due lots are written now: never read again by this sweep
            if isinstance(outcome, NotFoundError):
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            lots, points = outcome
            if lots:
                result.expired_lots += lots
                result.expired_points += points
                result.accounts.append(due_account)
    result.accounts.sort()
    return result
