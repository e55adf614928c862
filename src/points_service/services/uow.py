"""The unit of work: commands applied in transactions, each result released only after COMMIT.

Group commit. `Database.write` queues the command for this process's writer tasks (one on SQLite,
which has one write lock; `writers` on PostgreSQL, each with its own connection). A writer takes
up to `batch_size` queued commands at a time and applies them in one transaction, each inside its
own SAVEPOINT:

* a command that raises is rolled back to its savepoint, alone: the others stay applied, and it
  is applied not at all (a batch is first tried without savepoints, which cost two statements a
  command; when a command fails there, the batch is rolled back and redone with them, so a
  command may run twice, its first run rolled back — commands must not act outside the
  transaction);
* every caller is answered (result or error) only after the batch's COMMIT succeeded, so nothing
  is acknowledged that is not durable. A batch that meets a deadlock, a serialization failure,
  a lock timeout, a busy SQLite, or a connection lost (or refused by a restarting PostgreSQL)
  before its COMMIT is redone whole (nothing of it was committed); one whose COMMIT fails
  otherwise answers every command with the failure, and one whose connection fails during COMMIT
  is not redone (it may have committed) and answers `CommitOutcomeUnknownError`, so nothing is
  applied twice;
* on PostgreSQL the batch first locks every account its commands name, in id order, so two
  batches (of this process's writers or another process's) never wait on each other in a cycle
  (see `_lock_accounts`).

The identity map is cleared after each command, so a command sees exactly what a command in a
transaction of its own would see, and the objects it returned are not touched by the next one.
`batch_size=1` gives one transaction per command.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Executable, Row, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ..db.engine import SINGLE_READ_OPTION, WRITE_OPTION, create_engine
from ..db.models import Account, Ticket
from ..domain.errors import ConflictError
from ..settings import Settings
from .ledger import POSTED

P = ParamSpec("P")
T = TypeVar("T")

# PostgreSQL: serialization failure, deadlock, lock timeout. Redoing the whole transaction is safe.
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}
# PostgreSQL: admin shutdown, crash shutdown, cannot connect now (starting up or shutting down).
CONNECTION_SQLSTATES = {"57P01", "57P02", "57P03"}
MAX_ATTEMPTS = 5
# The same defaults as the service's settings (POINTS_WRITE_BATCH_SIZE, POINTS_WRITERS).
DEFAULT_BATCH_SIZE: int = Settings.model_fields["write_batch_size"].default
DEFAULT_WRITERS: int = Settings.model_fields["writers"].default


class DatabaseBusyError(Exception):
    """The database stayed busy (locked, deadlocked, or its connections lost) through every retry."""

    detail = "the database is busy; retry shortly"  # what a client is told (never the driver's message)


class CommitOutcomeUnknownError(DatabaseBusyError):
    """The connection was lost during COMMIT: the batch may or may not have been committed."""

    detail = (
        "the connection to the database was lost during COMMIT, so the request may or may not have been "
        "applied: repeat it with the same Idempotency-Key to get its outcome"
    )


class _CommandFailed(Exception):
    """A command failed in a batch applied without savepoints."""


class _CommitLost(Exception):
    """The connection was lost during COMMIT: the batch may or may not have been committed."""


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def connection_failed(exc: DBAPIError) -> bool:
    """The connection was lost or could not be made: SQLAlchemy invalidated it (a disconnect), or
    PostgreSQL refused or ended it because it is shutting down, crashed or is starting up
    (SQLSTATE 57P01–57P03: a restart or a failover) or the connection failed (class 08)."""
    state = _sqlstate(exc) or ""
    return exc.connection_invalidated or state in CONNECTION_SQLSTATES or state.startswith("08")


def _is_transient(exc: DBAPIError) -> bool:
    """Raised before COMMIT, nothing of the transaction is committed and doing it again may
    succeed: the database was busy, or the connection failed (SQLAlchemy has then invalidated
    it, and the pool's pre-ping replaces the dead ones)."""
    if connection_failed(exc) or _sqlstate(exc) in RETRYABLE_SQLSTATES:
        return True
    # SQLite: another process held the write lock for longer than busy_timeout.
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def _named(values: Iterable[Any], name: str, found: set[str]) -> None:
    """Collect string values called `name` in dict arguments, at any depth (the Idempotency-Key
    wrapper passes the command's keyword arguments as a dict; a webhook names its account in its
    payload)."""
    for value in values:
        if isinstance(value, dict):
            named = value.get(name)
            if isinstance(named, str):
                found.add(named)
            _named((v for v in value.values() if isinstance(v, dict)), name, found)


@dataclass(eq=False)
class _Job:
    command: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: asyncio.Future[Any]
    # The caller's context (its request id, for the lines logged while the command runs).
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    outcome: tuple[bool, Any] | None = None
    posted: list[Any] = field(default_factory=list)

    def names(self, name: str) -> set[str]:
        found: set[str] = set()
        _named([self.kwargs, *self.args], name, found)
        return found


class Database:
    def __init__(
        self,
        engine: AsyncEngine,
        on_commit: Callable[[list[Any]], None] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        writers: int = DEFAULT_WRITERS,
    ) -> None:
        if batch_size < 1 or writers < 1:
            raise ValueError("batch_size and writers must be at least 1")
        self.engine = engine
        # Told the ledger entries of every committed transaction (metrics), never before COMMIT.
        self.on_commit = on_commit
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.batch_size = batch_size
        # SQLite has one write lock: a second writer would only wait for it.
        self.writers = 1 if self.is_sqlite else writers
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._queue: asyncio.Queue[_Job] | None = None
        self._writers: list[asyncio.Task[None]] = []
        # Told the size of every committed batch, and how many times it was redone (metrics).
        self.on_batch: Callable[[int, int], None] | None = None
        self.batches = 0  # transactions committed by the writer (for tests and metrics)
        self.redone = 0  # batches redone after a deadlock, serialization failure or lock timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The database the settings describe, with their batch size and writers."""
        return cls(create_engine(settings), batch_size=settings.write_batch_size, writers=settings.writers)

    async def write(
        self,
        command: Callable[Concatenate[AsyncSession, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Apply one command and commit it (with whatever else is queued); only then return.

        A transaction that fails because of concurrency (deadlock, serialization failure, lock
        timeout) is redone whole, a bounded number of times, then `DatabaseBusyError`. A unique
        row created meanwhile by another transaction makes the command run once more: it then
        sees the row and answers as for any repeat (a second violation is a `ConflictError`).
        """
        loop = asyncio.get_running_loop()
        job = _Job(command, args, kwargs, loop.create_future())
        self._start_writer(loop).put_nowait(job)
        # The job runs to its batch's end even if this caller goes away (a client hanging up
        # does not undo a command the writer has begun); shield keeps the future for it.
        return await asyncio.shield(job.future)

    def _start_writer(self, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[_Job]:
        """The queue, and its writers (started on first use in this event loop)."""
        if self._queue is None or not self._writers or self._writers[0].get_loop() is not loop:
            self._queue = asyncio.Queue()
            self._writers = []
        self._writers = [task for task in self._writers if not task.done()]
        while len(self._writers) < self.writers:
            name = f"points-writer-{len(self._writers)}"
            # A context of its own: not the request's that happened to start it (its request id).
            task = loop.create_task(self._write_batches(self._queue), name=name, context=contextvars.Context())
            self._writers.append(task)
        return self._queue

    async def _write_batches(self, queue: asyncio.Queue[_Job]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.batch_size and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._commit_batch(batch)
            except Exception as exc:  # a bug: answer the batch with it, and keep writing
                for job in batch:
                    job.outcome = (False, exc)
            except BaseException:  # cancelled (shutdown): no caller is left hanging
                for job in batch:
                    if not job.future.done():
                        job.future.set_exception(DatabaseBusyError("the service is shutting down"))
                raise
            for job in batch:
                if job.future.done():  # the caller's own task was cancelled
                    continue
                ok, value = job.outcome  # type: ignore[misc]
                if ok:
                    job.future.set_result(value)
                else:
                    job.future.set_exception(value)

    async def _commit_batch(self, batch: list[_Job]) -> None:
        """Apply and commit the batch, redoing it whole on concurrency failures; set outcomes.

        Savepoints cost two statements a command, so a batch is first applied without them;
        if a command then fails, the batch is rolled back and redone with a savepoint each."""
        savepoints = False
        redone = 0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                await self._apply(batch, savepoints=savepoints)
                break
            except _CommandFailed:
                savepoints = True
                continue
            except _CommitLost as exc:  # not redone: it may have been committed
                failure: Exception = CommitOutcomeUnknownError(str(exc.__cause__))
                failure.__cause__ = exc.__cause__
            except DBAPIError as exc:
                if not _is_transient(exc):
                    failure = exc
                elif attempt < MAX_ATTEMPTS:
                    self.redone += 1
                    redone += 1
                    await asyncio.sleep(0.005 * attempt)
                    continue
                else:
                    failure = DatabaseBusyError(str(exc.orig))
                    failure.__cause__ = exc
            except Exception as exc:  # COMMIT or the connection failed: nothing was applied
                failure = exc
            for job in batch:
                job.outcome = (False, failure)
            return
        self.batches += 1
        if self.on_batch is not None:
            self.on_batch(len(batch), redone)
        if self.on_commit is not None:
            posted = [entry for job in batch if job.outcome and job.outcome[0] for entry in job.posted]
            if posted:
                self.on_commit(posted)

    async def _apply(self, batch: list[_Job], *, savepoints: bool) -> None:
        async with self.sessions() as session:
            await session.connection(execution_options={WRITE_OPTION: True})
            try:
                if not self.is_sqlite and len(batch) > 1:
                    await _lock_accounts(session, batch)
                step = self._apply_one if savepoints else self._apply_unguarded
                loop = asyncio.get_running_loop()
                for job in batch:
                    await loop.create_task(step(session, job), context=job.context)
                try:
                    await session.commit()
                except DBAPIError as exc:
                    if connection_failed(exc):
                        raise _CommitLost from exc
                    raise
            except BaseException:
                await session.rollback()
                raise

    async def _apply_unguarded(self, session: AsyncSession, job: _Job) -> None:
        """Apply a command with no savepoint: if it fails, the whole batch must be redone."""
        job.outcome, job.posted = None, []
        session.info[POSTED] = []
        try:
            result = await job.command(session, *job.args, **job.kwargs)
            await session.flush()
        except DBAPIError as exc:
            if _is_transient(exc):
                raise
            raise _CommandFailed from exc
        except Exception as exc:
            raise _CommandFailed from exc
        finally:
            posted = session.info.pop(POSTED, [])
            session.expunge_all()
        job.outcome, job.posted = (True, result), posted

    async def _apply_one(self, session: AsyncSession, job: _Job) -> None:
        job.outcome, job.posted = None, []  # a batch may be redone
        for attempt in (1, 2):
            session.info[POSTED] = []
            try:
                async with session.begin_nested():
                    result = await job.command(session, *job.args, **job.kwargs)
                job.outcome, job.posted = (True, result), session.info.pop(POSTED)
                return
            except IntegrityError as exc:
                # Commands check unique facts under the account lock; a violation means another
                # transaction claimed the same identifier (a new account, a global payment id)
                # meanwhile. Run again, the command sees it and answers as for any repeat.
                if attempt == 2:
                    conflict = ConflictError("the request conflicts with a concurrent change")
                    conflict.__cause__ = exc
                    job.outcome = (False, conflict)
            except DBAPIError as exc:
                if _is_transient(exc):
                    raise  # the whole batch is redone
                job.outcome = (False, exc)
            except Exception as exc:
                job.outcome = (False, exc)
            finally:
                session.info.pop(POSTED, None)
                session.expunge_all()
            if job.outcome is not None:
                return

    async def read_rows(self, statement: Executable, params: dict[str, Any] | None = None) -> Sequence[Row[Any]]:
        """The rows of one statement, run without BEGIN or COMMIT around it.

        A single statement reads one consistent snapshot on both databases, so a read that fits
        in one statement needs no transaction: this saves two round trips on PostgreSQL and the
        driver's thread hops for them on SQLite."""
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                await conn.execution_options(**{SINGLE_READ_OPTION: True})
            else:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
            return (await conn.execute(statement, params)).all()

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A read-only session whose reads all see one consistent snapshot."""
        async with self.sessions() as session:
            if not self.is_sqlite:
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            # Closing (not rolling back) ends the transaction without expiring what was loaded.
            yield session

    async def dispose(self) -> None:
        for writer in self._writers:
            if not writer.done():
                with contextlib.suppress(RuntimeError):  # its loop is already closed
                    writer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await writer
        self._writers = []
        await self.engine.dispose()


async def _lock_accounts(session: AsyncSession, batch: list[_Job]) -> None:
    """Lock every account the batch names, in id order, before any command runs.

    Commands name their account as `account_id=` or, when they name only their ticket, as
    `ticket_id=` (a ticket never changes account). Taking all the row locks up front, sorted,
    means this batch waits only at its start and never while holding a lock another batch is
    waiting for in the other order.
    An account a command locks without naming it (a new one being created) is locked when the
    command gets there; a deadlock that could still cause is detected by PostgreSQL and the
    batch redone.
    """
    accounts: set[str] = set()
    tickets: set[str] = set()
    for job in batch:
        named = job.names("account_id")
        accounts |= named
        if not named:
            tickets |= job.names("ticket_id")
    if tickets:
        accounts.update((await session.scalars(select(Ticket.account_id).where(Ticket.id.in_(tickets)))).all())
    if accounts:
        await session.execute(select(Account.id).where(Account.id.in_(accounts)).order_by(Account.id).with_for_update())
