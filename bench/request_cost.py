"""What one request costs in CPU, in-process: the app over ASGI, one request after another.

    .venv/bin/python bench/request_cost.py                      # SQLite (a new file under /tmp)
    .venv/bin/python bench/request_cost.py --url postgresql+psycopg://…/db   # a migrated database

No HTTP server and no load generator: `AsgiCaller` hands the app each request as uvicorn would
(one ASGI `http` scope, the body in one message) and collects the answer, so the CPU the process
uses is the service's own (framework, SQLAlchemy, driver; on SQLite also SQLite itself) and
almost nothing else. (`httpx.ASGITransport`, used before, cost about a third of the figure
itself: its URL and header models, and an attempt to import `sniffio` on every request.) Each
scenario runs `-n` requests per round, the scenarios interleaved over `--rounds` rounds, and the
table gives each scenario's lowest and highest round:

* CPU ms: the process's CPU per request (every thread: the event loop's, the writer's and the
  readers');
* statements per request (BEGIN and COMMIT included), counted by a `before_cursor_execute`
  listener.

Requests run one after another, so every write is a batch of one: this is the cost of a lone
request, the least favourable case for the batch-level write path (under load, a batch shares its
statements among its commands).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
SCENARIOS = ("ceiling_post", "open", "adjust", "resolve", "balance", "statement", "ledger", "ticket", "healthz")


class AsgiCaller:
    """Calls an ASGI app with one request at a time, as an HTTP/1.1 server would."""

    def __init__(self, app: Any, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in {"host": "bench", **headers}.items()]

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        payload = b"" if body is None else json.dumps(body).encode()
        headers = self.headers
        if body is not None:
            headers = [
                *headers,
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("bench", 80),
        }
        done = asyncio.Event()
        sent = False
        status = 0
        parts: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": payload, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        await self.app(scope, receive, send)
        return status, b"".join(parts)


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
    opened: list[str] = []
    viewed: list[str] = []  # the ticket the `ticket` scenario reads
    captured: dict[str, int] = {}  # what the `adjust` scenario set each ticket to
    turns = itertools.count()

    client = AsgiCaller(app, {"authorization": f"Bearer {secret}"})

    async def request(scenario: str) -> None:
        if scenario == "ceiling_post":
            status, answer = await client.request(
                "POST", "/bench/ceiling", {"external_ref": "x", "category": "consultation"}
            )
        elif scenario == "open":
            body = {"external_ref": uuid.uuid4().hex, "category": "consultation", "subject": "bench"}
            status, answer = await client.request("POST", f"/v1/accounts/{ACCOUNT}/tickets", body)
            opened.append(json.loads(answer)["id"])
        elif scenario == "adjust":  # the opened tickets in turn, each set to 11, 31, 11…: a change every time
            ticket = opened[next(turns) % len(opened)]
            captured[ticket] = 31 if captured.get(ticket) == 11 else 11
            body = {"points": captured[ticket], "reason": "bench adjust"}
            status, answer = await client.request("POST", f"/v1/tickets/{ticket}/adjust", body)
        elif scenario == "resolve":
            status, answer = await client.request("POST", f"/v1/tickets/{opened.pop()}/resolve", {})
        elif scenario == "balance":
            status, answer = await client.request("GET", f"/v1/accounts/{ACCOUNT}/balance")
        elif scenario == "statement":
            status, answer = await client.request("GET", f"/v1/accounts/{ACCOUNT}/statement")
        elif scenario == "ledger":  # the first page: the account's newest entries, each with its postings
            status, answer = await client.request("GET", f"/v1/accounts/{ACCOUNT}/ledger")
        elif scenario == "healthz":  # no database and no key: a route's cost, found far down the list
            status, answer = await client.request("GET", "/healthz")
        else:
            status, answer = await client.request("GET", f"/v1/tickets/{viewed[0]}")
        if status >= 300:
            raise SystemExit(f"{scenario}: {status} {answer.decode()}")

    async def measure(scenario: str, n: int) -> tuple[float, float]:
        if scenario == "resolve":  # tickets to resolve, opened outside the measurement
            for _ in range(n + 1 - len(opened)):
                await request("open")
        if scenario == "ticket" and not viewed:  # one ticket, opened and adjusted twice: three history rows
            await request("open")
            viewed.append(opened.pop())
            for points in (40, 30):
                body = {"points": points, "reason": "bench adjust"}
                status, answer = await client.request("POST", f"/v1/tickets/{viewed[0]}/adjust", body)
                assert status == 200, answer
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
