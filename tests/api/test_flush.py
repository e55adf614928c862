"""The flush sends each table's rows to the driver itself (`services.flush.DriverStatement`): the
driver must receive exactly what `Connection.execute` of the same Core statement would have sent,
on both databases, for every table a scenario writes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from psycopg.types.json import Json
from sqlalchemy import Connection, event
from sqlalchemy.exc import IntegrityError

from points_service.db.engine import create_engine
from points_service.db.records import FIELDS, RECORDS, SELECT
from points_service.services.flush import INSERTS, UPDATES, compiled_for
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
