#!/usr/bin/env python3
"""The benchmark at a realistic size behind `make bench-scale` (docs/performance.md says how to read it).

For each database (SQLite, then PostgreSQL) it makes a fresh database and seeds it in bulk, then
measures a live `points-service serve` (one worker) on it:

1. **Seed.** Histories are written by the service's own commands, in-process (`Database.write`
   of `PutAccount`, `RegisterLicense`, `Purchase`, `OpenTicket`, `ResolveTicket`, `OpenDispute`,
   `RejectDispute`, many in flight at once so that group commit batches them), each command with a
   fixed clock of its own that places it in time:

   * two *template* accounts: an active customer (19 entries, nothing due) and a lapsed one
     (20 entries, whose license bonus expired with points left after its last write, so it has a
     lot due to expire that no write or sweep has persisted);
   * `acct-big`: about 100,000 entries over three years — ~50,000 tickets opened and resolved,
     ten still open, and the `points-1200` packs that pay for them;
   * `acct-small`: 11 entries (the issue's account of ten): its pages hold 1–11 items;
   * `acct-young`: a few hundred entries over four months (80 tickets resolved, 10 open, the
     `points-60` packs bought as the points ran short, more than 50 of them): every page the big
     account fills with 50 items, it fills too.

   In their last hours, a dispute of one in 100 of the big account's resolved tickets (495 at
   scale 1) and of 60 of the young one's is opened and rejected. Then the events older than the retention
   are purged (`housekeeping.purge_events`), as the service's sweep would have.

   The templates are then multiplied by SQL (`INSERT … SELECT` from each table's template rows
   crossed with a numbers table: PostgreSQL's `generate_series`, a recursive CTE on SQLite) that
   rewrites every identifier: account ids, the ULID-based ids of lots, tickets and entries (the
   last 16 of their 26 characters become the copy's number and the row's ordinal in the
   template, so lengths and the time part stay), and the globally unique payment ids, license
   keys and import refs (a suffix). The rows are otherwise what the commands wrote, so `verify`
   must be clean: `points-service verify` runs before any measurement. Tables with account rows
   that are not copied say why in NOT_COPIED (the templates' few remaining events among them).
   At scale 1: 100,000 accounts (10,000 of them lapsed: 10,000 due lots), about 2,000,000 ledger
   entries.
2. **Measure**, against `points-service serve --workers 1`: the account reads (and the account
   page, `GET /ui/accounts/{account}` with a helpdesk session) on the three accounts, interleaved,
   N sequential requests each after a warm-up (median, p90, big ÷ small and big ÷ young: the
   latter compares answers of the same size, so it is what the history costs); opens and resolves
   on the three; the expiry sweep (`POST /v1/admin/expire`) with the due lots, then a check that
   none is left; `GET /v1/admin/verify`, whole and per account; the database's size on disk; the
   server's resident memory.
3. **Report**: a table on stdout, `bench/results/scale.md` and `scale.json`.

Run it with the project's virtualenv Python; PostgreSQL needs POINTS_TEST_DATABASE_URL
(scripts/with_postgres.py sets it, as `make bench-scale` does). A database is created on that
server and dropped afterwards (`--keep` keeps it, and the SQLite file).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from run import (
    POINTS,
    RESULTS,
    TEST_HARNESS,
    cpu_model,
    find_postmaster,
    git_commit,
    machine_busy,
    memory_gib,
    pg_admin,
    postgres_info,
    sign_in,
    tree_cpu,
    versions,
    wait_ready,
)

BIG = "acct-big"
SMALL = "acct-small"
YOUNG = "acct-young"
ACCOUNTS = (BIG, SMALL, YOUNG)
PACK = "points-1200"  # what the big account buys
PACK_POINTS = 1200
WRITE_CATEGORY = ("consultation", 10)  # the opens measured on both accounts
BIG_SPAN = timedelta(days=3 * 365)
BIG_OPEN_TICKETS = 10  # left open at the end of the big account's history
CHUNK = 500  # commands in flight at once while seeding (and the seeding writer's largest batch)
CHUNK_DAYS = timedelta(days=30)  # the most of the big account's history one chunk of tickets spans

# The big account's tickets: (category, points, weight), fixed-price categories of the seed catalogue.
BIG_MIX = (
    ("consultation", 10, 30),
    ("store-problem", 25, 25),
    ("small-mod", 25, 15),
    ("store-server-problem", 40, 10),
    ("patch-application", 40, 8),
    ("medium-mod", 50, 5),
    ("sef-analysis", 60, 4),
    ("code-debugging", 80, 3),
)


@dataclass(frozen=True)
class History:
    """A small account's life, in days after `start_days_ago` before now: its grants, then tickets
    (category, opened on day, resolved on day or None: still open)."""

    name: str
    start_days_ago: float
    grants: tuple[tuple[str, str, float], ...]  # ("license" | "purchase", product or plan, day)
    tickets: tuple[tuple[str, float, float | None], ...]


# An active customer: a license bonus and a pack of 300 a year ago, eight tickets resolved, one open.
ACTIVE = History(
    "active",
    400,
    (("license", "default", 0), ("purchase", "points-300", 1)),
    (
        ("consultation", 20, 21),
        ("store-problem", 60, 64),
        ("small-mod", 100, 103),
        ("sef-analysis", 150, 158),
        ("store-server-problem", 200, 202),
        ("consultation", 240, 240.5),
        ("patch-application", 290, 296),
        ("store-problem", 340, 343),
        ("code-debugging", 395, None),
    ),
)
# A lapsed customer: its tickets used the pack and 40 of the 60 bonus points, its last write was
# 200 days ago, and the bonus expired 60 days ago with 20 points available: due, not yet persisted.
LAPSED = History(
    "lapsed",
    800,
    (("purchase", "points-300", 0), ("license", "default", 10)),
    (
        ("consultation", 30, 31),
        ("store-problem", 80, 82),
        ("small-mod", 150, 152),
        ("sef-analysis", 230, 235),
        ("store-server-problem", 300, 301),
        ("consultation", 380, 380.5),
        ("patch-application", 450, 455),
        ("medium-mod", 520, 524),
        ("code-debugging", 590, 597),
    ),
)
SMALL_HISTORY = History(
    "small",
    200,
    (("license", "default", 0), ("purchase", PACK, 1)),
    (
        ("consultation", 30, 31),
        ("store-problem", 70, 72),
        ("small-mod", 120, 121),
        ("sef-analysis", 160, 165),
        ("store-problem", 195, None),
    ),
)

# acct-young's tickets, in turn: (category, points), fixed-price categories of the seed catalogue.
YOUNG_MIX = (
    ("store-server-problem", 40),
    ("consultation", 10),
    ("patch-application", 40),
    ("medium-mod", 50),
    ("store-problem", 25),
    ("sef-analysis", 60),
    ("code-debugging", 80),
)
YOUNG_PACK = ("points-60", 60)  # small packs, bought when a ticket needs them: one purchase per ticket or so
YOUNG_RESOLVED = 80  # more than a page (50) of resolved tickets, and of tickets
DISPUTE_EVERY = 100  # acct-big: a dispute of one resolved ticket in so many (about 490 at scale 1)
YOUNG_DISPUTES = 60  # acct-young's disputes (of its resolved tickets)
YOUNG_TICKET_DAYS = 1.25  # a ticket opened every so many days, resolved half a day later


def young_history(reserve: int) -> History:
    """A short history that fills every page the big account fills: YOUNG_RESOLVED tickets resolved
    and BIG_OPEN_TICKETS still open, each paid for by the `points-60` packs bought just before it
    when the points available fall short (more than 50 purchases, few lots holding points at the
    end), then the `points-1200` packs enough for `reserve` more points (the opens measured)."""
    plan, pack_points = YOUNG_PACK
    grants: list[tuple[str, str, float]] = [("license", "default", 0)]
    tickets: list[tuple[str, float, float | None]] = []
    available = 0  # the license bonus (60) not counted: a pack's worth spare
    for n in range(YOUNG_RESOLVED + BIG_OPEN_TICKETS):
        category, points = YOUNG_MIX[n % len(YOUNG_MIX)]
        opened = 2 + n * YOUNG_TICKET_DAYS
        packs = math.ceil(max(0, points - available) / pack_points)
        grants += [("purchase", plan, opened - 0.01 * (packs - k)) for k in range(packs)]
        available += packs * pack_points - points
        tickets.append((category, opened, opened + 0.5 if n < YOUNG_RESOLVED else None))
    last = tickets[-1][1]
    grants += [("purchase", PACK, last + 0.5 + 0.01 * k) for k in range(math.ceil(reserve / PACK_POINTS))]
    # ending a day before now, so that its open tickets are younger than POINTS_IDLE_TICKET_DAYS (14)
    # and the sweep measured has no `ticket.idle` to send for them
    return History("young", last + 1.5, tuple(grants), tuple(tickets))


# The reads measured on each account: (name, path, query). `{account}` and `{ticket}` are filled in;
# a path under /ui/ is asked with a helpdesk session's cookie instead of the key.
READS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("balance", "/v1/accounts/{account}/balance", {}),
    ("statement", "/v1/accounts/{account}/statement", {"limit": 50}),
    ("ledger", "/v1/accounts/{account}/ledger", {"limit": 50}),
    ("ledger kind=purchase", "/v1/accounts/{account}/ledger", {"limit": 50, "kind": "purchase"}),
    ("ledger kind=expiry", "/v1/accounts/{account}/ledger", {"limit": 50, "kind": "expiry"}),  # neither has one
    ("lots", "/v1/accounts/{account}/lots", {"limit": 50}),
    ("tickets", "/v1/accounts/{account}/tickets", {"limit": 50}),
    ("tickets status=open", "/v1/accounts/{account}/tickets", {"limit": 50, "status": "open"}),
    ("tickets status=resolved", "/v1/accounts/{account}/tickets", {"limit": 50, "status": "resolved"}),
    ("ticket detail", "/v1/tickets/{ticket}", {}),
    ("disputes", "/v1/accounts/{account}/disputes", {"limit": 50}),
    ("events", "/v1/events", {"limit": 50, "account_id": "{account}"}),
    ("page /ui/accounts (statement's twin)", "/ui/accounts/{account}", {}),
)


def log(message: str) -> None:
    print(f"bench-scale: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Figures:
    """How much to seed at a scale factor (1.0: the figures of the module's docstring)."""

    scale: float

    @property
    def accounts(self) -> int:  # all of them: the copies of both templates, the big, the small and the young
        return max(5, round(100_000 * self.scale))

    @property
    def lapsed(self) -> int:  # one due lot each
        return max(1, round(10_000 * self.scale))

    @property
    def active(self) -> int:
        return self.accounts - self.lapsed - len(ACCOUNTS)

    @property
    def big_entries(self) -> int:
        return max(100, round(100_000 * self.scale))


# --- seeding by the service's commands ----------------------------------------------------------


class FixedClock:
    """A command's clock: the instant the seed places it at."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class Seeder:
    """Writes histories with the service's commands, each at its own instant."""

    def __init__(self, database_url: str, now: datetime) -> None:
        from points_service.services.uow import Database
        from points_service.settings import Settings

        self.now = now
        self.settings = Settings(
            database_url=database_url,
            readers=1,
            writers=1,
            write_batch_size=CHUNK,
            db_statement_timeout=600,
        )
        self.db = Database.from_settings(self.settings)
        self.commands = 0

    def ctx(self, at: datetime, actor: str, role: str) -> Any:
        from points_service.services.context import Context

        return Context(actor=actor, role=role, clock=FixedClock(at), return_grace=self.settings.return_grace)

    async def write(self, commands: Sequence[Any]) -> list[Any]:
        """Queue the commands at once, in order (the writer applies them in that order, in batches)."""
        self.commands += len(commands)
        return list(await asyncio.gather(*(self.db.write(c) for c in commands)))

    async def close(self) -> None:
        await self.db.dispose()

    async def account(self, account_id: str, at: datetime, display_name: str) -> None:
        from points_service.services.accounts import PutAccount

        ctx = self.ctx(at, "scale-admin", "admin")
        await self.write([PutAccount(ctx=ctx, account_id=account_id, display_name=display_name)])

    def purchase(self, account_id: str, plan: str, payment_id: str, at: datetime) -> Any:
        from points_service.services.grants import Purchase

        ctx = self.ctx(at, "billing-system", "billing")
        return Purchase(ctx=ctx, account_id=account_id, plan=plan, payment_id=payment_id)

    def license(self, account_id: str, product: str, key: str, at: datetime) -> Any:
        from points_service.services.grants import RegisterLicense

        ctx = self.ctx(at, "billing-system", "billing")
        return RegisterLicense(ctx=ctx, account_id=account_id, license_key=key, product=product)

    def open(self, account_id: str, ref: str, category: str, at: datetime) -> Any:
        from points_service.services.tickets import OpenTicket

        ctx = self.ctx(at, "helpdesk-web", "helpdesk")
        return OpenTicket(ctx=ctx, account_id=account_id, external_ref=ref, category=category, subject=f"Issue {ref}")

    def resolve(self, account_id: str, ticket_id: str, at: datetime) -> Any:
        from points_service.services.tickets import ResolveTicket

        ctx = self.ctx(at, "helpdesk-web", "helpdesk")
        return ResolveTicket(ctx=ctx, account_id=account_id, ticket_id=ticket_id, note="done")

    async def history(self, account_id: str, history: History, extra_packs: int = 0) -> list[str]:
        """One account's life, one command at a time; the ids of its resolved tickets."""
        start = self.now - timedelta(days=history.start_days_ago)

        def day(n: float) -> datetime:
            return start + timedelta(days=n)

        await self.account(account_id, start, f"Customer {account_id}")
        # (when, 0 grant / 1 open / 2 resolve, number, what): grants and tickets in the order of time
        events: list[tuple[datetime, int, int, str]] = []
        grants = [(kind, code, day(on), f"{account_id}-{n}") for n, (kind, code, on) in enumerate(history.grants, 1)]
        grants += [("purchase", PACK, day(1) + timedelta(minutes=n), f"{account_id}-x{n}") for n in range(extra_packs)]
        events += [(at, 0, n, "") for n, (_, _, at, _) in enumerate(grants)]
        for n, (category, opened, resolved) in enumerate(history.tickets):
            events.append((day(opened), 1, n, category))
            if resolved is not None:
                events.append((day(resolved), 2, n, category))
        ids: dict[int, str] = {}
        resolved_ids = []
        for at, action, n, category in sorted(events):
            if action == 0:
                kind, code, _, key = grants[n]
                if kind == "license":
                    await self.write([self.license(account_id, code, f"LIC-{key}", at)])
                else:
                    await self.write([self.purchase(account_id, code, f"pay-{key}", at)])
            elif action == 1:
                (view,) = await self.write([self.open(account_id, f"HD-{n + 1:04d}", category, at)])
                ids[n] = view.ticket.id
            else:
                await self.write([self.resolve(account_id, ids[n], at)])
                resolved_ids.append(ids[n])
        return resolved_ids

    async def disputes(self, account_id: str, ticket_ids: Sequence[str], at: datetime) -> None:
        """A dispute of each ticket's charge, opened then rejected, from `at` on, a second apart."""
        from points_service.services.disputes import OpenDispute, RejectDispute

        for first in range(0, len(ticket_ids), CHUNK):
            chunk = ticket_ids[first : first + CHUNK]
            when = [at + timedelta(seconds=2 * (first + j)) for j in range(len(chunk))]
            opened = await self.write(
                [
                    OpenDispute(
                        ctx=self.ctx(t, "helpdesk-web", "helpdesk"),
                        ticket_id=ticket,
                        account_id=account_id,
                        reason="charged more than estimated",
                    )
                    for ticket, t in zip(chunk, when, strict=True)
                ]
            )
            await self.write(
                [
                    RejectDispute(
                        ctx=self.ctx(t + timedelta(seconds=1), "scale-admin", "admin"),
                        dispute_id=dispute.id,
                        account_id=account_id,
                        note="charged as estimated",
                    )
                    for dispute, t in zip(opened, when, strict=True)
                ]
            )

    async def big(self, account_id: str, entries: int, reserve: int, progress: Callable[[str], None]) -> list[str]:
        """About `entries` entries: tickets in chunks of up to CHUNK (opened over the first half of
        the chunk's days, resolved over the second half), the packs that pay for each chunk bought
        at its start, and at the end packs enough for `reserve` more points. The resolved ids."""
        from points_service.domain.clock import expiry_from

        rng = random.Random(20261203)
        categories = [(c, p) for c, p, _ in BIG_MIX]
        weights = [w for _, _, w in BIG_MIX]
        tickets: list[tuple[str, int]] = []
        spent = 0
        # 2 entries per ticket (capture, deduction), 1 per pack; the last tickets stay open (1 each)
        while 2 * len(tickets) + math.ceil(spent / PACK_POINTS) - BIG_OPEN_TICKETS < entries:
            category, points = rng.choices(categories, weights)[0]
            tickets.append((category, points))
            spent += points
        # A chunk spans at most CHUNK_DAYS, so that the packs bought at its start are used up long
        # before they expire (two years), however few tickets a small scale has.
        size = min(CHUNK, math.ceil(len(tickets) / math.ceil(BIG_SPAN / CHUNK_DAYS)))
        chunks = [tickets[i : i + size] for i in range(0, len(tickets), size)]
        start = self.now - BIG_SPAN - timedelta(days=1)
        window = BIG_SPAN / len(chunks)
        start_of_setup = start - timedelta(days=1)
        await self.account(account_id, start_of_setup, "Big Customer Inc.")
        # The packs as the seed counts them, soonest expiry first (the order captures take them in):
        # [expires_at, points left]. A pack that expires before a chunk ends is no longer counted
        # (the service may still take some of it first: then more is left than counted, never less).
        packs: list[list[Any]] = []
        bought = 0
        number = 0
        resolved: list[str] = []
        started = time.perf_counter()

        async def buy(points: int, at: datetime, until: datetime) -> None:
            nonlocal bought, packs
            packs = [pack for pack in packs if pack[0] > until]
            missing = math.ceil(max(0, points - sum(left for _, left in packs)) / PACK_POINTS)
            times = [at + timedelta(seconds=i) for i in range(missing)]
            ids = [f"pay-{account_id}-{bought + i + 1:06d}" for i in range(missing)]
            await self.write(
                [self.purchase(account_id, PACK, payment, t) for payment, t in zip(ids, times, strict=True)]
            )
            bought += missing
            packs += [[expiry_from(t), PACK_POINTS] for t in times]

        for k, chunk in enumerate(chunks):
            t0 = start + window * k
            need = sum(points for _, points in chunk)
            await buy(need, t0, t0 + window)
            for pack in packs:
                taken = min(need, pack[1])
                pack[1] -= taken
                need -= taken
            step = (window / 2) / (len(chunk) + 1)
            opening = t0 + timedelta(minutes=1)
            views = await self.write(
                [
                    self.open(account_id, f"HD-{number + j + 1:07d}", category, opening + step * (j + 1))
                    for j, (category, _) in enumerate(chunk)
                ]
            )
            for view, (_, points) in zip(views, chunk, strict=True):
                if view.ticket.estimated_points != points:
                    raise RuntimeError(f"the catalogue prices {view.ticket.category_code} otherwise than BIG_MIX")
            closing = t0 + window / 2
            last_resolved = len(tickets) - BIG_OPEN_TICKETS  # the newest tickets stay open
            to_resolve = [view for j, view in enumerate(views) if number + j < last_resolved]
            number += len(chunk)
            await self.write(
                [
                    self.resolve(account_id, view.ticket.id, closing + step * (j + 1))
                    for j, view in enumerate(to_resolve)
                ]
            )
            resolved += [view.ticket.id for view in to_resolve]
            if (k + 1) % max(1, len(chunks) // 10) == 0 or k == len(chunks) - 1:
                rate = self.commands / (time.perf_counter() - started)
                progress(f"{account_id}: {number}/{len(tickets)} tickets, {bought} packs ({rate:.0f} commands/s)")
        # enough for the opens measured, for a while after the seed
        await buy(reserve, start + BIG_SPAN + timedelta(minutes=1), self.now + timedelta(days=7))
        return resolved


# --- multiplying the templates by SQL ---------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    """How one table's template rows are copied: which rows, what each rewritten column becomes
    ("account", "display", "id", "suffix", or "omit": the database numbers it), in what order."""

    table: str
    rows: str  # a condition on `src`, the template's rows
    rewrite: dict[str, str]
    order: str  # each copy's rows in the order the template's were written


COPIES = (
    Copy("accounts", "src.id = :template", {"id": "account", "display_name": "display"}, "src.id"),
    Copy(
        "lots",
        "src.account_id = :template",
        {
            "id": "id",
            "account_id": "account",
            "payment_id": "suffix",
            "license_key": "suffix",
            "external_ref": "suffix",
            "origin_lot_id": "id",
        },
        "m_id.tail",
    ),
    Copy(
        "licenses",
        "src.account_id = :template",
        {"license_key": "suffix", "account_id": "account", "lot_id": "id"},
        "src.purchased_at",
    ),
    Copy("tickets", "src.account_id = :template", {"id": "id", "account_id": "account"}, "m_id.tail"),
    Copy(
        "ticket_allocations",
        "src.ticket_id IN (SELECT id FROM tickets WHERE account_id = :template)",
        {"ticket_id": "id", "lot_id": "id"},
        "m_ticket_id.tail, src.seq",
    ),
    Copy(
        "ticket_events",
        "src.ticket_id IN (SELECT id FROM tickets WHERE account_id = :template)",
        {"id": "omit", "ticket_id": "id"},
        "src.id",
    ),
    Copy(
        "ledger_entries",
        "src.account_id = :template",
        {"id": "id", "account_id": "account", "lot_id": "id", "ticket_id": "id"},
        "src.seq",
    ),
    Copy(
        "postings",
        "src.entry_id IN (SELECT id FROM ledger_entries WHERE account_id = :template)",
        {"entry_id": "id", "lot_id": "id"},
        "m_entry_id.tail, src.idx",
    ),
)
# Tables with account rows that the copies leave out, and why.
NOT_COPIED = {
    "api_keys": "keys, not an account's history",
    "webhook_events": "webhooks received, not an account's history",
    # The outbox: the seed purges what the service's sweep would have (events older than the
    # retention); what is left of the active template's (its last days) is not copied, since an
    # event's data names the template's ids. A copy is then an account whose events were all purged.
    "events": "purged as the sweep would, the rest not copied",
    "disputes": "the templates open none (checked when copying)",
    "webhook_endpoints": "the templates register none (checked when copying)",
}
ULID_TAIL = 16  # the characters of a ULID-based id that a copy replaces: 8 for the copy, 8 for the row


def check_copies() -> None:
    """Every identifier a copy must change is rewritten: each column referencing a copied table,
    and a column of every primary key and UNIQUE constraint. A schema change that adds one fails
    here rather than in a UNIQUE violation (or, worse, rows shared between accounts)."""
    from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint

    from points_service.db import schema

    copied = {c.table for c in COPIES}
    for copy in COPIES:
        table = schema.metadata.tables[copy.table]
        unknown = set(copy.rewrite) - set(table.c.keys())
        if unknown:
            raise AssertionError(f"{copy.table}: no columns {unknown}")
        for column in table.c:
            for fk in column.foreign_keys:
                if fk.column.table.name in copied and column.name not in copy.rewrite:
                    raise AssertionError(f"{copy.table}.{column.name} references {fk.column.table.name}: rewrite it")
        keys = [
            {c.name for c in constraint.columns}
            for constraint in table.constraints
            if isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint)
        ]
        keys += [{c.name for c in index.columns} for index in table.indexes if index.unique]
        for names in keys:
            if not names & set(copy.rewrite):
                raise AssertionError(f"{copy.table}: a copy would repeat {sorted(names)}: rewrite one of them")
    tables_with_accounts = {
        t.name for t in schema.metadata.sorted_tables if "account_id" in t.c or t.name in ("accounts",)
    }
    missing = tables_with_accounts - copied - set(NOT_COPIED)
    if missing:
        raise AssertionError(f"tables with account rows that are not copied: {missing}")


class Multiplier:
    """Copies a template account's rows to `copies` new accounts, in one transaction per template."""

    def __init__(self, conn: Any, sqlite: bool) -> None:
        self.conn = conn
        self.sqlite = sqlite

    def pad(self, expr: str, width: int) -> str:
        if self.sqlite:
            return f"printf('%0{width}d', {expr})"
        return f"lpad(({expr})::text, {width}, '0')"

    def sql(self, copy: Copy) -> str:
        from points_service.db import schema

        table = schema.metadata.tables[copy.table]
        columns, values, joins = [], [], []
        for column in table.c:
            how = copy.rewrite.get(column.name)
            name = f'src."{column.name}"'
            if how == "omit":
                continue
            columns.append(f'"{column.name}"')
            if how is None:
                values.append(name)
            elif how == "account":
                values.append(f"'acct-' || {self.pad(':base + n.i', 6)}")
            elif how == "display":
                values.append(f"'Customer acct-' || {self.pad(':base + n.i', 6)}")
            elif how == "suffix":  # NULL stays NULL
                values.append(f"{name} || '-' || {self.pad('n.i', 8)}")
            elif how == "id":
                alias = f"m_{column.name}"
                kind = "JOIN" if column.primary_key else "LEFT JOIN"
                joins.append(f"{kind} scale_ids {alias} ON {alias}.old = {name}")
                values.append(f"{alias}.head || {self.pad('n.i', 8)} || {alias}.tail")
            else:
                raise AssertionError(how)
        return (
            f'INSERT INTO "{copy.table}" ({", ".join(columns)}) '
            f'SELECT {", ".join(values)} FROM "{copy.table}" src {" ".join(joins)} '
            f"JOIN scale_n n ON n.i <= :copies WHERE {copy.rows} ORDER BY n.i, {copy.order}"
        )

    def numbers(self, count: int) -> None:
        self.x("DROP TABLE IF EXISTS scale_n")
        if self.sqlite:
            self.x("CREATE TEMP TABLE scale_n (i INTEGER PRIMARY KEY)")
            self.x(
                "INSERT INTO scale_n WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < :count) "
                "SELECT i FROM c",
                count=count,
            )
        else:
            self.x("CREATE TEMP TABLE scale_n (i INTEGER PRIMARY KEY)")
            self.x("INSERT INTO scale_n SELECT generate_series(1, :count)", count=count)

    def ids(self, templates: Iterable[str]) -> int:
        """The template rows' ids, each with the head it keeps and the ordinal that ends it."""
        self.x("DROP TABLE IF EXISTS scale_ids")
        self.x("CREATE TEMP TABLE scale_ids (old VARCHAR(32) PRIMARY KEY, head VARCHAR(32), tail VARCHAR(8))")
        rows: list[dict[str, str]] = []
        for template in templates:
            for table, order in (("lots", "created_at, id"), ("tickets", "opened_at, id"), ("ledger_entries", "seq")):
                for (ident,) in self.x(f"SELECT id FROM {table} WHERE account_id = :t ORDER BY {order}", t=template):
                    if len(ident) < ULID_TAIL + 4:
                        raise AssertionError(f"{table} id {ident!r} is too short to rewrite")
                    rows.append({"old": ident, "head": ident[:-ULID_TAIL], "tail": f"{len(rows) + 1:08d}"})
        from sqlalchemy import text

        self.conn.execute(text("INSERT INTO scale_ids (old, head, tail) VALUES (:old, :head, :tail)"), rows)
        return len(rows)

    def copy(self, template: str, base: int, copies: int) -> dict[str, int]:
        """Rows inserted per table; accounts become acct-<base + 1> … acct-<base + copies>."""
        inserted = {}
        for copy in COPIES:
            began = time.perf_counter()
            result = self.x(self.sql(copy), template=template, base=base, copies=copies)
            inserted[copy.table] = result.rowcount
            log(f"  {copy.table}: {result.rowcount} rows in {time.perf_counter() - began:.1f} s")
        return inserted

    def check_references(self) -> None:
        """Every foreign key of the copied tables finds its row (the copies skipped the row-by-row
        checks): SQLite's `foreign_key_check`; on PostgreSQL an anti-join per foreign key."""
        from points_service.db import schema

        if self.sqlite:
            dangling = self.x("PRAGMA foreign_key_check").all()
            if dangling:
                raise AssertionError(f"rows whose foreign keys find nothing: {dangling[:5]}")
            return
        # The planner's statistics still describe the tables before the copies: without fresh ones it
        # may pick a nested loop over hundreds of thousands of rows on each side.
        self.x("ANALYZE " + ", ".join(f'"{copy.table}"' for copy in COPIES))
        self.x("SET LOCAL enable_nestloop = off")  # and whatever they say: hash anti-joins, each table read once
        for copy in COPIES:
            for fk in schema.metadata.tables[copy.table].foreign_keys:
                child, parent = fk.parent, fk.column
                found = self.x(
                    f'SELECT count(*) FROM "{copy.table}" c WHERE c."{child.name}" IS NOT NULL AND NOT EXISTS '
                    f'(SELECT 1 FROM "{parent.table.name}" p WHERE p."{parent.name}" = c."{child.name}")'
                ).scalar_one()
                if found:
                    raise AssertionError(f"{found} rows of {copy.table}.{child.name} find no {parent.table.name}")

    def x(self, sql: str, **params: Any) -> Any:
        from sqlalchemy import text

        return self.conn.execute(text(sql), params)


# --- one database -----------------------------------------------------------------------------------


@dataclass
class Timed:
    name: str
    ms: dict[str, list[float]] = field(default_factory=lambda: {account: [] for account in ACCOUNTS})
    items: dict[str, int | str | None] = field(default_factory=dict)


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile, interpolated between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summary(name: str, ms: Mapping[str, Sequence[float]], items: dict[str, Any]) -> dict[str, Any]:
    """p50 and p90 per account (`big_p50_ms`, `small_p90_ms`, `young_p50_ms`…), and the big
    account's p50 over the small one's (`ratio_p50`) and over the young one's (`ratio_young_p50`)."""
    row: dict[str, Any] = {"read": name, "requests": len(ms[BIG])}
    for account in ACCOUNTS:
        short = account.removeprefix("acct-")
        row[f"{short}_p50_ms"] = round(quantile(ms[account], 0.5), 2)
        row[f"{short}_p90_ms"] = round(quantile(ms[account], 0.9), 2)
    p50_big = quantile(ms[BIG], 0.5)
    for key, other in (("ratio_p50", SMALL), ("ratio_young_p50", YOUNG)):
        p50 = quantile(ms[other], 0.5)
        row[key] = round(p50_big / p50, 2) if p50 else None
    row["items"] = items
    return row


def items_of(response: httpx.Response) -> int | str | None:
    """How many rows an answer holds: a page's items; the statement's three parts, and the account
    page's three tables (rows of their bodies, less a "None." row), as "part 1+part 2+part 3"."""
    if response.headers.get("content-type", "").startswith("text/html"):
        tables = re.findall(r"<tbody>(.*?)</tbody>", response.text, re.S)
        return "+".join(str(len(re.findall(r"<tr[ >]", t)) - t.count(">None.</td>")) for t in tables) or None
    body = response.json()
    if "items" in body:
        return len(body["items"])
    if "modifications" in body:
        return "+".join(str(len(body[part]["items"])) for part in ("modifications", "in_progress", "closed"))
    return None


class Run:
    def __init__(self, args: argparse.Namespace, db: str, workdir: Path, pg_url: str | None) -> None:
        self.args = args
        self.db = db
        self.workdir = workdir
        self.pg_url = pg_url
        self.figures = Figures(args.scale)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.database_url = ""
        self.pg_database: str | None = None
        self.sqlite_path: Path | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.keys: dict[str, str] = {}
        self.result: dict[str, Any] = {"db": db, "scale": args.scale, "notes": []}
        self.detail_ticket: dict[str, str] = {}
        self.session = ""  # the pages' session cookie, `points_session=…`

    # database and CLI

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(TEST_HARNESS)}
        env.update(POINTS_DATABASE_URL=self.database_url, POINTS_LOG_LEVEL="WARNING", **extra)
        return env

    def cli(self, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [POINTS, *argv], env=self.env(**extra), check=False, capture_output=True, text=True, cwd=self.workdir
        )

    def create_database(self) -> None:
        if self.db == "sqlite":
            self.sqlite_path = self.workdir / "scale.db"
            self.database_url = f"sqlite:///{self.sqlite_path}"
        else:
            from sqlalchemy.engine import make_url

            assert self.pg_url is not None
            self.pg_database = f"points_scale_{os.getpid()}"
            pg_admin(
                self.pg_url,
                f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)',
                f'CREATE DATABASE "{self.pg_database}"',
            )
            self.database_url = (
                make_url(self.pg_url).set(database=self.pg_database).render_as_string(hide_password=False)
            )
        done = self.cli("migrate")
        if done.returncode != 0:
            raise RuntimeError(f"migrate failed: {done.stderr}")
        for role in ("admin", "helpdesk"):
            done = self.cli("keys", "create", "--role", role, "--name", f"scale-{role}")
            if done.returncode != 0:
                raise RuntimeError(f"keys create failed: {done.stderr}")
            self.keys[role] = done.stdout.strip()

    def drop_database(self) -> None:
        if self.args.keep:
            log(f"{self.db}: kept the database: POINTS_DATABASE_URL={self.database_url}")
            return
        if self.pg_database is not None and self.pg_url is not None:
            pg_admin(self.pg_url, f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')

    def engine(self) -> Any:
        from points_service.db.engine import create_engine
        from points_service.settings import Settings

        return create_engine(Settings(database_url=self.database_url, db_statement_timeout=600), connections=1)

    def size_bytes(self) -> dict[str, int]:
        if self.sqlite_path is not None:
            wal = self.sqlite_path.with_name(self.sqlite_path.name + "-wal")
            return {
                "file": self.sqlite_path.stat().st_size,
                "wal": wal.stat().st_size if wal.exists() else 0,
            }
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return {"database": conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()}
        finally:
            engine.dispose()

    def counts(self) -> dict[str, int]:
        from sqlalchemy import text

        tables = ("accounts", "lots", "tickets", "ticket_allocations", "ticket_events", "ledger_entries", "postings")
        engine = self.engine()
        try:
            with engine.connect() as conn:
                found = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one() for t in tables}
                for account in ACCOUNTS:
                    last_seq = text("SELECT last_seq FROM accounts WHERE id = :account")
                    found[f"{account} entries"] = conn.execute(last_seq, {"account": account}).scalar_one()
                found["due lots"] = self.due_lots(conn)
                return found
        finally:
            engine.dispose()

    def due_lots(self, conn: Any) -> int:
        from sqlalchemy import func, select

        from points_service.db import schema

        lots = schema.lots.c
        due = select(func.count()).where(lots.expires_at.is_not(None), lots.expires_at <= datetime.now(UTC))
        return int(conn.execute(due.where(lots.available > 0)).scalar_one())

    # seeding

    async def seed(self) -> None:
        from points_service.services.housekeeping import purge_events

        figures = self.figures
        log(
            f"{self.db}: seeding scale {figures.scale:g}: {figures.accounts} accounts "
            f"({figures.lapsed} with a due lot), {BIG} with ~{figures.big_entries} entries"
        )
        reserve = (self.args.writes + 10) * WRITE_CATEGORY[1]
        started = time.perf_counter()
        seeder = Seeder(self.database_url, self.now)
        try:
            templates = {ACTIVE.name: "acct-000001", LAPSED.name: f"acct-{figures.active + 1:06d}"}
            await seeder.history(templates[ACTIVE.name], ACTIVE)
            await seeder.history(templates[LAPSED.name], LAPSED)
            small_points = 1260 - sum(
                {c: p for c, p, _ in BIG_MIX}.get(category, 0) for category, _, _ in SMALL_HISTORY.tickets
            )
            extra = math.ceil(max(0, reserve - small_points) / PACK_POINTS)
            small_resolved = await seeder.history(SMALL, SMALL_HISTORY, extra_packs=extra)
            young_resolved = await seeder.history(YOUNG, young_history(reserve))
            commands_seconds_small = time.perf_counter() - started
            big_started = time.perf_counter()
            big_resolved = await seeder.big(BIG, figures.big_entries, reserve, lambda m: log(f"{self.db}: {m}"))
            big_seconds = time.perf_counter() - big_started
            # Disputes, rejected, in the last hours: one in DISPUTE_EVERY of the big account's
            # resolved tickets, and a page's worth and more of the young one's.
            await seeder.disputes(BIG, big_resolved[::DISPUTE_EVERY], self.now - timedelta(hours=3))
            await seeder.disputes(YOUNG, young_resolved[:YOUNG_DISPUTES], self.now - timedelta(hours=3))
            commands_seconds = time.perf_counter() - started
            # What the service's own sweep would have done by now, so that the sweep measured
            # below does not purge three years of events.
            purge_started = time.perf_counter()
            purged = await purge_events(seeder.db, self.now - timedelta(days=seeder.settings.event_retention_days))
            purge_seconds = time.perf_counter() - purge_started
        finally:
            await seeder.close()
        self.detail_ticket = {
            # a disputed one on both accounts that have disputes, so that the answers match
            BIG: big_resolved[len(big_resolved) // 2 // DISPUTE_EVERY * DISPUTE_EVERY],
            SMALL: small_resolved[len(small_resolved) // 2],
            YOUNG: young_resolved[len(young_resolved) // 2],  # < YOUNG_DISPUTES: disputed
        }
        log(
            f"{self.db}: {seeder.commands} commands in {commands_seconds:.1f} s "
            f"({seeder.db.batches} transactions; {BIG}: {big_seconds:.1f} s)"
        )

        copy_started = time.perf_counter()
        inserted = self.multiply(templates)
        copy_seconds = time.perf_counter() - copy_started
        log(f"{self.db}: copies in {copy_seconds:.1f} s: {inserted}")

        tidy_started = time.perf_counter()
        self.tidy()
        tidy_seconds = time.perf_counter() - tidy_started
        seed_seconds = time.perf_counter() - started

        verify_started = time.perf_counter()
        done = self.cli("verify", POINTS_DB_STATEMENT_TIMEOUT="600")
        verify_seconds = time.perf_counter() - verify_started
        try:
            report = json.loads(done.stdout)
        except ValueError:
            report = {"ok": False, "error": (done.stdout + done.stderr)[-2000:]}
        if done.returncode != 0 or not report.get("ok"):
            report["disagreements"] = report.get("disagreements", [])[:5]
            raise RuntimeError(f"verify is not clean after seeding: {report}")
        counts = self.counts()
        expected_due = figures.lapsed
        if counts["due lots"] != expected_due:
            raise RuntimeError(f"{counts['due lots']} due lots after seeding, not {expected_due}")
        log(
            f"{self.db}: seeded in {seed_seconds:.1f} s; verify (CLI) clean in {verify_seconds:.1f} s; "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
        )
        self.result["seed"] = {
            "seconds": round(seed_seconds, 1),
            "commands": seeder.commands,
            "command_transactions": seeder.db.batches,
            "commands_seconds": round(commands_seconds, 1),
            "templates_small_young_seconds": round(commands_seconds_small, 1),
            "big_seconds": round(big_seconds, 1),
            "purged_events": purged,
            "purge_seconds": round(purge_seconds, 1),
            "copy_seconds": round(copy_seconds, 1),
            "tidy_seconds": round(tidy_seconds, 1),
            "copied_rows": inserted,
            "verify_cli_seconds": round(verify_seconds, 1),
            "verify_cli_report": {k: v for k, v in report.items() if k != "disagreements"},
        }
        self.result["counts"] = counts
        self.result["size_after_seed"] = self.size_bytes()

    def multiply(self, templates: dict[str, str]) -> dict[str, int]:
        figures = self.figures
        engine = self.engine()
        sqlite = self.sqlite_path is not None
        try:
            with engine.connect() as conn:
                # Foreign keys are checked once at the end, for whole tables (check_references),
                # instead of row by row (on PostgreSQL, a locking look-up of the parent per row).
                if sqlite:
                    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction, or it does nothing
                conn.exec_driver_sql("BEGIN IMMEDIATE" if sqlite else "BEGIN")
                if not sqlite:
                    conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                multiplier = Multiplier(conn, sqlite)
                for table in ("disputes", "webhook_endpoints"):  # NOT_COPIED: none to copy
                    for template in templates.values():
                        found = multiplier.x(f"SELECT count(*) FROM {table} WHERE account_id = :t", t=template)
                        if found.scalar_one():
                            raise AssertionError(f"{template} has {table} rows, which the copies leave out")
                multiplier.numbers(max(figures.active, figures.lapsed))
                multiplier.ids(templates.values())
                # acct-000001 is the active template, acct-000002… its copies; the lapsed ones follow.
                totals: dict[str, int] = {}
                for copies, name in ((figures.active - 1, ACTIVE.name), (figures.lapsed - 1, LAPSED.name)):
                    template = templates[name]
                    base = int(template.removeprefix("acct-"))
                    for table, n in multiplier.copy(template, base, copies).items():
                        totals[table] = totals.get(table, 0) + n
                conn.exec_driver_sql("DROP TABLE scale_ids")
                conn.exec_driver_sql("DROP TABLE scale_n")
                began = time.perf_counter()
                multiplier.check_references()
                log(f"  references checked in {time.perf_counter() - began:.1f} s")
                conn.exec_driver_sql("COMMIT")
        finally:
            engine.dispose()
        return totals

    def tidy(self) -> None:
        """After the bulk load, what a database in service would have done by itself: SQLite folds its
        WAL into the file (the seed's copies went through it at once); PostgreSQL's autovacuum
        would have vacuumed and analysed the tables that grew (here it is done now, so the plans
        do not depend on when autovacuum gets to them)."""
        engine = self.engine()
        try:
            with engine.connect() as conn:
                if self.sqlite_path is not None:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                else:
                    conn.exec_driver_sql("VACUUM ANALYZE")
        finally:
            engine.dispose()

    # the server

    def start_server(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        logfile = self.workdir / f"{self.db}-server.log"
        with open(logfile, "wb") as out:
            self.server = subprocess.Popen(
                [POINTS, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
                env=self.env(),
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        with httpx.Client(base_url=self.base_url, timeout=2) as client:
            wait_ready(self.server, logfile, lambda: client.get("/readyz").status_code == 200)

    def stop_server(self) -> None:
        server = self.server
        if server is None or server.poll() is not None:
            return
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # our own session
            server.wait()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def memory(self) -> dict[str, int]:
        """The serve process's resident memory now and at its peak, in KiB."""
        assert self.server is not None
        found = {}
        for line in Path(f"/proc/{self.server.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
        return found

    # measurements

    def measure(self) -> None:
        admin = {"Authorization": f"Bearer {self.keys['admin']}"}
        helpdesk = {"Authorization": f"Bearer {self.keys['helpdesk']}"}
        with httpx.Client(base_url=self.base_url, timeout=600, headers=helpdesk) as client:
            self.session = sign_in(self.base_url, self.keys["helpdesk"])
            self.result["rss_kib_before_reads"] = self.memory()
            self.result["reads"] = self.reads(client)
            self.result["rss_kib_after_reads"] = self.memory()
            self.result["writes"] = self.writes(client)
            self.result["sweep"] = self.sweep(client, admin)
            self.result["verify"] = self.verify(client, admin)
            self.result["rss_kib_at_end"] = self.memory()
        self.result["size_at_end"] = self.size_bytes()

    def _url(self, path: str, account: str) -> str:
        return path.format(account=account, ticket=self.detail_ticket[account])

    def reads(self, client: httpx.Client) -> list[dict[str, Any]]:
        """Every read on the three accounts, interleaved: round by round, each read on one account
        after the other (the order rotates), so that all of them meet the same machine."""
        timed = {name: Timed(name) for name, _, _ in READS}
        warmup, requests = self.args.warmup_requests, self.args.requests
        postmaster = find_postmaster(self._pg_port()) if self.pg_database else None
        server = self.server.pid if self.server else None
        cpu0 = cpu_sample(server, postmaster)
        started = time.perf_counter()
        page = {"Cookie": self.session}
        for round_ in range(warmup + requests):
            turn = round_ % len(ACCOUNTS)
            order = ACCOUNTS[turn:] + ACCOUNTS[:turn]
            for name, path, params in READS:
                headers = page if path.startswith("/ui/") else None
                for account in order:
                    began = time.perf_counter()
                    query = {k: v.format(account=account) if isinstance(v, str) else v for k, v in params.items()}
                    response = client.get(self._url(path, account), params=query, headers=headers)
                    ms = (time.perf_counter() - began) * 1000
                    if response.status_code != 200:
                        raise RuntimeError(
                            f"GET {response.request.url} answered {response.status_code}: {response.text[:500]}"
                        )
                    if round_ == 0:
                        timed[name].items[account] = items_of(response)
                    if round_ >= warmup:
                        timed[name].ms[account].append(ms)
            if round_ == warmup - 1:
                started = time.perf_counter()
                cpu0 = cpu_sample(server, postmaster)
        seconds = time.perf_counter() - started
        cpu1 = cpu_sample(server, postmaster)
        cpu = self.result["reads_cpu_cores"] = cpu_shares(cpu0, cpu1, seconds)
        if (cpu["other"] or 0.0) > 0.25:
            self.result["notes"].append(
                f"Other processes used {(cpu['other'] or 0.0) * 100:.0f} % of a core during the reads: "
                "the machine was busy."
            )
        rows = [summary(t.name, t.ms, t.items) for t in timed.values()]
        for row in rows:
            log(
                f"{self.db} {row['read']}: big p50 {row['big_p50_ms']} ms p90 {row['big_p90_ms']} ms, "
                f"small p50 {row['small_p50_ms']} ms, young p50 {row['young_p50_ms']} ms; "
                f"big/small {row['ratio_p50']}, big/young {row['ratio_young_p50']}; items {row['items']}"
            )
        return rows

    def _pg_port(self) -> int:
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).port or 5432

    def writes(self, client: httpx.Client) -> list[dict[str, Any]]:
        """Opens (consultation, 10 points) and their resolves on the three accounts, one at a time,
        interleaved as the reads are; the first few of each are a warm-up."""
        category, _ = WRITE_CATEGORY
        opens: dict[str, list[float]] = {account: [] for account in ACCOUNTS}
        resolves: dict[str, list[float]] = {account: [] for account in ACCOUNTS}
        tag = f"scale-{int(time.time())}"
        warmup = min(10, self.args.writes // 5)
        for i in range(self.args.writes):
            turn = i % len(ACCOUNTS)
            order = ACCOUNTS[turn:] + ACCOUNTS[:turn]
            opened = {}
            for account in order:
                body = {"external_ref": f"{tag}-{i}", "category": category}
                began = time.perf_counter()
                response = client.post(f"/v1/accounts/{account}/tickets", json=body)
                ms = (time.perf_counter() - began) * 1000
                if response.status_code != 201:
                    raise RuntimeError(f"open on {account} answered {response.status_code}: {response.text}")
                opened[account] = response.json()["id"]
                if i >= warmup:
                    opens[account].append(ms)
            for account in order:
                began = time.perf_counter()
                response = client.post(f"/v1/tickets/{opened[account]}/resolve", json={})
                ms = (time.perf_counter() - began) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"resolve on {account} answered {response.status_code}: {response.text}")
                if i >= warmup:
                    resolves[account].append(ms)
        rows = [summary("open ticket", opens, {}), summary("resolve ticket", resolves, {})]
        for row in rows:
            log(
                f"{self.db} {row['read']}: big p50 {row['big_p50_ms']} ms, small p50 {row['small_p50_ms']} ms, "
                f"young p50 {row['young_p50_ms']} ms"
            )
        return rows

    def sweep(self, client: httpx.Client, admin: dict[str, str]) -> dict[str, Any]:
        engine = self.engine()
        try:
            with engine.connect() as conn:
                due_before = self.due_lots(conn)
            began = time.perf_counter()
            response = client.post("/v1/admin/expire", headers=admin)
            seconds = time.perf_counter() - began
            if response.status_code != 200:
                raise RuntimeError(f"the sweep answered {response.status_code}: {response.text}")
            body = response.json()
            with engine.connect() as conn:
                due_after = self.due_lots(conn)
        finally:
            engine.dispose()
        result = {
            "seconds": round(seconds, 2),
            "due_before": due_before,
            "expired_lots": body["expired_lots"],
            "expired_points": body["expired_points"],
            "accounts": len(body["accounts"]),
            "due_after": due_after,
        }
        log(f"{self.db} sweep: {result}")
        if due_after != 0 or body["expired_lots"] != due_before:
            raise RuntimeError(f"the sweep left due lots: {result}")
        return result

    def verify(self, client: httpx.Client, admin: dict[str, str]) -> dict[str, Any]:
        """`GET /v1/admin/verify` with the server's own settings, for each account a few times, then
        for the whole database once (last: on SQLite a read the statement timeout answered keeps
        its reader thread busy until it is done). A request the statement timeout cuts off (503)
        is a figure too. Beside it, `points-service verify --account` with a timeout of 600 s, once
        per account (its time includes the CLI's start, the small account's shows how much)."""
        out: dict[str, Any] = {}
        for account in ACCOUNTS:
            times, statuses = [], []
            for _ in range(self.args.verify_requests):
                began = time.perf_counter()
                response = client.get("/v1/admin/verify", params={"account_id": account}, headers=admin)
                times.append((time.perf_counter() - began) * 1000)
                statuses.append(response.status_code)
                if response.status_code == 503:
                    break  # the timeout again: once is the figure
                if response.status_code != 200 or not response.json()["ok"]:
                    raise RuntimeError(f"verify of {account}: {response.status_code} {response.text[:500]}")
            began = time.perf_counter()
            done = self.cli("verify", "--account", account, POINTS_DB_STATEMENT_TIMEOUT="600")
            cli_seconds = time.perf_counter() - began
            if done.returncode != 0:
                raise RuntimeError(f"points-service verify --account {account}: {done.stdout[-500:]} {done.stderr}")
            out[account] = {
                "p50_ms": round(quantile(times, 0.5), 1),
                "statuses": sorted(set(statuses)),
                "requests": len(times),
                "cli_seconds": round(cli_seconds, 2),
            }
        began = time.perf_counter()
        response = client.get("/v1/admin/verify", headers=admin)
        body = response.json()
        out["whole"] = {"seconds": round(time.perf_counter() - began, 2), "status": response.status_code}
        if response.status_code == 200:
            if not body["ok"]:
                raise RuntimeError(f"verify is not clean: {body['disagreements'][:5]}")
            out["whole"]["checked_accounts"] = body["checked_accounts"]
        else:
            out["whole"]["detail"] = body.get("detail")
        log(f"{self.db} verify: {out}")
        return out

    async def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        self.create_database()
        try:
            await self.seed()
            self.start_server()
            try:
                self.measure()
            finally:
                self.stop_server()
        finally:
            self.drop_database()
        self.result["total_seconds"] = round(time.perf_counter() - started, 1)
        return self.result


Sample = tuple[float | None, float | None, float, tuple[float, float]]


def cpu_sample(server: int | None, postmaster: int | None) -> Sample:
    """CPU seconds so far of the server, the PostgreSQL cluster and this process (the client), and
    the machine's busy and total jiffies."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return tree_cpu(server), tree_cpu(postmaster), own.ru_utime + own.ru_stime, machine_busy()


def cpu_shares(before: Sample, after: Sample, seconds: float) -> dict[str, float | None]:
    """Cores used between two samples by the server, the PostgreSQL cluster, the client and
    everything else on the machine."""
    ncpu = os.cpu_count() or 1
    (s0, d0, c0, (busy0, total0)), (s1, d1, c1, (busy1, total1)) = before, after
    server = None if s0 is None or s1 is None else (s1 - s0) / seconds
    db = None if d0 is None or d1 is None else (d1 - d0) / seconds
    client = (c1 - c0) / seconds
    machine = (busy1 - busy0) / (total1 - total0) * ncpu if total1 > total0 else 0.0
    other = max(0.0, machine - (server or 0.0) - (db or 0.0) - client)
    return {
        "server": None if server is None else round(server, 2),
        "db": None if db is None else round(db, 2),
        "client": round(client, 2),
        "other": round(other, 2),
    }


# --- report -------------------------------------------------------------------------------------------


def mib(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MiB"


def size_text(size: dict[str, int]) -> str:
    if "database" in size:
        return mib(size["database"])
    return f"{mib(size['file'] + size['wal'])} (file {mib(size['file'])} + WAL {mib(size['wal'])})"


def verify_text(figures: dict[str, Any]) -> str:
    if figures["statuses"] == [200]:
        return f"{figures['p50_ms']:.0f} ms"
    return f"answered {'/'.join(map(str, figures['statuses']))} after {figures['p50_ms'] / 1000:.1f} s"


def markdown(machine: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    v = machine["versions"]
    pg = machine.get("postgresql") or {}
    lines = [
        "# Benchmark at a realistic size",
        "",
        f"Run {machine['date']} at commit `{machine.get('commit')}` by `make bench-scale` (bench/scale.py), "
        f"scale {machine['scale']:g}.",
        "",
        (
            f"- Machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), {machine['memory_gib']} GiB, "
            f"{machine['os']}; server, database and client share it; loopback only."
        ),
        (
            f"- Python {machine['python']}; points-service {v.get('points-service')}, SQLAlchemy "
            f"{v.get('sqlalchemy')}, psycopg {v.get('psycopg')}; SQLite {machine['sqlite']} (WAL, "
            f"synchronous=FULL)"
            + (
                f"; PostgreSQL {pg.get('version')} (fsync={pg.get('fsync')}, synchronous_commit="
                f"{pg.get('synchronous_commit')}, shared_buffers={pg.get('shared_buffers')})."
                if pg
                else "."
            )
        ),
        (
            f"- `points-service serve --workers 1`, default settings. Reads: {machine['requests']} sequential "
            f"requests per read and account after {machine['warmup_requests']} of warm-up, the three accounts "
            f"interleaved; writes: {machine['writes']} opens and resolves per account, interleaved."
        ),
        "",
    ]
    lines += [f"## {db}\n\n**Failed**: see the run's log.\n" for db in machine.get("failed", [])]
    for run in runs:
        c = run["counts"]
        lines += [
            f"## {run['db']}",
            "",
            (
                f"{c['accounts']:,} accounts, {c['ledger_entries']:,} ledger entries ({BIG}: {c[f'{BIG} entries']:,}, "
                f"{SMALL}: {c[f'{SMALL} entries']:,}, {YOUNG}: {c[f'{YOUNG} entries']:,}), {c['postings']:,} "
                f"postings, {c['tickets']:,} tickets, "
                f"{c['lots']:,} lots ({c['due lots']:,} due to expire), {c['ticket_events']:,} ticket events."
            ),
            "",
            (
                "| read | big p50 ms | big p90 ms | small p50 ms | small p90 ms | young p50 ms | young p90 ms "
                "| big ÷ small (p50) | big ÷ young (p50) | items big/small/young |"
            ),
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for row in [*run["reads"], *run["writes"]]:
            items = row["items"]
            shown = "/".join(str(items.get(a)) for a in ACCOUNTS) if items and items.get(BIG) is not None else ""
            lines.append(
                f"| {row['read']} | {row['big_p50_ms']:.1f} | {row['big_p90_ms']:.1f} | {row['small_p50_ms']:.1f} | "
                f"{row['small_p90_ms']:.1f} | {row['young_p50_ms']:.1f} | {row['young_p90_ms']:.1f} | "
                f"{row['ratio_p50']:.2f} | **{row['ratio_young_p50']:.2f}** | {shown} |"
            )
        seed, sweep, verify = run["seed"], run["sweep"], run["verify"]
        whole = verify["whole"]
        whole_text = (
            f"{whole['seconds']:.1f} s, clean ({whole['checked_accounts']:,} accounts)"
            if whole["status"] == 200
            else f"answered {whole['status']} after {whole['seconds']:.1f} s: {whole.get('detail')}"
        )
        cpu = run["reads_cpu_cores"]
        verify_http = " / ".join(verify_text(verify[a]) for a in ACCOUNTS)
        verify_cli = " / ".join(f"{verify[a]['cli_seconds']:.1f} s" for a in ACCOUNTS)
        lines += [
            "",
            "| figure | value |",
            "|---|---|",
            (
                f"| seeding | {seed['seconds']:.0f} s: commands {seed['commands_seconds']:.0f} s "
                f"({seed['commands']:,} commands in {seed['command_transactions']:,} transactions; {BIG} "
                f"{seed['big_seconds']:.0f} s), events older than the retention purged {seed['purge_seconds']:.0f} s "
                f"({seed['purged_events']:,}), copies by SQL {seed['copy_seconds']:.0f} s, "
                f"{'checkpoint' if run['db'] == 'sqlite' else 'VACUUM ANALYZE'} {seed['tidy_seconds']:.0f} s |"
            ),
            f"| verify, whole database (CLI, statement timeout 600 s) | {seed['verify_cli_seconds']:.1f} s, clean |",
            f"| verify, whole database (`GET /v1/admin/verify`) | {whole_text} |",
            f"| verify {' / '.join(ACCOUNTS)} (`GET /v1/admin/verify?account_id=`, p50) | {verify_http} |",
            f"| verify {' / '.join(ACCOUNTS)} (CLI `--account`, with its start) | {verify_cli} |",
            (
                f"| expiry sweep (`POST /v1/admin/expire`) | {sweep['seconds']:.1f} s: {sweep['expired_lots']:,} lots "
                f"of {sweep['accounts']:,} accounts expired, {sweep['due_after']} due after |"
            ),
            f"| size on disk after seeding | {size_text(run['size_after_seed'])} |",
            f"| size on disk at the end | {size_text(run['size_at_end'])} |",
            (
                f"| server RSS: start / after the reads / at the end (peak) | "
                f"{run['rss_kib_before_reads']['VmRSS'] / 1024:.0f} / {run['rss_kib_after_reads']['VmRSS'] / 1024:.0f}"
                f" / {run['rss_kib_at_end']['VmRSS'] / 1024:.0f} ({run['rss_kib_at_end']['VmHWM'] / 1024:.0f}) MiB |"
            ),
            (
                f"| CPU during the reads, cores: server / database / client / other | {cpu['server']} / "
                f"{'–' if cpu['db'] is None else cpu['db']} / {cpu['client']} / {cpu['other']} |"
            ),
            f"| whole run | {run['total_seconds']:.0f} s |",
            "",
        ]
        lines += [*(f"- {note}" for note in run["notes"]), ""] if run["notes"] else []
    lines += [
        "",
        "Latencies are the client's (httpx, one keep-alive connection), request to full answer. What the "
        f"two ratios measure: {SMALL}'s pages hold fewer items than {BIG}'s (items big/small/young), so big ÷ "
        "small is the history *and* the size of the answer; "
        f"{YOUNG}'s pages are as full as {BIG}'s with a history of a few hundred entries, so big ÷ young is "
        "what the history costs, the answers being the same size. The statement's "
        "and the page's items are their three parts' (modifications + in progress + closed); the page "
        "shows 20 rows a part where the statement asked for 50. `ledger kind=expiry`: no account has such "
        "an entry: the page is empty (before the per-kind index range, finding that out read the whole "
        f"history). `disputes`: {SMALL} has none. `events` is `GET /v1/events?account_id=`: events are kept "
        "30 days, so an account's are its last month's (the big and the young account's disputes among them).",
        "",
        (
            f"The data: {BIG}'s history (three years of tickets, opened and resolved in batches of up to "
            f"{CHUNK}, the last {BIG_OPEN_TICKETS} still open, and the `{PACK}` packs that pay for them), "
            f"{SMALL}'s, {YOUNG}'s ({YOUNG_RESOLVED} tickets resolved and {BIG_OPEN_TICKETS} open over four months, "
            f"`{YOUNG_PACK[0]}` packs bought as they ran short; then disputes, rejected, of one in {DISPUTE_EVERY} "
            f"of {BIG}'s resolved tickets and of {YOUNG_DISPUTES} of {YOUNG}'s), and two template accounts' were "
            "written by the "
            "service's own commands, in-process, "
            "each command at an instant of its own; the templates were then copied by `INSERT … SELECT` with "
            "every identifier rewritten: an active customer (19 entries, nothing due) and a lapsed one (20 "
            "entries, its license bonus expired with 20 points available after its last write: one due lot "
            "each). The copies skip the row-by-row foreign-key checks (PostgreSQL: `session_replication_role = "
            "replica` for that transaction; SQLite: `foreign_keys` off) and are checked whole before COMMIT; "
            "`points-service verify` is clean before anything is measured. Before the copies, the events (the "
            "webhook outbox) older than the retention (30 days) are purged, as the service's sweep would have "
            "done; the copies get none of the templates' remaining few (accounts whose events were all purged)."
        ),
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 100,000 accounts, ~2,000,000 entries")
    parser.add_argument("--dbs", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per read and account")
    parser.add_argument("--warmup-requests", type=int, default=20, help="discarded requests per read and account")
    parser.add_argument("--writes", type=int, default=100, help="opens (each then resolved) per account")
    parser.add_argument("--verify-requests", type=int, default=5, help="per-account verifies per account")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where scale.md and scale.json go")
    parser.add_argument("--keep", action="store_true", help="keep the databases (and the SQLite file's folder)")
    args = parser.parse_args()
    dbs = [d for d in args.dbs.split(",") if d]
    if set(dbs) - {"sqlite", "postgresql"} or not dbs:
        parser.error(f"--dbs {args.dbs}: use sqlite, postgresql or both")
    if not 0 < args.scale <= 10:
        parser.error("--scale must be in (0, 10]")
    pg_url = os.environ.get("POINTS_TEST_DATABASE_URL")
    if "postgresql" in dbs and not pg_url:
        parser.error(
            "PostgreSQL needs POINTS_TEST_DATABASE_URL: run through scripts/with_postgres.py (make bench-scale "
            "does), or pass --dbs sqlite"
        )
    check_copies()
    machine: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions(),
        "sqlite": sqlite3.sqlite_version,
        "date": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "commit": git_commit(),
        "scale": args.scale,
        "figures": {
            "accounts": Figures(args.scale).accounts,
            "lapsed_accounts": Figures(args.scale).lapsed,
            "big_entries": Figures(args.scale).big_entries,
        },
        "requests": args.requests,
        "warmup_requests": args.warmup_requests,
        "writes": args.writes,
        "overrides": sorted(k for k in os.environ if k.startswith("POINTS_") and not k.startswith(TEST_HARNESS)),
    }
    if pg_url and "postgresql" in dbs:
        machine["postgresql"] = postgres_info(pg_url)
    runs = []
    failed = []
    workdir = Path(tempfile.mkdtemp(prefix="points-scale-"))
    try:
        for db in dbs:
            try:
                runs.append(asyncio.run(Run(args, db, workdir, pg_url).run()))
            except Exception as exc:  # the other database's figures are still worth writing
                log(f"{db}: FAILED: {type(exc).__name__}: {exc}")
                failed.append(db)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    machine["failed"] = failed
    table = markdown(machine, runs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale.md").write_text(table)
    (args.out / "scale.json").write_text(json.dumps({"machine": machine, "runs": runs}, indent=2) + "\n")
    print(table)
    if failed:
        log(f"failed: {', '.join(failed)} (see above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
