"""What one request costs in CPU, in-process: the app over ASGI, one request after another.

    .venv/bin/python bench/request_cost.py                      # SQLite (a new file under /tmp)
    .venv/bin/python bench/request_cost.py --url postgresql+asyncpg://…/db   # a migrated database
    .venv/bin/python bench/request_cost.py --one-hop-probe      # SQLite: see below

No HTTP server and no load generator: `httpx` calls the app in this process, so the CPU the
process uses is the service's own (framework, SQLAlchemy, driver; on SQLite also SQLite itself, in
aiosqlite's thread). Each scenario runs `-n` requests per round, the scenarios interleaved over
`--rounds` rounds, and the table gives each scenario's lowest and highest round:

* CPU ms: the process's CPU per request; of it, the event loop's thread (where the app, the ORM
  and the driver's Python code run);
* statements per request, counted by a `before_cursor_execute` listener;
* on SQLite, aiosqlite thread hops per request: each is a call handed to aiosqlite's thread and a
  result handed back to the event loop.

`--one-hop-probe` (SQLite only, a measurement, never the service's code) replaces SQLAlchemy's
aiosqlite cursor adapter, which hands each statement to aiosqlite's thread three or four times
(create the cursor, execute, fetch, close), with one that does all four in one hop, through
aiosqlite's private `_execute`. The difference is what those extra hops cost.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
from sqlalchemy import event
from sqlalchemy.dialects.sqlite import aiosqlite as sa_aiosqlite

from points_service.app import create_app
from points_service.db.migrate import upgrade
from points_service.domain.clock import SystemClock
from points_service.services.accounts import put_account
from points_service.services.context import Context
from points_service.services.grants import adjust_points
from points_service.services.keys import create_key
from points_service.services.uow import Database
from points_service.settings import Settings

ACCOUNT = "request-cost"
SCENARIOS = ("ceiling_post", "open", "adjust", "resolve", "balance", "statement")


def install_one_hop_probe() -> None:
    """SQLAlchemy's aiosqlite cursor, each statement in one hop to aiosqlite's thread."""

    class Done:  # what the adapter reads after execute: the sqlite3 cursor's attributes
        description: Any = None
        rowcount = -1
        lastrowid: Any = None
        arraysize = 1

        async def close(self) -> None:
            return None

    def run_in_thread(self: Any, call: Callable[[Any], Any]) -> Any:
        connection = self._connection

        def work() -> tuple[Done, list[Any] | None]:
            cursor = call(connection._conn)
            done = Done()
            done.description, done.rowcount, done.lastrowid = cursor.description, cursor.rowcount, cursor.lastrowid
            rows = cursor.fetchall() if cursor.description else None
            cursor.close()
            return done, rows

        return connection._execute(work)

    async def execute(self: Any, operation: Any, parameters: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            self._cursor, rows = await run_in_thread(self, lambda c: c.execute(operation, parameters or ()))
            if rows is not None and not self.server_side:
                self._rows = collections.deque(rows)

    async def executemany(self: Any, operation: Any, seq: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            self._cursor, _ = await run_in_thread(self, lambda c: c.executemany(operation, seq))

    cursor = sa_aiosqlite.AsyncAdapt_aiosqlite_cursor
    cursor._make_new_cursor = lambda self, connection: Done()  # type: ignore[method-assign,assignment,return-value]
    cursor._aenter_cursor = lambda self, c: c  # type: ignore[method-assign,assignment]
    cursor._execute_async = execute  # type: ignore[method-assign,assignment]
    cursor._executemany_async = executemany  # type: ignore[method-assign,assignment]


class Counters:
    """Statements sent, and aiosqlite thread hops (SQLite)."""

    def __init__(self, database: Database) -> None:
        self.statements = 0
        self.hops = 0
        event.listen(database.engine.sync_engine, "before_cursor_execute", self._statement)
        original = aiosqlite.Connection._execute

        async def counted(connection: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.hops += 1
            return await original(connection, fn, *args, **kwargs)

        aiosqlite.Connection._execute = counted  # type: ignore[method-assign]

    def _statement(self, *_: Any) -> None:
        self.statements += 1


async def seed(database: Database) -> str:
    ctx = Context(actor="bench", role="admin", clock=SystemClock(), return_grace=timedelta(days=30))

    async def command(session: Any) -> str:
        _, secret = await create_key(session, name=f"request-cost-{uuid.uuid4().hex[:8]}", role="admin", now=datetime.now(UTC))
        await put_account(session, ctx, account_id=ACCOUNT, display_name="Request cost")
        await adjust_points(session, ctx, account_id=ACCOUNT, points=10**9, reason="request cost seed")
        return secret

    return await database.write(command)


async def main(args: argparse.Namespace) -> None:
    url = args.url
    if url is None:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'request-cost.db'}"
        await asyncio.to_thread(upgrade, url)
    settings = Settings(database_url=url, log_level="WARNING", bench_routes=True)
    database = Database.from_settings(settings)
    secret = await seed(database)
    app = create_app(settings, database=database)
    counters = Counters(database)
    headers = {"Authorization": f"Bearer {secret}"}
    opened: list[str] = []

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:

        async def request(scenario: str) -> None:
            if scenario == "ceiling_post":
                r = await client.post("/bench/ceiling", json={"external_ref": "x", "category": "consultation"})
            elif scenario == "open":
                body = {"external_ref": uuid.uuid4().hex, "category": "consultation", "subject": "bench"}
                r = await client.post(f"/v1/accounts/{ACCOUNT}/tickets", json=body, headers=headers)
                opened.append(r.json()["id"])
            elif scenario == "adjust":
                body = {"points": 5 + len(opened) % 30, "reason": "bench adjust"}
                r = await client.post(f"/v1/tickets/{opened[-1]}/adjust", json=body, headers=headers)
            elif scenario == "resolve":
                r = await client.post(f"/v1/tickets/{opened.pop()}/resolve", json={}, headers=headers)
            elif scenario == "balance":
                r = await client.get(f"/v1/accounts/{ACCOUNT}/balance", headers=headers)
            else:
                r = await client.get(f"/v1/accounts/{ACCOUNT}/statement", headers=headers)
            if r.status_code >= 300:
                raise SystemExit(f"{scenario}: {r.status_code} {r.text}")

        async def measure(scenario: str, n: int) -> tuple[float, float, float, float]:
            if scenario == "resolve":  # tickets to resolve, opened outside the measurement
                for _ in range(n + 1 - len(opened)):
                    await request("open")
            counters.statements = counters.hops = 0
            cpu, loop_cpu = time.process_time(), time.thread_time()
            for _ in range(n):
                await request(scenario)
            return (
                (time.process_time() - cpu) / n * 1e3,
                (time.thread_time() - loop_cpu) / n * 1e3,
                counters.statements / n,
                counters.hops / n,
            )

        for scenario in ("open", *args.scenarios):  # warm-up: statement caches, the key cache
            await measure(scenario, 30)
        rounds: dict[str, list[tuple[float, float, float, float]]] = {s: [] for s in args.scenarios}
        for _ in range(args.rounds):
            for scenario in args.scenarios:
                rounds[scenario].append(await measure(scenario, args.n))
    await database.engine.dispose()

    backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    probe = ", one-hop probe" if args.one_hop_probe else ""
    print(f"{args.rounds} rounds of {args.n} requests per scenario, one after another, in-process ({backend}{probe})\n")
    print("| scenario | CPU ms per request | of it, event loop thread | statements | aiosqlite hops |")
    print("|---|---:|---:|---:|---:|")
    for scenario, figures in rounds.items():
        cpu, loop_cpu, statements, hops = zip(*figures, strict=True)
        hop_figure = f"{statistics.mean(hops):.1f}" if backend == "SQLite" else "–"
        print(
            f"| {scenario} | {min(cpu):.2f}–{max(cpu):.2f} | {min(loop_cpu):.2f}–{max(loop_cpu):.2f} "
            f"| {statistics.mean(statements):.1f} | {hop_figure} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a migrated database (default: a new SQLite file)")
    parser.add_argument("-n", type=int, default=300, help="requests per scenario and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenarios", type=lambda s: s.split(","), default=list(SCENARIOS), help=",".join(SCENARIOS))
    parser.add_argument("--one-hop-probe", action="store_true", help="SQLite: one aiosqlite hop per statement")
    args = parser.parse_args()
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.one_hop_probe:
        if args.url and not args.url.startswith("sqlite"):
            parser.error("--one-hop-probe is for SQLite")
        install_one_hop_probe()
    asyncio.run(main(args))
