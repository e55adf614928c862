"""Engines on the synchronous drivers: the standard library's `sqlite3`, and psycopg 3.

Every connection is in the driver's autocommit mode, and the service says BEGIN, COMMIT and
ROLLBACK itself (`services.uow`): a write takes SQLite's lock with `BEGIN IMMEDIATE`, a snapshot
read on PostgreSQL asks for `REPEATABLE READ, READ ONLY`, and a read that fits in one statement
sends nothing else. No statement is sent that the service did not write on purpose.

On PostgreSQL a statement goes to psycopg as SQLAlchemy wrote it, with PostgreSQL's own `$1`
placeholders and positional parameters (`paramstyle="numeric_dollar"`), through a `RawCursor`
(a `RawServerCursor` for a server-side one), which sends it unchanged; the ordinary one is
`db.cursors.ServiceCursor`, which also builds its description only when it is read. psycopg's
default cursor rewrites `%(name)s` placeholders at every execution, from a cache that takes
statements of at most 4,096 bytes: the statement's ledger and ticket pages (4.1–9.1 kB) were parsed
again at every run. SQL the service writes by hand for psycopg says `$1`, never `%s`.

SQL logging (the `sqlalchemy.engine` loggers at INFO or DEBUG) shows the statements, never their
parameters (`hide_parameters`) nor the rows they return (`_HideRows`): both may hold a webhook
endpoint's secret, which the service keeps as it is to sign with.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, NullPool, event
from sqlalchemy import create_engine as sqlalchemy_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.log import InstanceLogger

from ..settings import Settings
from .compiled import CompiledStatements
from .cursors import ServiceCursor

log = logging.getLogger("points_service.db")

# Drivers of earlier versions, still accepted in POINTS_DATABASE_URL: the same database through
# today's synchronous driver.
_REPLACED_DRIVERS = {("sqlite", "aiosqlite"): "sqlite", ("postgresql", "asyncpg"): "postgresql+psycopg"}


def database_url(raw: str) -> tuple[URL, str | None]:
    """The URL to connect with, and the driver it replaces when `raw` names an old one."""
    url = make_url(raw)
    backend, driver = url.get_backend_name(), url.get_driver_name()
    replacement = _REPLACED_DRIVERS.get((backend, driver))
    if replacement is not None:
        return url.set(drivername=replacement), driver
    if backend == "postgresql" and "+" not in url.drivername:  # plain postgresql:// means psycopg here
        return url.set(drivername="postgresql+psycopg"), None
    return url, None


def is_sqlite(raw: str) -> bool:
    return make_url(raw).get_backend_name() == "sqlite"


def sqlite_file(raw: str) -> Path | None:
    """The file a SQLite URL names (relative to the current directory), None for memory or a server."""
    url = make_url(raw)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


class _HideRows(logging.Filter):
    """SQLAlchemy logs every row a statement returns at DEBUG ("Row %r"); `hide_parameters` does
    not cover them. The line stays (how many rows came back is useful), its values go."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.endswith("Row %r"):  # after a logging_token's prefix
            record.msg, record.args = record.msg.removesuffix("Row %r") + "Row [hidden]", ()
        return True


_ROWS_HIDDEN = _HideRows()


def _hide_rows(engine: Engine) -> Engine:
    # The engine's logger: `sqlalchemy.engine.Engine` itself, shared by the engines (an
    # InstanceLogger over a logger of its own if `echo` or a `logging_name` were set).
    logger = engine.logger.logger if isinstance(engine.logger, InstanceLogger) else engine.logger
    if _ROWS_HIDDEN not in logger.filters:
        logger.addFilter(_ROWS_HIDDEN)
    return engine


def _compiled_statements() -> dict[str, Any]:
    """The engine's compiled statements, in a cache that finds them without hashing their keys
    (`db.compiled`), instead of SQLAlchemy's own LRU cache (`query_cache_size`, then unused)."""
    return {"execution_options": {"compiled_cache": CompiledStatements()}, "query_cache_size": 0}


# Connections beyond the threads' own: for a script's or a test's own connection.
_SPARE = 2


def create_engine(settings: Settings, *, connections: int = 5) -> Engine:
    """An engine whose pool keeps `connections` (one per thread that uses it, held for the thread's
    life), and opens at most `_SPARE` more."""
    url, replaced = database_url(settings.database_url)
    if replaced is not None:
        log.warning(
            "POINTS_DATABASE_URL names the %s driver, which the service no longer uses: connecting with %s "
            "instead; write the URL that way to silence this line",
            replaced,
            url.drivername,
        )
    if url.get_backend_name() == "sqlite":
        return _sqlite(url, settings, connections)
    return _postgresql(url, settings, connections)


def _postgresql(url: URL, settings: Settings, connections: int) -> Engine:
    options = []
    if settings.db_lock_timeout_ms:
        # A lock held too long fails fast (the batch is redone) instead of piling up requests.
        options.append(f"-c lock_timeout={int(settings.db_lock_timeout_ms)}")
    if settings.db_statement_timeout:
        options.append(f"-c statement_timeout={int(settings.db_statement_timeout * 1000)}")
    connect_args: dict[str, Any] = {
        "application_name": "points-service",
        "connect_timeout": max(1, round(settings.db_connect_timeout)),
        # A peer that vanished without closing the connection (a partition, a dead host) is noticed
        # by TCP within about keepalives_idle + interval × count seconds, and data it never
        # acknowledges fails the connection after tcp_user_timeout.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": int(max(settings.db_statement_timeout, 1) * 1000),
        "options": " ".join(options),
    }
    engine = sqlalchemy_engine(
        url,
        isolation_level="AUTOCOMMIT",
        paramstyle="numeric_dollar",
        hide_parameters=True,  # an endpoint's secret is a parameter of its INSERT
        **_compiled_statements(),
        pool_size=connections,
        max_overflow=_SPARE,
        pool_timeout=settings.db_connect_timeout,
        pool_reset_on_return=None,  # the service ends its own transactions
        # A connection taken from the pool is tested first (a round trip, once per checkout: the
        # service's threads keep theirs). After a restart, SQLAlchemy retires only the pool's
        # connections older than the one that failed, so an idle one made since an earlier restart
        # would otherwise be handed out dead, to a read's retry among others.
        pool_pre_ping=True,
        connect_args=connect_args,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Statements as written, with their `$n` placeholders (module docstring), whichever kind of
        # cursor sends them: the ordinary one, and a server-side one (`stream_results`).
        dbapi_connection.cursor_factory = ServiceCursor  # a RawCursor (`db.cursors`)
        dbapi_connection.server_cursor_factory = psycopg.RawServerCursor

    return _hide_rows(engine)


def _sqlite(url: URL, settings: Settings, connections: int) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        pool: dict[str, Any] = {
            "pool_size": connections,
            "max_overflow": _SPARE,
            "pool_timeout": settings.db_connect_timeout,
        }
    else:
        pool = {}
    engine = sqlalchemy_engine(
        url,
        isolation_level="AUTOCOMMIT",
        hide_parameters=True,  # an endpoint's secret is a parameter of its INSERT
        pool_reset_on_return=None,
        **_compiled_statements(),
        connect_args={"check_same_thread": False},  # a thread hands its connection back to the pool
        **pool,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # autocommit: BEGIN is the service's own statement
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={settings.sqlite_synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={int(settings.sqlite_wal_autocheckpoint)}")
        cursor.close()

    return _hide_rows(engine)


def migration_engine(settings: Settings) -> Engine:
    """An engine for Alembic, whose migrations run in one ordinary transaction each.

    SQLite's driver does not begin transactions around DDL by itself; SQLAlchemy's documented recipe
    takes transaction control from it and says BEGIN on every begin, so a failed migration leaves
    nothing behind."""
    url, _ = database_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        return _hide_rows(
            sqlalchemy_engine(
                url,
                poolclass=NullPool,
                hide_parameters=True,
                connect_args={"connect_timeout": max(1, round(settings.db_connect_timeout))},
            )
        )
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = _hide_rows(sqlalchemy_engine(url, poolclass=NullPool, hide_parameters=True))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine
