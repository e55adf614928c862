"""The flush phase of a write batch: one statement per table, inserts then updates.

Tables are written in the order their foreign keys need (accounts and lots before what refers to
them). A row created and then changed within the batch is inserted once, as it was left. Updates
set a table's changeable columns (`MUTABLE`) by primary key.

The statements are SQLAlchemy Core statements, built once and compiled once per dialect. Each
batch sends them with `Connection.exec_driver_sql`, each value through its column type's own bind
processor. That skips what `Connection.execute` does for every row of an `executemany`
(rebuilding the parameters from the compiled statement, then running the processors): a quarter
of the writer's time in the profile (docs/performance.md). SQLAlchemy still wraps the driver's
errors, so a constraint is an `IntegrityError` as before.

* On SQLite a table's rows go to the driver's `executemany` as tuples (`DriverStatement`);
  `tests/api/test_flush.py` checks that the driver receives exactly what `Connection.execute`
  would have sent it.
* On PostgreSQL a table's rows go as one statement whose parameters are the columns' arrays
  (`ArrayStatement`), because PostgreSQL prepares a table's CHECK constraints once per statement
  it executes, not once per batch.

On PostgreSQL the flush's statements go out in one psycopg pipeline: none of them returns rows, so
none waits for the one before, and the whole flush costs one round trip instead of one per table.
A statement that fails (a constraint) makes the pipeline raise when it syncs, and the flush raises
it as SQLAlchemy would have, so the unit of work tells a conflict from a lost connection as usual.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

import psycopg
from psycopg.types.json import Json
from sqlalchemy import Connection, Dialect, Table, and_, bindparam, cast, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import FromClause, Insert, Update

from ..db import schema as t
from ..db.records import FIELDS, RECORDS
from .state import Batch

ORDER = RECORDS  # parents first: every table after those its foreign keys refer to
# inline: nothing is read back (no RETURNING of generated keys, which a pipeline could not wait for).
INSERTS = {cls: insert(cls.TABLE).inline() for cls in ORDER}
# `pk_<column>` names the row; the SET clause is the table's changeable columns.
UPDATES = {
    cls: update(cls.TABLE).where(*(column == bindparam(f"pk_{column.name}") for column in cls.TABLE.primary_key))
    for cls in ORDER
    if cls.MUTABLE
}
BUMP_CATALOGUE_VERSION = (
    update(t.catalogue_state).where(t.catalogue_state.c.id == 1).values(version=t.catalogue_state.c.version + 1)
)


@dataclass(frozen=True, slots=True)
class BoundStatement:
    """A flush statement compiled for one dialect, with what turns records into its parameters
    (`parameters`, by each kind below)."""

    sql: str
    values: Callable[[Any], tuple[Any, ...]]  # the record's values, in `names` order
    names: tuple[str, ...]  # the statement's parameters, in the order `values` gives them
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, the column type's bind processor)
    positional: bool

    def parameters(self, records: Sequence[Any]) -> Any:
        raise NotImplementedError

    def execute(self, conn: Connection, records: Sequence[Any]) -> None:
        conn.exec_driver_sql(self.sql, self.parameters(records))


@dataclass(frozen=True, slots=True)
class DriverStatement(BoundStatement):
    """A Core INSERT or UPDATE, its rows sent to the driver's `executemany` (SQLite)."""

    @classmethod
    def compile(
        cls, statement: Insert | Update, dialect: Dialect, names: Sequence[str], columns: Sequence[str]
    ) -> DriverStatement:
        """`names` are the parameters (a column's, or `pk_<column>`), `columns` the record fields
        that give them, in the same order."""
        keys = [name for name in names if not name.startswith("pk_")]
        compiled = statement.compile(dialect=dialect, column_keys=keys)
        expected = set(names)
        if set(compiled.params) != expected:
            raise AssertionError(f"{statement.table} compiles to parameters {sorted(compiled.params)}")
        order = tuple(compiled.positiontup or ()) if dialect.positional else tuple(names)
        by_name = dict(zip(names, columns, strict=True))
        values, processors = _binding(statement.table, dialect, order, [by_name[name] for name in order])
        return cls(compiled.string, values, order, processors, dialect.positional)

    def parameters(self, records: Sequence[Any]) -> list[Any]:
        """The records as the driver's rows: tuples, or mappings for a named paramstyle."""
        rows: list[Any] = []
        for record in records:
            row = self.values(record)
            if self.processors:
                row = list(row)  # type: ignore[assignment]
                for position, process in self.processors:
                    row[position] = process(row[position])  # type: ignore[index]
            rows.append(tuple(row) if self.positional else dict(zip(self.names, row, strict=True)))
        return rows


@dataclass(frozen=True, slots=True)
class ArrayStatement(BoundStatement):
    """PostgreSQL: all of a table's rows in one statement, each column's values in one array.

    `INSERT … SELECT … FROM unnest(…)` and `UPDATE … FROM unnest(…)`, built with Core. PostgreSQL
    prepares a table's CHECK constraints (parsing them from their stored text) once per statement
    it executes, so an `executemany` of 16 rows did it 16 times: a third of the server's work per
    open (docs/performance.md, "The flush in one statement per table on PostgreSQL"). One statement
    per table does it once, and runs the executor once. Each parameter is one column's array."""

    @classmethod
    def compile(
        cls, table: Table, dialect: Dialect, names: Sequence[str], columns: Sequence[str], *, update_of: int = 0
    ) -> ArrayStatement:
        """`names` are the parameters (a column's, or `pk_<column>`), `columns` the record fields
        that give them, in the same order. With `update_of`, the statement is an UPDATE of the first
        `update_of` names, the rows found by the `pk_` ones; otherwise an INSERT of every name."""
        types = [table.c[name.removeprefix("pk_")].type for name in names]
        rows = (
            func.unnest(*(cast(bindparam(name), ARRAY(type_)) for name, type_ in zip(names, types, strict=True)))
            .table_valued(*names)
            .render_derived(name="v")
        )
        statement: Insert | Update
        if update_of:
            keys = [name for name in names if name.startswith("pk_")]
            statement = (
                update(table)
                .values({name: rows.c[name] for name in names[:update_of]})
                .where(and_(*(table.c[key.removeprefix("pk_")] == rows.c[key] for key in keys)))
            )
        else:
            statement = insert(table).from_select(list(names), select(*(rows.c[name] for name in names)))
        compiled = statement.compile(dialect=dialect)
        # The arrays are the unnest's arguments, the only parameters, so they come in `names` order.
        if list(compiled.positiontup or names) != list(names) or set(compiled.params) != set(names):
            raise AssertionError(f"{table} compiles to parameters {compiled.positiontup or sorted(compiled.params)}")
        values, processors = _binding(table, dialect, names, columns)
        return cls(compiled.string, values, tuple(names), processors, dialect.positional)

    def parameters(self, records: Sequence[Any]) -> tuple[str, ...] | dict[str, str]:
        """The records as the statement's parameters: each column's values as one array literal,
        in a tuple (or a mapping by name for a named paramstyle)."""
        columns: list[Sequence[Any]] = list(zip(*map(self.values, records), strict=True))
        for position, process in self.processors:
            columns[position] = [process(value) for value in columns[position]]
        literals = tuple(map(array_literal, columns))
        return literals if self.positional else dict(zip(self.names, literals, strict=True))


def _binding(
    table: FromClause, dialect: Dialect, names: Sequence[str], columns: Sequence[str]
) -> tuple[Callable[[Any], tuple[Any, ...]], tuple[tuple[int, Callable[[Any], Any]], ...]]:
    """What gives a statement its parameters `names` (a column's, or `pk_<column>`) from a record:
    the record's fields `columns` (in the same order) as a tuple, and the positions whose column
    type has a bind processor, with it."""
    processors = []
    for position, name in enumerate(names):
        process = table.c[name.removeprefix("pk_")].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((position, process))
    getter = attrgetter(*columns)
    values: Callable[[Any], tuple[Any, ...]] = getter if len(columns) > 1 else lambda record: (getter(record),)
    return values, tuple(processors)


def array_literal(values: Sequence[Any]) -> str:
    """PostgreSQL's text form of an array (`array_in`'s syntax): NULL for None, every other element
    in double quotes with its backslashes and double quotes escaped, so any text comes back as it
    went (`tests/api/test_flush.py` reads arbitrary text back from it).

    The flush sends each column's array as this text, an untyped parameter that the statement's
    CAST reads as the column's array type. psycopg's own list dumper would cost six times as much
    in Python per value, and would type a list of integers by its largest value (int2, int4 or
    int8): each batch could then send other parameter types, and psycopg prepares one statement
    per set of types. As text, every batch sends the same, and a table has one prepared statement."""
    return "{" + ",".join(map(_element, values)) + "}"


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        text = value
    elif isinstance(value, datetime):  # aware: UTCDateTime's bind processor refuses naive ones
        text = value.isoformat()
    elif isinstance(value, Json):  # what SQLAlchemy's JSON bind processor makes for psycopg
        dumped = (value.dumps or json.dumps)(value.obj)
        text = dumped.decode() if isinstance(dumped, bytes) else dumped  # psycopg allows either
    else:
        raise TypeError(f"no PostgreSQL array element for a {type(value).__name__}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Compiled:
    """One dialect's flush statements."""

    inserts: dict[type[Any], BoundStatement]
    updates: dict[type[Any], BoundStatement]


def compiled_for(dialect: Dialect) -> Compiled:
    """The flush statements compiled for `dialect` (once per dialect name and paramstyle): on
    PostgreSQL one statement per table (`ArrayStatement`), on SQLite one `executemany` per table
    (`DriverStatement`), which SQLite runs without preparing anything again per row."""
    key = (dialect.name, dialect.paramstyle)
    found = _COMPILED.get(key)
    if found is None:
        inserts: dict[type[Any], BoundStatement] = {}
        updates: dict[type[Any], BoundStatement] = {}
        arrays = dialect.name == "postgresql"
        for cls in ORDER:
            fields = FIELDS[cls]
            inserts[cls] = (
                ArrayStatement.compile(cls.TABLE, dialect, fields, fields)
                if arrays
                else DriverStatement.compile(INSERTS[cls], dialect, fields, fields)
            )
        for cls, statement in UPDATES.items():
            pk = [column.name for column in cls.TABLE.primary_key]
            names = (*cls.MUTABLE, *(f"pk_{name}" for name in pk))
            updates[cls] = (
                ArrayStatement.compile(cls.TABLE, dialect, names, (*cls.MUTABLE, *pk), update_of=len(cls.MUTABLE))
                if arrays
                else DriverStatement.compile(statement, dialect, names, (*cls.MUTABLE, *pk))
            )
        found = _COMPILED[key] = Compiled(inserts, updates)
    return found


_COMPILED: dict[tuple[str, str], Compiled] = {}


def flush(conn: Connection, batch: Batch) -> None:
    """Write what the batch's commands created and changed."""
    statements = compiled_for(conn.dialect)
    created: dict[type[Any], list[Any]] = defaultdict(list)
    for record in batch.rows_to_insert():
        created[type(record)].append(record)
    changed: dict[type[Any], list[Any]] = defaultdict(list)
    for record in batch.rows_to_update():
        changed[type(record)].append(record)
    with _pipelined(conn):
        for cls in ORDER:
            if created[cls]:
                statements.inserts[cls].execute(conn, created[cls])
        for cls in ORDER:
            if changed[cls]:
                statements.updates[cls].execute(conn, changed[cls])
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
    except DBAPIError:  # a statement's error, raised (and wrapped) by SQLAlchemy as it was sent
        if not (driver.closed or driver.broken):
            _forget_prepared(driver)
        raise
    except psycopg.Error as exc:  # raised as the pipeline synced, outside SQLAlchemy's own handling
        lost = driver.closed or driver.broken
        if lost:
            conn.invalidate(exc)
        else:
            _forget_prepared(driver)
        raise DBAPIError.instance(None, None, exc, psycopg.Error, connection_invalidated=lost) from exc


def _forget_prepared(driver: psycopg.Connection[Any]) -> None:
    """After a pipeline that failed: psycopg forgets which statements it prepared.

    A pipeline's statement is prepared on the server by psycopg, which records the name
    as it queues the PREPARE. When an earlier statement of the pipeline fails (a UNIQUE conflict
    the careful pass then sorts out), the server skips the rest, PREPARE included, but psycopg 3.3
    never looks at the skipped results and keeps the name; the ROLLBACK that follows clears its
    record only the first time psycopg sees a ROLLBACK (it checks a statement's results for that
    only when the statement is new to it). Every later use of the statement on that connection then
    failed, "prepared statement _pg3_N does not exist", and the writes answered 500
    (test_tickets, test_writes_go_on_after_a_duplicate_external_ref). Clearing the record here
    makes psycopg send DEALLOCATE ALL after the next statement (the ROLLBACK or ROLLBACK TO
    SAVEPOINT the writer sends next) and prepare each statement again. `_prepared` is psycopg's
    own, not public: the test above fails if it goes away or changes meaning."""
    driver._prepared.clear()
