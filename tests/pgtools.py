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


class RecycledDatabase:
    """One PostgreSQL database per test process, given back to each test as the template left it.

    Copying a migrated template (CREATE DATABASE … TEMPLATE) costs ~350 ms here, for its hundred-odd
    relation files; emptying a used copy costs ~12 ms: its other sessions ended (as DROP … WITH
    (FORCE) would), every table emptied in one transaction, the template's rows (the catalogue, the
    test keys) copied back in and its sequences set back. A copy whose schema or settings a test
    changed (DDL: a fingerprint of the catalogs differs), or that a test filled with more than
    `MAX_ROWS` rows (their dead tuples would change the planner's estimates), is dropped and a
    fresh one copied instead; tests marked `fresh_database` always get a fresh copy.
    """

    MAX_ROWS = 2000
    FINGERPRINT = """
        SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
            SELECT 'c:' || c.relname || ':' || c.relkind::text || ':' || c.relnatts FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
            UNION ALL SELECT 'k:' || conname || ':' || convalidated FROM pg_constraint
              WHERE connamespace = 'public'::regnamespace
            UNION ALL SELECT 't:' || tgname FROM pg_trigger WHERE NOT tgisinternal
            UNION ALL SELECT 's:' || array_to_string(setconfig, ';') FROM pg_db_role_setting
              WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
        ) AS catalog(x)
    """

    def __init__(self, template: str, tables: list[str]) -> None:
        self.template = template
        self.tables = tables  # every table but alembic_version, children before their parents
        self.name: str | None = None
        self.rows: dict[str, bytes] = {}  # the template's rows, as COPY … (FORMAT binary)
        self.sequences: list[tuple[str, int, bool]] = []
        self.fingerprint = ""
        with psycopg.connect(libpq_dsn(self._url(), template), autocommit=True) as conn:
            for table in tables:
                if conn.execute(f'SELECT EXISTS (SELECT FROM "{table}")').fetchone() == (True,):
                    with conn.cursor().copy(f'COPY "{table}" TO STDOUT (FORMAT binary)') as copy:
                        self.rows[table] = b"".join(bytes(chunk) for chunk in copy)
            names = conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'").fetchall()
            for (name,) in names:
                last, called = conn.execute(f'SELECT last_value, is_called FROM "{name}"').fetchone()
                self.sequences.append((name, last, called))
            self.fingerprint = conn.execute(self.FINGERPRINT).fetchone()[0]

    @staticmethod
    def _url() -> str:
        assert PG_URL is not None
        return PG_URL

    def take(self, fresh: bool = False) -> str:
        """The name of a database in the template's state."""
        if self.name is not None and (fresh or not self._reset()):
            self.drop()
        if self.name is None:
            import uuid

            self.name = f"t_{uuid.uuid4().hex[:16]}"
            admin_sql(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"')
        return self.name

    def _reset(self) -> bool:
        """Empty the copy back to the template's state; False when it must be copied afresh."""
        try:
            with psycopg.connect(libpq_dsn(self._url(), self.name), autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                if conn.execute(self.FINGERPRINT).fetchone()[0] != self.fingerprint:
                    return False
                conn.execute("SET lock_timeout = '5s'")
                with conn.transaction():
                    deleted = 0
                    for table in self.tables:
                        deleted += conn.execute(f'DELETE FROM "{table}"').rowcount
                    if deleted > self.MAX_ROWS + sum(1 for _ in self.rows):
                        raise _Refill
                    for table, data in self.rows.items():
                        with conn.cursor().copy(f'COPY "{table}" FROM STDIN (FORMAT binary)') as copy:
                            copy.write(data)
                    for name, last, called in self.sequences:
                        conn.execute("SELECT setval(%s, %s, %s)", (name, last, called))
            return True
        except (_Refill, psycopg.Error):
            return False

    def drop(self) -> None:
        if self.name is not None:
            admin_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.name = None


class _Refill(Exception):
    """The copy held too many rows: copy the template afresh."""
