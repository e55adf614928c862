"""The sweep as the service runs it: expiries, expiry notices, and the purges of what is kept
only for a while (events, Idempotency-Key responses, the pages' ended sessions). The same for
`POST /v1/admin/expire`, the `expire` command, and the service's own periodic run (`periodic_sweep`).

Replicas share the periodic run through a lease row (`leases`): a process runs the sweep only
while it holds the lease, taken with one conditional upsert, so at most one replica sweeps at a
time; a replica that dies loses the lease when it runs out, and another takes over. (Two sweeps at
once would still be correct — every step is safe to repeat — only wasteful.)
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from ..db import schema as t
from ..domain.clock import Clock
from ..settings import Settings
from .context import Context
from .expiry import SweepTally, sweep
from .idempotency import PurgeResponses
from .state import Needs, Scope
from .uow import Database

log = logging.getLogger("points_service.sweep")

PURGE_CHUNK = 5000  # events deleted per transaction
SWEEP_LEASE = "sweep"
PROCESS = f"{uuid.uuid4().hex[:16]}"  # this process, as a lease holder


@dataclass(frozen=True)
class Policy:
    notices: tuple[int, ...]  # expiry notices, in days
    idle_after: timedelta  # an open ticket unchanged this long is told idle
    event_retention: timedelta
    idempotency_ttl: timedelta


def policy_of(settings: Settings) -> Policy:
    return Policy(
        notices=settings.expiry_notices,
        idle_after=timedelta(days=settings.idle_ticket_days),
        event_retention=timedelta(days=settings.event_retention_days),
        idempotency_ttl=timedelta(hours=settings.idempotency_ttl_hours),
    )


def system_context(settings: Settings, clock: Clock) -> Context:
    """Who runs the sweep: the system, on the service's clock."""
    return Context(
        actor="system:expiry",
        role="system",
        clock=clock,
        return_grace=settings.return_grace,
        expiring_window=timedelta(days=settings.expiring_window_days),
        currency=settings.currency,
    )


@dataclass
class Housekept:
    sweep: SweepTally
    purged_events: int
    purged_responses: int
    purged_sessions: int = 0


@dataclass(frozen=True, kw_only=True)
class PurgeRows:
    """Delete at most `chunk` rows of `table` that `ended` selects, the oldest by `order` first
    (an index range); how many. Rows that refer to them go with them (ON DELETE CASCADE)."""

    table: Table
    ended: ColumnElement[bool]
    order: ColumnElement[Any]
    chunk: int = PURGE_CHUNK

    def needs(self, needs: Needs) -> None:
        return None

    def apply(self, tx: Scope) -> list[int]:
        purged = [0]

        def count(result: Any) -> None:
            purged[0] = int(result.rowcount or 0)

        (key,) = self.table.primary_key.columns
        oldest = select(key).where(self.ended).order_by(self.order).limit(self.chunk)
        tx.execute_after(delete(self.table).where(key.in_(oldest.scalar_subquery())), {}, count)
        return purged


async def purge(db: Database, command: PurgeRows) -> int:
    """Every row `command` selects, a chunk per transaction."""
    total = 0
    while True:
        (purged,) = await db.write(command)
        total += purged
        if purged < command.chunk:
            return total


def events_before(before: datetime) -> PurgeRows:
    """The events created before `before` (their deliveries and attempts go with them)."""
    return PurgeRows(table=t.events, ended=t.events.c.created_at < before, order=t.events.c.created_at)


def sessions_ended(now: datetime) -> PurgeRows:
    """The pages' sessions ended by `now` (`ix_ui_sessions_expires_at`)."""
    s = t.ui_sessions.c
    return PurgeRows(table=t.ui_sessions, ended=s.expires_at <= now, order=s.expires_at)


async def purge_events(db: Database, before: datetime) -> int:
    """Every event created before `before`, a chunk per transaction."""
    return await purge(db, events_before(before))


async def housekeep(db: Database, ctx: Context, policy: Policy, *, account_id: str | None = None) -> Housekept:
    """The sweep, then (for the whole database) the purges."""
    result = await sweep(db, ctx, account_id=account_id, notices=policy.notices, idle_after=policy.idle_after)
    if account_id is not None:
        return Housekept(result, 0, 0)
    now = ctx.clock.now()
    events = await purge_events(db, now - policy.event_retention)
    responses = await db.write(PurgeResponses(before=now - policy.idempotency_ttl))
    sessions = await purge(db, sessions_ended(now))
    return Housekept(result, events, responses.responses, sessions)


@dataclass(frozen=True, kw_only=True)
class TakeLease:
    """Take (or keep) the lease `name` until `until`, unless another holder has it still: whether
    this holder has it now."""

    name: str
    holder: str
    now: datetime
    until: datetime
    dialect: str

    def needs(self, needs: Needs) -> None:
        return None

    def apply(self, tx: Scope) -> list[bool]:
        taken = [False]
        insert = (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(t.leases)
        leases = t.leases.c
        stmt = (
            insert.values(name=self.name, holder=self.holder, until=self.until)
            .on_conflict_do_update(
                index_elements=[leases.name],
                set_={"holder": self.holder, "until": self.until},
                where=(leases.until <= self.now) | (leases.holder == self.holder),
            )
            .returning(leases.holder)
        )

        def took(result: Any) -> None:
            # The row written, if any: psycopg's rowcount is -1 here whether a row was written or
            # not (so every replica took the lease every time), RETURNING says it on both databases.
            taken[0] = result.first() is not None

        tx.execute_after(stmt, {}, took)
        return taken


async def sweep_if_holder(
    db: Database, system: Context, policy: Policy, interval: timedelta, *, holder: str = PROCESS
) -> Housekept | None:
    """The sweep, if `holder` takes (or keeps) the lease for two intervals; None if another has it."""
    now = system.clock.now()
    dialect = "sqlite" if db.is_sqlite else "postgresql"
    lease = TakeLease(name=SWEEP_LEASE, holder=holder, now=now, until=now + 2 * interval, dialect=dialect)
    (taken,) = await db.write(lease)
    if not taken:
        return None
    return await housekeep(db, system, policy)


async def periodic_sweep(
    db: Database,
    system: Context,
    policy: Policy,
    interval: timedelta,
    *,
    holder: str = PROCESS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Every `interval`, run the sweep if this process holds the lease (forever: cancel to stop).
    (`holder` and `sleep`: the tests' replicas and clock.)"""
    while True:
        await sleep(interval.total_seconds())
        try:
            done = await sweep_if_holder(db, system, policy, interval, holder=holder)
            if done is None:
                continue
            log.info(
                "sweep",
                extra={
                    "expired_lots": done.sweep.expired_lots,
                    "expiry_notices": done.sweep.expiry_notices,
                    "purged_events": done.purged_events,
                    "purged_responses": done.purged_responses,
                    "purged_sessions": done.purged_sessions,
                },
            )
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed run is logged and tried again next time, never the end of the loop
            log.exception("the periodic sweep failed")
