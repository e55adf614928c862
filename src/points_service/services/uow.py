"""The unit of work: one transaction per command, committed before the result is released."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ..db.engine import WRITE_OPTION
from ..domain.errors import ConflictError

P = ParamSpec("P")
T = TypeVar("T")


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
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
        """Apply one command in its own transaction and commit it; only then return its result."""
        async with self._write_slot(), self.sessions() as session:
            await session.connection(execution_options={WRITE_OPTION: True})
            try:
                result = await command(session, *args, **kwargs)
                await session.commit()
            except IntegrityError as exc:
                await session.rollback()
                # The command checks every unique fact under the account lock; a violation here
                # means another account's transaction claimed the same global identifier.
                raise ConflictError("the request conflicts with a concurrent change; retry it") from exc
            except BaseException:
                await session.rollback()
                raise
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
