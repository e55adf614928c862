"""Helpers for tests that run on PostgreSQL (importable: tests/ is on pytest's pythonpath)."""

from __future__ import annotations

import os

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("POINTS_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]
# Run on a session, this drops its own connection, as a database restart or failover would.
KILL_OWN_CONNECTION = text("SELECT pg_terminate_backend(pg_backend_pid())")


def asyncpg_dsn(url: str, database: str | None = None) -> str:
    """A SQLAlchemy URL as a plain libpq DSN for asyncpg."""
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def admin_sql(sql: str, database: str | None = None) -> None:
    """Run one statement on the test server (outside any transaction: CREATE DATABASE…)."""
    assert PG_URL is not None
    conn = await asyncpg.connect(asyncpg_dsn(PG_URL, database))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
