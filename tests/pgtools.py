"""Helpers for tests that run on PostgreSQL (importable: tests/ is on pytest's pythonpath)."""

from __future__ import annotations

import os
import time

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("POINTS_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]
# Run on a session, this drops its own connection, as a database restart or failover would.
KILL_OWN_CONNECTION = text("SELECT pg_terminate_backend(pg_backend_pid())")


def libpq_dsn(url: str, database: str | None = None) -> str:
    """A SQLAlchemy URL as a plain libpq DSN (for psycopg itself)."""
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def admin_sql(sql: str, database: str | None = None) -> None:
    """Run one statement on the test server (outside any transaction: CREATE DATABASE…)."""
    assert PG_URL is not None
    with psycopg.connect(libpq_dsn(PG_URL, database), autocommit=True) as conn:
        conn.execute(sql)


def terminate_backend(pid: int) -> None:
    """End a session's server process from outside it (as a crash or a failover would), and wait
    until it is gone, so that the session's next statement meets a dead connection."""
    assert PG_URL is not None
    with psycopg.connect(libpq_dsn(PG_URL), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(200):
            if conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() == (0,):
                return
            time.sleep(0.01)
    raise TimeoutError(f"backend {pid} did not end")
