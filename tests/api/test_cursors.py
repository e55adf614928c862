"""On PostgreSQL a cursor's description is built only when it is read (`db.cursors`): SQLAlchemy
runs a statement it has compiled before without a `psycopg.Column` being made, and whatever does
read the description gets psycopg's own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection

from points_service.db.cursors import LazyDescription, ServiceCursor
from points_service.services import queries

from conftest import Api

VARIED = "SELECT 1 AS n, 'x'::text AS word, now() AS at, 2.5::numeric(10, 2) AS amount, NULL::jsonb AS doc"


def _fields(description: Any) -> list[tuple[Any, ...]]:
    return [tuple(column) for column in description]  # DB-API's seven items: name, type_code, …, null_ok


@pytest.fixture
def conn(api: Api) -> Iterator[Connection]:
    if api.db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's cursors only")
    with api.db.engine.connect() as conn:
        yield conn


@pytest.fixture
def columns_made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the `psycopg.Column`s made, by psycopg's own description or the lazy one."""
    made = [0]
    init = psycopg.Column.__init__

    def counted(self: Any, cursor: Any, index: int) -> None:
        made[0] += 1
        init(self, cursor, index)

    monkeypatch.setattr(psycopg.Column, "__init__", counted)
    return made


def test_the_service_uses_it(conn: Connection) -> None:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    assert isinstance(cursor, ServiceCursor) and isinstance(cursor, psycopg.RawCursor)


def test_a_statement_compiled_before_makes_no_column(conn: Connection, columns_made: list[int]) -> None:
    conn.execute(queries.ACCOUNT_EXISTS, {"ident": "nobody"}).all()  # compiled here, its metadata kept
    columns_made[0] = 0
    for _ in range(3):
        assert conn.execute(queries.ACCOUNT_EXISTS, {"ident": "nobody"}).all() == []
    assert columns_made[0] == 0


def test_it_reads_as_psycopgs_own(conn: Connection) -> None:
    raw = conn.connection.driver_connection  # type: ignore[union-attr]
    ours, theirs = raw.cursor(), psycopg.RawCursor(raw)
    ours.execute(VARIED)
    theirs.execute(VARIED)
    described = ours.description
    assert isinstance(described, LazyDescription)
    assert len(described) == 5 and bool(described)
    assert _fields(described) == _fields(theirs.description)
    assert described[1].name == "word" and [c.name for c in described[-2:]] == ["amount", "doc"]
    assert "Column 'word'" in repr(described)


def test_it_keeps_its_result_when_the_cursor_runs_on(conn: Connection) -> None:
    raw = conn.connection.driver_connection  # type: ignore[union-attr]
    cursor = raw.cursor()
    cursor.execute(VARIED)
    described = cursor.description
    cursor.execute("SELECT 1 AS other")
    assert [c.name for c in described] == ["n", "word", "at", "amount", "doc"]
    assert [c.name for c in cursor.description] == ["other"]
    assert cursor.fetchall() == [(1,)]  # the cursor's own result is where it was


def test_none_without_rows_and_empty_for_rows_without_columns(conn: Connection) -> None:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute("SET application_name = 'points-service'")
    assert cursor.description is None
    cursor.execute("SELECT")  # rows without columns: psycopg describes them, with no column
    assert cursor.description is not None and len(cursor.description) == 0 and list(cursor.description) == []
