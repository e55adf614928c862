"""The flush sends each table's rows to the driver itself.

On SQLite (`services.flush.DriverStatement`) the driver must receive exactly what
`Connection.execute` of the same Core statement would have sent, for every table a scenario writes.
On PostgreSQL (`ArrayStatement`) a table's rows go as one statement of arrays; on both databases
the statements must write back exactly the rows they are given, inserted and updated."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Json
from sqlalchemy import Connection, delete, event
from sqlalchemy.exc import IntegrityError

from points_service.db.engine import create_engine
from points_service.db.records import FIELDS, RECORDS, SELECT
from points_service.services.flush import INSERTS, ORDER, UPDATES, ArrayStatement, array_literal, compiled_for
from points_service.settings import Settings

from conftest import Api
from support.ui_scenario import scripted

# tables whose columns include every kind of bind processor the flush applies (JSON, Boolean,
# UTCDateTime) and an autoincremented key left out of the INSERT (ticket_events.id)
MUST_COVER = {
    "accounts",
    "categories",
    "lots",
    "tickets",
    "ticket_events",
    "ledger_entries",
    "events",
    "idempotency_keys",
}


def _insert_params(record: Any) -> dict[str, Any]:
    """What the flush passed to `Connection.execute` for an INSERT before it sent rows itself."""
    return {name: getattr(record, name) for name in FIELDS[type(record)]}


def _update_params(record: Any) -> dict[str, Any]:
    """What the flush passed to `Connection.execute` for an UPDATE before it sent rows itself."""
    params = {f"pk_{column.name}": getattr(record, column.name) for column in type(record).TABLE.primary_key}
    params.update((name, getattr(record, name)) for name in type(record).MUTABLE)
    return params


def _comparable(row: Any) -> Any:
    """A row as a value, each item with its type (so that `True` is not `1`, nor `1` `1.0`);
    psycopg's `Json` wrappers do not compare, so their content does."""
    if isinstance(row, Mapping):
        return {name: _comparable(value) for name, value in row.items()}
    if isinstance(row, list | tuple):
        return tuple(_comparable(value) for value in row)
    if isinstance(row, Json):
        return ("Json", row.obj)
    return (type(row).__name__, row)


class _Sent:
    """What reaches the driver's cursor, statement and parameters, while `capturing`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.calls: list[tuple[str, Any]] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        self.calls.append((statement, parameters if many else [parameters]))

    def capturing(self, send: Any) -> tuple[str, Any]:
        """The one statement `send()` hands the driver (inserting a row that exists fails there)."""
        self.calls.clear()
        self.conn.exec_driver_sql("SAVEPOINT probe")
        event.listen(self.conn, "before_cursor_execute", self._record)
        try:
            send()
        except IntegrityError:
            pass
        finally:
            event.remove(self.conn, "before_cursor_execute", self._record)
            self.conn.exec_driver_sql("ROLLBACK TO SAVEPOINT probe")
        assert len(self.calls) == 1, self.calls
        statement, parameters = self.calls[0]
        return statement, [_comparable(p) for p in parameters]


@pytest.fixture
def connection(settings: Settings) -> Iterator[Connection]:
    engine = create_engine(settings, connections=1)
    try:
        with engine.connect() as conn:  # the service's engines leave BEGIN to the caller
            conn.exec_driver_sql("BEGIN")
            yield conn
            conn.exec_driver_sql("ROLLBACK")
    finally:
        engine.dispose()


async def test_the_driver_gets_what_sqlalchemy_would_send(api: Api, connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        pytest.skip("one statement of arrays per table there: test_the_flush_writes_back_exactly_what_it_is_given")
    await scripted(api)
    r = await api.post(
        "/v1/accounts/acme/adjustments", {"points": 5, "reason": "kept"}, headers={"Idempotency-Key": "k-1"}
    )
    assert r.status_code == 201, r.text

    statements = compiled_for(connection.dialect)
    sent = _Sent(connection)
    covered = set()
    for cls in RECORDS:
        records = [cls(*row) for row in connection.execute(SELECT[cls].limit(50))]
        if not records:
            continue
        covered.add(cls.TABLE.name)
        ours = sent.capturing(lambda: statements.inserts[cls].execute(connection, records))  # noqa: B023
        theirs = sent.capturing(lambda: connection.execute(INSERTS[cls], [_insert_params(r) for r in records]))  # noqa: B023
        assert ours == theirs, cls.__name__
        if cls in UPDATES:
            ours = sent.capturing(lambda: statements.updates[cls].execute(connection, records))  # noqa: B023
            theirs = sent.capturing(lambda: connection.execute(UPDATES[cls], [_update_params(r) for r in records]))  # noqa: B023
            assert ours == theirs, cls.__name__
    assert covered >= MUST_COVER, MUST_COVER - covered


def _rows(conn: Connection) -> dict[type[Any], list[Any]]:
    """Every table's rows, as records, in a stable order."""
    return {cls: sorted((cls(*row) for row in conn.execute(SELECT[cls])), key=repr) for cls in RECORDS}


def _key(record: Any) -> tuple[Any, ...]:
    return tuple(getattr(record, column.name) for column in type(record).TABLE.primary_key)


async def test_the_flush_writes_back_exactly_what_it_is_given(api: Api, connection: Connection) -> None:
    """Every table emptied, then written again by the flush's statements: first as it was after a
    scenario (inserts), then as it was after more changes (the new rows inserted, the changed ones
    updated). What the tables then hold must be what they held, value for value; on PostgreSQL each
    table's rows go in one statement."""
    tickets = await scripted(api)
    before = _rows(connection)
    for ticket in tickets["in_progress"]:
        r = await api.post(f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk")
        assert r.status_code == 200, r.text
    r = await api.post("/v1/accounts/acme/adjustments", {"points": 7, "reason": "kept"}, role="admin")
    assert r.status_code == 201, r.text
    connection.exec_driver_sql("ROLLBACK")  # a snapshot that sees the changes (REPEATABLE READ on PostgreSQL)
    connection.exec_driver_sql("BEGIN")
    after = _rows(connection)

    statements = compiled_for(connection.dialect)
    sent: list[bool] = []  # per write the driver got: whether as an executemany

    def count(_conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, many: bool) -> None:
        if statement.startswith(("INSERT", "UPDATE")):
            sent.append(many)

    for cls in reversed(ORDER):  # children first
        connection.execute(delete(cls.TABLE))
    event.listen(connection, "before_cursor_execute", count)
    calls = 0
    for cls in ORDER:
        if before[cls]:
            statements.inserts[cls].execute(connection, before[cls])
            calls += 1
    assert _rows(connection) == before

    updated = set()
    for cls in ORDER:
        if cls in UPDATES:  # a row is known by its key, and may have changed
            known = {_key(record): record for record in before[cls]}
            new = [record for record in after[cls] if _key(record) not in known]
            changed = [record for record in after[cls] if known.get(_key(record), record) != record]
        else:  # rows that never change (some without their key among the fields)
            new, changed = [record for record in after[cls] if record not in before[cls]], []
        if new:
            statements.inserts[cls].execute(connection, new)
            calls += 1
        if changed:
            statements.updates[cls].execute(connection, changed)
            calls += 1
            updated.add(cls.TABLE.name)
    event.remove(connection, "before_cursor_execute", count)
    assert _rows(connection) == after
    assert updated >= {"accounts", "lots", "tickets", "ticket_allocations"}, updated
    if isinstance(statements.inserts[RECORDS[0]], ArrayStatement):
        assert sent == [False] * calls  # one statement per table, however many rows


TEXTS = st.lists(st.none() | st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00")), max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=TEXTS)
def test_any_text_comes_back_from_its_array_literal(connection: Connection, values: list[str | None]) -> None:
    """Quotes, backslashes, braces, commas, spaces, "NULL", the empty string: PostgreSQL reads
    the flush's array literal back as the values it was made of (SQLite's flush sends none)."""
    if connection.dialect.name != "postgresql":
        pytest.skip("the flush sends array literals to PostgreSQL only")
    assert connection.exec_driver_sql("SELECT CAST($1 AS TEXT[])", (array_literal(values),)).scalar_one() == values


def test_every_kind_of_value_the_flush_writes_comes_back_from_its_array_literal(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        pytest.skip("the flush sends array literals to PostgreSQL only")
    cases: list[tuple[str, list[Any], list[Any]]] = [
        ("BIGINT[]", [0, -1, 2**62, None], [0, -1, 2**62, None]),
        ("BOOLEAN[]", [True, False, None], [True, False, None]),
        (
            "TIMESTAMP WITH TIME ZONE[]",
            [
                datetime(2026, 12, 6, 13, 24, 3, 672502, tzinfo=UTC),
                datetime(2027, 1, 1, tzinfo=timezone(timedelta(hours=-5))),
            ],
            [datetime(2026, 12, 6, 13, 24, 3, 672502, tzinfo=UTC), datetime(2027, 1, 1, 5, tzinfo=UTC)],
        ),
        (
            "JSON[]",
            [Json({"a": 'say "hi"\\ {x, y}', "n": [1, None]}), Json("NULL"), None],
            [{"a": 'say "hi"\\ {x, y}', "n": [1, None]}, "NULL", None],
        ),
    ]
    for sql_type, values, expected in cases:
        got = connection.exec_driver_sql(f"SELECT CAST($1 AS {sql_type})", (array_literal(values),)).scalar_one()
        assert got == expected, sql_type
    with pytest.raises(TypeError):
        array_literal([1.5])  # no float is ever written
