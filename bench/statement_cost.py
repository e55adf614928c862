"""What one primary-key SELECT costs through each layer of the data stack, and what a thread hand-off costs.

    .venv/bin/python bench/statement_cost.py                    # SQLite (a new file under /tmp)
    .venv/bin/python bench/statement_cost.py --url postgresql+psycopg://…/db   # a migrated database

The same SELECT of one account's row (every column, as the service reads a record) runs `-n`
times, one after another, on one connection of the service's own engine (autocommit, as its
threads use it), through:

* the synchronous driver alone (sqlite3 / psycopg), with the SQL text SQLAlchemy compiles;
* SQLAlchemy Core, the `select()` built on every call (as code that builds its query inline);
* SQLAlchemy Core, the statement built once with `bindparam()` (as `services.queries` does);

and, on its own line, one thread hand-off: `loop.run_in_executor` on a one-thread pool running
nothing, the round trip every read and write of the service makes from the event loop (under
uvloop when it is installed, as uvicorn runs it). Figures: CPU µs per item (every thread of the
process), and wall µs. The gaps between the lines are what each layer adds.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import bindparam, insert, select

from points_service.db import schema
from points_service.db.engine import create_engine
from points_service.db.migrate import upgrade
from points_service.settings import Settings

ACCOUNT = "statement-cost"
accounts = schema.accounts


def row(label: str, n: int, cpu: float, wall: float) -> None:
    print(f"| {label} | {cpu / n * 1e6:.1f} | {wall / n * 1e6:.1f} |")


def timed(label: str, n: int, once: Callable[[], object]) -> None:
    for _ in range(min(n, 200)):  # warm up: statement caches, psycopg's prepared statements
        once()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        once()
    row(label, n, time.process_time() - cpu, time.perf_counter() - wall)


async def hand_offs(n: int) -> tuple[float, float]:
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(1) as pool:
        for _ in range(min(n, 200)):
            await loop.run_in_executor(pool, int)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(n):
            await loop.run_in_executor(pool, int)
        return time.process_time() - cpu, time.perf_counter() - wall


def main(url: str, n: int) -> None:
    engine = create_engine(Settings(database_url=url), connections=1)
    backend = engine.dialect.name
    once = select(*accounts.c).where(accounts.c.id == bindparam("id"))
    with engine.connect() as conn:
        if conn.execute(once, {"id": ACCOUNT}).first() is None:
            now = datetime.now(UTC)
            values = {"metadata": {}, "available": 0, "held": 0, "deducted": 0, "last_seq": 0}
            conn.execute(insert(accounts).values(id=ACCOUNT, created_at=now, updated_at=now, **values))
        compiled = once.compile(dialect=engine.dialect)
        sql, params = str(compiled), ((ACCOUNT,) if compiled.positional else {"id": ACCOUNT})
        driver = conn.connection.driver_connection  # sqlite3.Connection or psycopg.Connection
        assert driver is not None

        print(f"{n} primary-key SELECTs of one account's row, one after another ({backend})\n")
        print("| layer | CPU µs per item | wall µs per item |\n|---|---:|---:|")
        timed(
            f"{'sqlite3' if backend == 'sqlite' else 'psycopg'} alone",
            n,
            lambda: driver.execute(sql, params).fetchall(),
        )
        timed(
            "SQLAlchemy Core, select() built per call",
            n,
            lambda: conn.execute(select(*accounts.c).where(accounts.c.id == ACCOUNT)).all(),
        )
        timed("SQLAlchemy Core, built once (bindparam)", n, lambda: conn.execute(once, {"id": ACCOUNT}).all())
    engine.dispose()

    try:
        import uvloop

        runner, loop_name = uvloop.run, "uvloop"
    except ImportError:
        runner, loop_name = asyncio.run, "asyncio"
    cpu, wall = runner(hand_offs(n))
    row(f"thread hand-off: run_in_executor round trip, 1-thread pool, no work ({loop_name})", n, cpu, wall)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a migrated database (default: a new SQLite file)")
    parser.add_argument("-n", type=int, default=2000, help="items per line (default 2000)")
    args = parser.parse_args()
    if args.url is not None:
        main(args.url, args.n)
    else:
        with tempfile.TemporaryDirectory(prefix="statement-cost-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'statement-cost.db'}"
            upgrade(url)
            main(url, args.n)
