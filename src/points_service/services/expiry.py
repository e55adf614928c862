"""The sweep: persists due expiries of idle accounts, sends expiry notices and tells idle tickets,
one command per account; purges what is kept only for a while (events, Idempotency-Key responses).

Safe to run concurrently and repeatedly: each account is locked and re-checked before anything is
written, so a lot's expiry is persisted exactly once whoever gets there first. The accounts' commands
go through the writers like any other write, so they share batches (group commit) with each other
and with the traffic.

Expiry notices (`lot.expiring_soon`) go the same way: the accounts of lots that a notice is due
for (`NOTICE_LOTS`), then one command per account that sends each lot's due notice and records it
on the lot (`notice_days`), under the account's lock — so a notice is sent once per lot and
notice, even when two sweeps run at once, late, or twice.

Idle tickets (`ticket.idle`): open tickets whose last change is older than
`POINTS_IDLE_TICKET_DAYS` and that were not told since (`idle_noticed`, reset by every change),
read oldest first through a partial index, told once per idle period under their account's lock.

Bounded work: the sweep reads the accounts of at most `CHUNK` due lots at a time (in expiry order,
through the partial index of lots with available points), commits their expiries, and reads again
until nothing is due. Each chunk is committed before the next is read, so a crash between chunks
loses nothing (those expiries are written) and repeats nothing (their lots are no longer due).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, and_, bindparam, or_, select

from ..db import schema as t
from ..domain.errors import NotFoundError
from ..domain.events import DAY, EventType, days_left, notice_due
from . import present
from .context import Context
from .ledger import open_account_write
from .state import Needs, Scope
from .uow import Database

K = TypeVar("K", bound=str | tuple[str, tuple[str, ...]])  # a chunk's unit of work: an account, or its tickets
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


@cache
def notice_lots(notices: tuple[int, ...]) -> Select[Any]:
    """The accounts of lots with points, not yet expired, that one of `notices` (days) is due for
    and was not sent: for each notice n, at most n days left (`horizon_<n>`) and no notice of n
    days or fewer sent yet. Through the partial index of lots with available points."""
    lots = t.lots.c
    due = [
        and_(
            lots.expires_at <= bindparam(f"horizon_{n}", type_=lots.expires_at.type),
            or_(lots.notice_days.is_(None), lots.notice_days > n),
        )
        for n in notices
    ]
    return (
        select(lots.account_id)
        .where(
            lots.expires_at.is_not(None),
            t.SPENDABLE_LOT,
            lots.expires_at > bindparam("now", type_=lots.expires_at.type),
            or_(*due),
        )
        .order_by(lots.expires_at)
        .limit(bindparam("chunk"))
    )


@dataclass
class SweepTally:
    expired_lots: int = 0
    expired_points: int = 0
    accounts: list[str] = field(default_factory=list)
    expiry_notices: int = 0
    idle_tickets: int = 0


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


@dataclass(frozen=True, kw_only=True)
class SendExpiryNotices:
    """Send one account's due `lot.expiring_soon` notices; how many."""

    ctx: Context
    account_id: str
    notices: tuple[int, ...]

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)

    def apply(self, tx: Scope) -> int:
        writer = open_account_write(tx, self.ctx, self.account_id)
        now, sent = writer.now, 0
        for lot in sorted(writer.spendable(), key=lambda lot: (lot.expires_at or now, lot.id)):
            expires_at = lot.expires_at
            notice = None if expires_at is None else notice_due(expires_at, now, self.notices, lot.notice_days)
            if expires_at is None or notice is None:
                continue
            lot = tx.update(replace(lot, notice_days=notice))
            writer.emit(
                EventType.LOT_EXPIRING_SOON,
                {
                    "lot": present.lot(lot, now),
                    "notice_days": notice,
                    "days_left": days_left(expires_at, now),
                    "points": lot.available,
                },
            )
            sent += 1
        return sent


IDLE_DUE = (
    select(t.tickets.c.account_id, t.tickets.c.id)
    .where(t.IDLE_UNTOLD, t.tickets.c.changed_at <= bindparam("before", type_=t.tickets.c.changed_at.type))
    .order_by(t.tickets.c.changed_at)  # the oldest first: the partial index's order
    .limit(bindparam("chunk"))
)


@dataclass(frozen=True, kw_only=True)
class TellIdle:
    """Send `ticket.idle` for those of `tickets` (one account's) still idle since `before`; how many."""

    ctx: Context
    account_id: str
    tickets: tuple[str, ...]
    before: datetime

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)
        needs.tickets.update(self.tickets)

    def apply(self, tx: Scope) -> int:
        writer = open_account_write(tx, self.ctx, self.account_id)
        told = 0
        for ticket_id in self.tickets:
            ticket = tx.ticket(ticket_id)
            # re-checked under the lock: changed since (a new idle period), or told by another sweep
            if ticket is None or ticket.status != "open" or ticket.idle_noticed or ticket.changed_at > self.before:
                continue
            ticket = tx.update(replace(ticket, idle_noticed=True))
            writer.emit(
                EventType.TICKET_IDLE,
                present.ticket_detail(ticket, tx.allocations(ticket_id), tx.history(ticket_id)),
            )
            told += 1
        return told


def idle_tickets(conn: Connection, before: datetime, account_id: str | None, chunk: int) -> dict[str, list[str]]:
    """At most `chunk` open tickets unchanged since `before` and not told idle, by account."""
    stmt = IDLE_DUE if account_id is None else IDLE_DUE.where(t.tickets.c.account_id == account_id)
    found: dict[str, list[str]] = {}
    for row in conn.execute(stmt, {"before": before, "chunk": chunk}):
        found.setdefault(str(row.account_id), []).append(str(row.id))
    return found


def due_accounts(conn: Connection, now: datetime, account_id: str | None, chunk: int) -> list[str]:
    """The accounts of at most `chunk` lots whose available points are due at `now`, each once."""
    stmt = DUE_LOTS if account_id is None else DUE_LOTS.where(t.lots.c.account_id == account_id)
    return list(dict.fromkeys(conn.execute(stmt, {"now": now, "chunk": chunk}).scalars()))


def notice_accounts(
    conn: Connection, now: datetime, notices: tuple[int, ...], account_id: str | None, chunk: int
) -> list[str]:
    """The accounts of at most `chunk` lots an expiry notice is due for, each once."""
    stmt = notice_lots(notices)
    if account_id is not None:
        stmt = stmt.where(t.lots.c.account_id == account_id)
    params = {"now": now, "chunk": chunk, **{f"horizon_{n}": now + n * DAY for n in notices}}
    return list(dict.fromkeys(conn.execute(stmt, params).scalars()))


async def sweep(
    db: Database,
    ctx: Context,
    *,
    account_id: str | None = None,
    notices: tuple[int, ...] = (),
    idle_after: timedelta | None = None,
) -> SweepTally:
    """Persist every expiry due now, then send the expiry notices due, then `ticket.idle` for the
    open tickets unchanged for `idle_after`, a chunk at a time (see the module's docstring)."""
    result = await _expire(db, ctx, account_id)
    if notices:
        result.expiry_notices = await _notify(db, ctx, account_id, notices)
    if idle_after is not None:
        result.idle_tickets = await _tell_idle(db, ctx, account_id, ctx.clock.now() - idle_after)
    return result


async def _in_chunks(
    db: Database, read: Callable[[set[K]], Awaitable[list[K]]], command: Callable[[K], Any]
) -> list[tuple[K, Any]]:
    """Read a chunk of work (accounts, or an account's tickets) and queue one command for each, all
    at once (they share batches), until a read finds nothing not done yet; the outcomes, but for
    accounts that have gone. `read` is given what is done (its lots, notices or tickets are written
    now, never read again by this sweep)."""
    done: set[K] = set()
    results: list[tuple[K, Any]] = []
    while chunk := [key for key in await read(done) if key not in done]:
        outcomes = await asyncio.gather(*(db.write(command(key)) for key in chunk), return_exceptions=True)
        for key, outcome in zip(chunk, outcomes, strict=True):
            done.add(key)
            if isinstance(outcome, NotFoundError):
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            results.append((key, outcome))
    return results


async def _tell_idle(db: Database, ctx: Context, account_id: str | None, before: datetime) -> int:
    async def read(done: set[tuple[str, tuple[str, ...]]]) -> list[tuple[str, tuple[str, ...]]]:
        seen = {ticket_id for _, ids in done for ticket_id in ids}  # told, or changed since
        found = await db.read_long(idle_tickets, before, account_id, CHUNK)
        fresh = ((owner, tuple(i for i in ids if i not in seen)) for owner, ids in found.items())
        return [(owner, ids) for owner, ids in fresh if ids]

    told = await _in_chunks(
        db, read, lambda group: TellIdle(ctx=ctx, account_id=group[0], tickets=group[1], before=before)
    )
    return sum(n for _, n in told)


async def _notify(db: Database, ctx: Context, account_id: str | None, notices: tuple[int, ...]) -> int:
    now = ctx.clock.now()

    async def read(_: set[str]) -> list[str]:
        return await db.read_long(notice_accounts, now, notices, account_id, CHUNK)

    sent = await _in_chunks(db, read, lambda a: SendExpiryNotices(ctx=ctx, account_id=a, notices=notices))
    return sum(n for _, n in sent)


async def _expire(db: Database, ctx: Context, account_id: str | None) -> SweepTally:
    now = ctx.clock.now()

    async def read(_: set[str]) -> list[str]:
        return await db.read_long(due_accounts, now, account_id, CHUNK)

    result = SweepTally()
    for due_account, (lots, points) in await _in_chunks(db, read, lambda a: ExpireAccount(ctx=ctx, account_id=a)):
        if lots:
            result.expired_lots += lots
            result.expired_points += points
            result.accounts.append(due_account)
    result.accounts.sort()
    return result
