"""What one SQL statement costs through each layer of the data stack (CPU and wall time).

    .venv/bin/python bench/statement_cost.py                  # SQLite (a new file under /tmp)
    .venv/bin/python bench/statement_cost.py --url postgresql+asyncpg://…/db   # a migrated database

Runs the same primary-key SELECT of one account N times, one after another, through: the ORM on
an AsyncSession (as the service does), a Core select, the ORM query from a plain function run
by `AsyncSession.run_sync` (one greenlet for all the statements), `text()`, `exec_driver_sql`,
the async driver alone (aiosqlite / asyncpg), and — for comparison — SQLAlchemy's synchronous ORM and the
synchronous driver (sqlite3) on SQLite. The gaps between the lines are what each layer adds.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from points_service.db.engine import create_engine
from points_service.db.migrate import upgrade
from points_service.db.models import Account
from points_service.settings import Settings

ACCOUNT = "statement-cost"


def report(label: str, n: int, wall: float, cpu: float) -> None:
    print(f"| {label} | {wall / n * 1e6:.0f} | {cpu / n * 1e6:.0f} |")


def timed_sync(label: str, n: int, once: Callable[[], object]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        once()
    report(label, n, time.perf_counter() - wall, time.process_time() - cpu)


async def timed(label: str, n: int, once: Callable[[], Awaitable[object]]) -> None:
    for _ in range(min(n, 200)):  # warm the statement caches
        await once()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        await once()
    report(label, n, time.perf_counter() - wall, time.process_time() - cpu)


async def main(url: str, n: int) -> None:
    engine = create_engine(Settings(database_url=url))
    async with engine.begin() as conn:
        exists = await conn.scalar(select(Account.id).where(Account.id == ACCOUNT))
        if exists is None:
            await conn.execute(
                text(
                    "INSERT INTO accounts (id, metadata, available, held, deducted, last_seq, created_at, updated_at)"
                    " VALUES (:id, '{}', 0, 0, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": ACCOUNT},
            )
    by_orm = select(Account).where(Account.id == ACCOUNT)
    by_core = select(Account.id, Account.available).where(Account.id == ACCOUNT)
    raw_sql = "SELECT id, available FROM accounts WHERE id = " + ("?" if url.startswith("sqlite") else "$1")
    print(f"{n} primary-key SELECTs of one account, one after another ({make_url(url).get_backend_name()})\n")
    print("| layer | wall µs per statement | CPU µs per statement |\n|---|---:|---:|")
    async with engine.connect() as conn:
        from sqlalchemy.ext.asyncio import AsyncSession

        async with AsyncSession(bind=conn) as session:
            await timed("AsyncSession, ORM entity", n, lambda: session.execute(by_orm))
            await timed("AsyncSession, Core select of two columns", n, lambda: session.execute(by_core))

            def orm_statements(sync_session: Session, count: int) -> None:
                for _ in range(count):
                    sync_session.execute(by_orm).all()

            await session.run_sync(orm_statements, min(n, 200))  # warm up
            wall, cpu = time.perf_counter(), time.process_time()
            await session.run_sync(orm_statements, n)
            report("AsyncSession.run_sync, ORM entity (plain functions, same async driver)", n,
                   time.perf_counter() - wall, time.process_time() - cpu)
            await timed("AsyncConnection, text()", n, lambda: conn.execute(text("SELECT 1")))
            await timed("AsyncConnection, exec_driver_sql", n, lambda: conn.exec_driver_sql("SELECT 1"))
        driver = (await conn.get_raw_connection()).driver_connection
        if url.startswith("sqlite"):

            async def raw() -> object:
                cursor = await driver.execute(raw_sql, (ACCOUNT,))
                return await cursor.fetchall()

            await timed("aiosqlite alone", n, raw)
        else:
            await timed("asyncpg alone", n, lambda: driver.fetch(raw_sql, ACCOUNT))
        await conn.rollback()
    await engine.dispose()
    if url.startswith("sqlite"):
        path = make_url(url).database
        sync_engine = create_sync_engine(f"sqlite:///{path}")
        with Session(sync_engine) as session:
            timed_sync("sync Session, ORM entity (sqlite3)", n, lambda: session.execute(by_orm).all())
        sync_engine.dispose()
        con = sqlite3.connect(path)
        timed_sync("sqlite3 alone", n, lambda: con.execute(raw_sql, (ACCOUNT,)).fetchall())
        con.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a migrated database (default: a new SQLite file)")
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args()
    url = args.url
    if url is None:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'cost.db'}"
        upgrade(url)
    asyncio.run(main(url, args.n))
