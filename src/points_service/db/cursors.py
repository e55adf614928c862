"""psycopg's cursor for the service's statements, with a description built only when it is read.

SQLAlchemy reads a cursor's `description` after every statement that returns rows, and for a
compiled statement it has run before it only checks that there is one: the columns' names and types
come from the metadata it kept from the first run. psycopg builds the description anew at every
read, a `psycopg.Column` per column (its name decoded, its type looked up): about 1 µs of CPU per
column and statement here, 13 µs for a 12-column row, paid under the GIL by every reader and writer.

`ServiceCursor.description` answers a sequence of the same `Column`s, built the first time an item
is read, from the result the description was taken of (even if the cursor has run another statement
since). Its length and truth need no `Column`. The server-side cursor keeps psycopg's own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import psycopg
from psycopg import pq

# The statuses after which psycopg gives a description even without columns (`SELECT ;`).
_ROWS = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)


class LazyDescription(Sequence[psycopg.Column]):
    """The description of one result, its `Column`s built on first use."""

    __slots__ = ("_columns", "_cursor", "_result")

    def __init__(self, cursor: psycopg.RawCursor[Any], result: pq.abc.PGresult) -> None:
        self._cursor = cursor
        self._result = result
        self._columns: list[psycopg.Column] | None = None

    def _built(self) -> list[psycopg.Column]:
        if self._columns is None:
            # A Column reads the cursor's current result: show it this one while they are built.
            cursor, current = self._cursor, self._cursor.pgresult
            cursor.pgresult = self._result
            try:
                self._columns = [psycopg.Column(cursor, i) for i in range(self._result.nfields)]
            finally:
                cursor.pgresult = current
        return self._columns

    def __len__(self) -> int:
        return self._result.nfields

    @overload
    def __getitem__(self, index: int) -> psycopg.Column: ...
    @overload
    def __getitem__(self, index: slice) -> list[psycopg.Column]: ...
    def __getitem__(self, index: int | slice) -> psycopg.Column | list[psycopg.Column]:
        return self._built()[index]

    def __iter__(self) -> Iterator[psycopg.Column]:
        return iter(self._built())

    def __repr__(self) -> str:
        return repr(self._built())


class ServiceCursor(psycopg.RawCursor[Any]):
    """psycopg's `RawCursor` (statements sent as written, `$n` placeholders), whose description is
    built when read (`LazyDescription`)."""

    @property
    def description(self) -> list[psycopg.Column] | None:
        result = self.pgresult
        if result and (result.nfields or result.status in _ROWS):
            return LazyDescription(self, result)  # type: ignore[return-value]  # a Sequence, as DB-API asks
        return None
