"""The unit of work: one transaction per command, committed before the result is released."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ..db.engine import WRITE_OPTION
from ..domain.errors import ConflictError
from .ledger import POSTED

P = ParamSpec("P")
T = TypeVar("T")

# PostgreSQL: serialization failure, deadlock, lock timeout. Redoing the whole transaction is safe.
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}
MAX_ATTEMPTS = 5


class DatabaseBusyError(Exception):
    """The database stayed busy (locked, deadlocked) through every retry."""


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _is_busy(exc: DBAPIError) -> bool:
    if _sqlstate(exc) in RETRYABLE_SQLSTATES:
        return True
    # SQLite: another process held the write lock for longer than busy_timeout.
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


class Database:
    def __init__(self, engine: AsyncEngine, on_commit: Callable[[list[Any]], None] | None = None) -> None:
        self.engine = engine
        # Told the ledger entries of every committed transaction (metrics), never before COMMIT.
        self.on_commit = on_commit
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer at a time anyway; queueing writers here instead of in
        # busy_timeout keeps waiting cheap and fair. Other processes (the CLI) still meet
        # BEGIN IMMEDIATE and the busy timeout.
        self._sqlite_writer = asyncio.Lock() if self.is_sqlite else None

    async def write(
        self,
        command: Callable[Concatenate[AsyncSession, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Apply one command in its own transaction and commit it; only then return its result.

        A transaction that fails because of concurrency (deadlock, serialization failure, a
        unique row created meanwhile by another transaction) is redone whole, a bounded number
        of times, so nothing is ever applied twice.
        """
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await self._attempt(command, *args, **kwargs)
            except IntegrityError as exc:
                # Commands check unique facts under the account lock; a violation means another
                # transaction claimed the same identifier (a new account, a global payment id)
                # meanwhile. Redone, the command sees it and answers as for any repeat.
                if attempt >= 2:
                    raise ConflictError("the request conflicts with a concurrent change") from exc
            except DBAPIError as exc:
                if not _is_busy(exc):
                    raise
                if attempt == MAX_ATTEMPTS:
                    raise DatabaseBusyError(str(exc.orig)) from exc
            await asyncio.sleep(0.005 * attempt)
        raise AssertionError("unreachable")

    async def _attempt(
        self,
        command: Callable[Concatenate[AsyncSession, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        async with self._write_slot(), self.sessions() as session:
            await session.connection(execution_options={WRITE_OPTION: True})
            try:
                result = await command(session, *args, **kwargs)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            posted = session.info.pop(POSTED, [])
        if self.on_commit is not None and posted:
            self.on_commit(posted)
        return result

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A read-only session whose reads all see one consistent snapshot."""
        async with self.sessions() as session:
            if not self.is_sqlite:
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            # Closing (not rolling back) ends the transaction without expiring what was loaded.
            yield session

    @contextlib.asynccontextmanager
    async def _write_slot(self) -> AsyncIterator[None]:
        if self._sqlite_writer is None:
            yield
        else:
            async with self._sqlite_writer:
                yield

    async def dispose(self) -> None:
        await self.engine.dispose()
