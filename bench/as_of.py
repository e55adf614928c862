#!/usr/bin/env python3
"""As-of reads against live reads on an account with a long history (docs/design.md §15; docs/performance.md).

    .venv/bin/python bench/as_of.py                       # SQLite, a new file under /tmp
    .venv/bin/python scripts/with_postgres.py -- .venv/bin/python bench/as_of.py --pg
    .venv/bin/python bench/as_of.py --entries 10000 -n 20  # a quick run
    .venv/bin/python bench/as_of.py --seeded /tmp/bench-as-of-…/points.db   # measure again, no seeding

Seeds one account the way `bench/scale.py` seeds `acct-big` (the service's own commands, about
`--entries` ledger entries over three years: tickets opened and resolved, the packs that pay for
them, ten left open), then asks each account read through the app over ASGI (in-process: no
socket, the same handlers, reader threads and statements as a served request), `-n` times after a
warm-up, live and `as_of` three instants: a day ago, the middle of the history, and its first
month. Prints the median and p90 in ms and as-of ÷ live.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).parent))

from scale import BIG_SPAN, Seeder

from points_service.app import create_app
from points_service.db.engine import create_engine
from points_service.db.migrate import upgrade
from points_service.db.schema import api_keys
from points_service.services.keys import hash_key
from points_service.settings import Settings

ACCOUNT = "acct-big"
KEY = "bench-as-of-" + "k" * 40
READS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("balance", "balance", {}),
    ("statement", "statement", {"limit": 50}),
    ("ledger", "ledger", {"limit": 50}),
    ("ledger kind=purchase", "ledger", {"limit": 50, "kind": "purchase"}),
    ("lots", "lots", {"limit": 50}),
    ("lots include_empty", "lots", {"limit": 50, "include_empty": "true"}),
    ("tickets status=open", "tickets", {"limit": 50, "status": "open"}),
    ("tickets status=resolved", "tickets", {"limit": 50, "status": "resolved"}),
)


def log(message: str) -> None:
    print(f"bench-as-of: {message}", file=sys.stderr, flush=True)


async def seed(url: str, now: datetime, entries: int) -> None:
    upgrade(url)
    engine = create_engine(Settings(database_url=url), connections=1)
    with engine.connect() as conn:
        conn.execute(
            insert(api_keys),
            [{"id": "key_bench", "name": "bench", "role": "admin", "key_hash": hash_key(KEY), "created_at": now}],
        )
    engine.dispose()
    seeder = Seeder(url, now)
    started = time.perf_counter()
    try:
        await seeder.big(ACCOUNT, entries, 0, log)
    finally:
        await seeder.close()
    log(f"seeded {seeder.commands} commands in {time.perf_counter() - started:.0f} s")


async def measure(url: str, now: datetime, n: int) -> list[dict[str, Any]]:
    class Clock:
        def now(self) -> datetime:
            return now + timedelta(minutes=1)

    app = create_app(Settings(database_url=url), clock=Clock())
    start = now - BIG_SPAN - timedelta(days=1)
    instants = {
        "live": None,
        "a day ago": now - timedelta(days=1),
        "mid-history": start + BIG_SPAN / 2,
        "first month": start + timedelta(days=30),
    }
    rows = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {KEY}"}
            for name, read, params in READS:
                live_median = None
                for label, at in instants.items():
                    query = {**params, **({"as_of": at.isoformat()} if at else {})}
                    path = f"/v1/accounts/{ACCOUNT}/{read}"
                    times = []
                    for i in range(n + 5):
                        t0 = time.perf_counter()
                        r = await client.get(path, params=query, headers=headers)
                        elapsed = (time.perf_counter() - t0) * 1000
                        assert r.status_code == 200, (path, query, r.text)
                        if i >= 5:
                            times.append(elapsed)
                    times.sort()
                    median = statistics.median(times)
                    live_median = median if at is None else live_median
                    ratio = median / live_median if live_median else 1.0
                    rows.append(
                        {
                            "read": name,
                            "at": label,
                            "p50_ms": round(median, 2),
                            "p90_ms": round(times[int(0.9 * (len(times) - 1))], 2),
                            "vs_live": round(ratio, 2),
                        }
                    )
                    log(f"{name:24} {label:12} p50 {median:8.2f} ms  ×{ratio:.2f}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("-n", type=int, default=50, help="requests per read and instant (after 5 of warm-up)")
    parser.add_argument("--pg", action="store_true", help="use POINTS_TEST_DATABASE_URL (scripts/with_postgres.py)")
    parser.add_argument("--seeded", metavar="SQLITE_FILE", help="measure a database an earlier run seeded")
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    if args.seeded:
        url = f"sqlite:///{args.seeded}"
        engine = create_engine(Settings(database_url=url), connections=1)
        with engine.connect() as conn:  # the seed's `now`: its newest ticket opened 1 day before
            newest = conn.exec_driver_sql("SELECT max(created_at) FROM api_keys").scalar()
        engine.dispose()
        now = datetime.fromisoformat(str(newest)).replace(tzinfo=UTC)
    elif args.pg:
        url = os.environ["POINTS_TEST_DATABASE_URL"]
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-as-of-')}/points.db"
    if not args.seeded:
        asyncio.run(seed(url, now, args.entries))
    rows = asyncio.run(measure(url, now, args.n))
    print("| read | at | p50 ms | p90 ms | ÷ live |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['read']} | {row['at']} | {row['p50_ms']} | {row['p90_ms']} | {row['vs_live']} |")


if __name__ == "__main__":
    main()
