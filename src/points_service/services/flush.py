"""The flush phase of a write batch: one `executemany` per table, inserts then updates.

Tables are written in the order their foreign keys need (accounts and lots before what refers to
them). A row created and then changed within the batch is inserted once, as it was left. Updates
set a table's changeable columns (`MUTABLE`) by primary key. The statements are built once.

On PostgreSQL the flush's statements go out in one psycopg pipeline: none of them returns rows, so
none waits for the one before, and the whole flush costs one round trip instead of one per table.
A statement that fails (a constraint) makes the pipeline raise when it syncs, and the flush raises
it as SQLAlchemy would have, so the unit of work tells a conflict from a lost connection as usual.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import psycopg
from sqlalchemy import Connection, bindparam, insert, update
from sqlalchemy.exc import DBAPIError

from ..db import schema as t
from ..db.records import RECORDS, row_of
from .state import Batch

ORDER = RECORDS  # parents first: every table after those its foreign keys refer to
# inline: nothing is read back (no RETURNING of generated keys, which a pipeline could not wait for).
INSERTS = {cls: insert(cls.TABLE).inline() for cls in ORDER}
# executemany of an UPDATE sets the columns its parameters name; `pk_<column>` names the row.
UPDATES = {
    cls: update(cls.TABLE).where(*(column == bindparam(f"pk_{column.name}") for column in cls.TABLE.primary_key))
    for cls in ORDER
    if cls.MUTABLE
}
_PRIMARY_KEY = {cls: [column.name for column in cls.TABLE.primary_key] for cls in UPDATES}
BUMP_CATALOGUE_VERSION = (
    update(t.catalogue_state).where(t.catalogue_state.c.id == 1).values(version=t.catalogue_state.c.version + 1)
)


def _update_params(record: Any) -> dict[str, Any]:
    cls = type(record)
    params = {f"pk_{name}": getattr(record, name) for name in _PRIMARY_KEY[cls]}
    params.update((name, getattr(record, name)) for name in cls.MUTABLE)
    return params


def flush(conn: Connection, batch: Batch) -> None:
    """Write what the batch's commands created and changed."""
    created: dict[type[Any], list[dict[str, Any]]] = defaultdict(list)
    for record in batch.rows_to_insert():
        created[type(record)].append(row_of(record))
    changed: dict[type[Any], list[dict[str, Any]]] = defaultdict(list)
    for record in batch.rows_to_update():
        changed[type(record)].append(_update_params(record))
    with _pipelined(conn):
        for cls in ORDER:
            if created[cls]:
                conn.execute(INSERTS[cls], created[cls])
        for cls in ORDER:
            if changed[cls]:
                conn.execute(UPDATES[cls], changed[cls])
        if batch.catalogue_changed:
            conn.execute(BUMP_CATALOGUE_VERSION)
    for statement, params, then in batch.statements:  # after the pipeline: `then` reads the result
        result = conn.execute(statement, params)
        if then is not None:
            then(result)


@contextlib.contextmanager
def _pipelined(conn: Connection) -> Iterator[None]:
    if conn.dialect.name != "postgresql":
        yield
        return
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.pipeline():
            yield
    except psycopg.Error as exc:  # raised as the pipeline synced, outside SQLAlchemy's own handling
        lost = driver.closed or driver.broken
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(None, None, exc, psycopg.Error, connection_invalidated=lost) from exc
