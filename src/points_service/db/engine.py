"""Engine set-up: SQLite pragmas and transaction modes, PostgreSQL pool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ..settings import Settings

# Execution option a unit of work sets on its connection to take SQLite's write lock up front.
WRITE_OPTION = "points_write"
# Execution option of a connection that runs a single read statement: no BEGIN, the statement is
# its own transaction (SQLite's autocommit mode), so it still reads one consistent snapshot.
SINGLE_READ_OPTION = "points_single_read"


def create_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        server_settings = {"application_name": "points-service"}
        if settings.db_lock_timeout_ms:
            # A lock held too long fails fast (and is retried) instead of piling up requests.
            server_settings["lock_timeout"] = str(settings.db_lock_timeout_ms)
        return create_async_engine(
            url,
            pool_pre_ping=True,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
            connect_args={"timeout": settings.db_connect_timeout, "server_settings": server_settings},
        )

    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver: BEGIN is emitted below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={settings.sqlite_synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the database lock at BEGIN, so two writers never deadlock on upgrade;
        # readers get a snapshot that stays consistent for the whole transaction (WAL).
        options = conn.get_execution_options()
        if not options.get(SINGLE_READ_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_OPTION) else "BEGIN")

    return engine
