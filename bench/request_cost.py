"""What one request costs in CPU, in-process: the app over ASGI, one request after another.

    .venv/bin/python bench/request_cost.py                      # SQLite (a new file under /tmp)
    .venv/bin/python bench/request_cost.py --url postgresql+psycopg://…/db   # a migrated database

No HTTP server and no load generator: `httpx` calls the app in this process, so the CPU the
process uses is the service's own (framework, SQLAlchemy, driver; on SQLite also SQLite itself)
plus the test client's. Each scenario runs `-n` requests per round, the scenarios interleaved over
`--rounds` rounds, and the table gives each scenario's lowest and highest round:

* CPU ms: the process's CPU per request (every thread: the event loop's, the writer's and the
  readers', and the client's);
* statements per request (BEGIN and COMMIT included), counted by a `before_cursor_execute`
  listener.

Requests run one after another, so every write is a batch of one: this is the cost of a lone
request, the least favourable case for the batch-level write path (under load, a batch shares its
statements among its commands).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from points_service.app import create_app
from points_service.db.migrate import upgrade
from points_service.domain.clock import SystemClock
from points_service.services.accounts import PutAccount
from points_service.services.context import Context
from points_service.services.grants import AdjustPoints
from points_service.services.keys import CreateKey
from points_service.services.uow import Database
from points_service.settings import Settings

ACCOUNT = "request-cost"
SCENARIOS = ("ceiling_post", "open", "adjust", "resolve", "balance", "statement")


class Counters:
    """Statements sent."""

    def __init__(self, database: Database) -> None:
        self.statements = 0
        event.listen(database.engine, "before_cursor_execute", self._statement)

    def _statement(self, *_: Any) -> None:
        self.statements += 1


async def seed(database: Database) -> str:
    ctx = Context(actor="bench", role="admin", clock=SystemClock(), return_grace=timedelta(days=30))
    created = await database.write(
        CreateKey(name=f"request-cost-{uuid.uuid4().hex[:8]}", role="admin", now=datetime.now(UTC))
    )
    await database.write(PutAccount(ctx=ctx, account_id=ACCOUNT, display_name="Request cost"))
    await database.write(AdjustPoints(ctx=ctx, account_id=ACCOUNT, points=10**9, reason="request cost seed"))
    return created.secret


async def main(args: argparse.Namespace) -> None:
    url = args.url
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'request-cost.db'}"
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

        async def measure(scenario: str, n: int) -> tuple[float, float]:
            if scenario == "resolve":  # tickets to resolve, opened outside the measurement
                for _ in range(n + 1 - len(opened)):
                    await request("open")
            counters.statements = 0
            cpu = time.process_time()
            for _ in range(n):
                await request(scenario)
            return (time.process_time() - cpu) / n * 1e3, counters.statements / n

        for scenario in ("open", *args.scenarios):  # warm-up: statement caches, the key cache
            await measure(scenario, 30)
        rounds: dict[str, list[tuple[float, float]]] = {s: [] for s in args.scenarios}
        for _ in range(args.rounds):
            for scenario in args.scenarios:
                rounds[scenario].append(await measure(scenario, args.n))
    await database.dispose()

    backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    print(f"{args.rounds} rounds of {args.n} requests per scenario, one after another, in-process ({backend})\n")
    print("| scenario | CPU ms per request | statements |")
    print("|---|---:|---:|")
    for scenario, figures in rounds.items():
        cpu, statements = zip(*figures, strict=True)
        print(f"| {scenario} | {min(cpu):.2f}–{max(cpu):.2f} | {sum(statements) / len(statements):.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a migrated database (default: a new SQLite file)")
    parser.add_argument("-n", type=int, default=300, help="requests per scenario and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenarios", type=lambda s: s.split(","), default=list(SCENARIOS), help=",".join(SCENARIOS))
    args = parser.parse_args()
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    asyncio.run(main(args))
