"""On PostgreSQL every statement reaches psycopg as SQLAlchemy wrote it: PostgreSQL's own `$n`
placeholders, positional parameters, a `RawCursor` (`db.engine`). psycopg's default cursor rewrites
`%(name)s` placeholders into `$n` at every execution, and caches the rewriting only for statements
of up to 4,096 bytes; the statement's merged ranges are longer, and were parsed again at every run
(docs/performance.md, "Placeholders psycopg rewrote at every run")."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy import bindparam, create_engine, event, select

from points_service.db import schema as t
from points_service.db.engine import database_url as connect_url

from conftest import Api
from support.ui_scenario import scripted

PSYCOPG_CACHES_UP_TO = 4096  # bytes of a statement (psycopg._queries.MAX_CACHED_STATEMENT_LENGTH)


def _rewritten(statement: str, parameters: Any, cursor: Any) -> list[str]:
    """What psycopg would rewrite in this execution: none of it for a statement sent as written."""
    problems = []
    if not isinstance(cursor, psycopg.RawCursor):
        problems.append(f"a {type(cursor).__name__}, which rewrites %(name)s and %s placeholders")
    rows = parameters if isinstance(parameters, list) else [parameters]  # executemany: a list of rows
    if any(row is not None and not isinstance(row, tuple | list) for row in rows):
        problems.append("named parameters")
    if "%(" in statement:
        problems.append("%(name)s placeholders")
    return problems


def _recorded(engine: Any) -> list[tuple[str, Any, Any]]:
    sent: list[tuple[str, Any, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(_conn: Any, cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters, cursor))

    return sent


async def test_postgresql_statements_go_to_the_driver_as_written(api: Api) -> None:
    if api.db.engine.dialect.name != "postgresql":
        pytest.skip("sqlite3 takes its ? placeholders as they are")
    sent = _recorded(api.db.engine)
    await scripted(api)  # writes of every kind the pages show: packs, opens, adjustments, resolutions, a refund
    for path in ("/v1/accounts/acme/statement", "/v1/accounts/acme/ledger", "/v1/accounts/acme/tickets?status=open"):
        assert (await api.get(path)).status_code == 200
    assert sent
    assert max(len(statement.encode()) for statement, _, _ in sent) > PSYCOPG_CACHES_UP_TO
    problems = {(statement[:80], problem) for statement, p, c in sent for problem in _rewritten(statement, p, c)}
    assert not problems


async def test_a_streamed_read_takes_the_same_placeholders(api: Api) -> None:
    """A server-side cursor (`stream_results`, rows fetched as they are read) is psycopg's other
    kind: it must send `$n` placeholders as written too, or every streamed read fails."""
    if api.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's server-side cursors")
    await api.account("acme")
    accounts = select(t.accounts.c.id).where(t.accounts.c.id == bindparam("id"))
    with api.db.engine.connect() as conn:
        conn.exec_driver_sql("BEGIN")  # the connections are in autocommit; a cursor lives in a transaction
        streamed = conn.execute(accounts.execution_options(stream_results=True), {"id": "acme"})
        assert isinstance(streamed.cursor, psycopg.RawServerCursor)
        assert streamed.all() == [("acme",)]
        conn.exec_driver_sql("ROLLBACK")


def test_the_check_sees_a_statement_psycopg_would_rewrite(database_url: str) -> None:
    """The negative control: SQLAlchemy's own defaults for psycopg (%(name)s, the default cursor)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    engine = create_engine(connect_url(database_url)[0])
    sent = _recorded(engine)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT %(n)s::int", {"n": 1})
    finally:
        engine.dispose()
    [(statement, parameters, cursor)] = sent
    assert _rewritten(statement, parameters, cursor) == [
        "a Cursor, which rewrites %(name)s and %s placeholders",
        "named parameters",
        "%(name)s placeholders",
    ]
