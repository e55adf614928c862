"""The unit of work: writer threads that apply batches of commands, and reader threads.

No database call runs on the event loop. The async side queues work and awaits its answer; threads
that the service owns talk to the database through SQLAlchemy's synchronous engine (`sqlite3`,
psycopg 3), each on a connection of its own.

**Writes: group commit, batch-level statements.** `Database.write` queues a command for the
writers (one on SQLite, which has one write lock; `writers` on PostgreSQL). A writer takes up to
`batch_size` queued commands and applies them in one transaction:

1. *load*: from what the commands name (`Needs`), lock their accounts in id order and read
   everything in a few statements (`load.py`);
2. *apply*: run each command's rules in memory, in queue order, each in a `Tx` of its own, so each
   sees the commands before it; a command the rules refuse (or that fails) leaves nothing;
3. *flush*: one statement per table (`flush.py`);
4. *COMMIT*, and only then answer every caller (with `POINTS_HOLD_ANSWERS` on PostgreSQL, while
   another batch is queued, just before that batch's flush: `_Held`).

A batch applied in one pass is timed step by step (`BatchTimes`, told to `on_batch`; the metrics'
`points_write_batch_seconds`).

If the flush meets a constraint the rules did not foresee (a row another transaction created
meanwhile: an account, a payment id, an Idempotency-Key twin), the batch is rolled back and redone
*carefully*: one command at a time, each in a SAVEPOINT with its own load and flush, so a command
that conflicts fails alone (after one more try, which sees the other's row and answers as for any
repeat).

A batch that meets a deadlock, a serialization failure, a lock timeout, a busy SQLite, or a
connection lost (or refused by a restarting PostgreSQL) before its COMMIT is redone whole (nothing
of it was committed); one whose connection fails during COMMIT is not redone (it may have
committed) and answers `CommitOutcomeUnknownError`, so nothing is applied twice.

**Waiting is bounded.** A caller waits at most `statement_timeout` seconds. A command still queued
by then is withdrawn (never applied) and answered `DatabaseBusyError`; one already taken by a
writer may still commit, and is answered `CommitOutcomeUnknownError`. A client that goes away does
not stop a command a writer has begun: it is applied whole or not at all.

**Reads** run on `readers` threads, each with its own connection: a single statement on its own
(`read_one`: no BEGIN, one statement is one snapshot), or several in one snapshot (`read`:
`BEGIN … READ ONLY` at REPEATABLE READ on PostgreSQL, a deferred BEGIN on SQLite's WAL). Reads
that one statement can answer together (`read_batched`: balances) share it when a reader finds them
queued at once. A read that may take long (`read_long`: reports, verification, exports, reads as of
an instant, the sweeps' look-ups) runs on `long_readers` threads of its own, so that the ordinary
reads never queue behind it, even with a single ordinary reader (SQLite's default: its reads are
the process's own CPU, and more threads only contend for the interpreter). A read whose connection
turns out dead is tried once more on a fresh one: a read changes nothing.

**Shutdown** (`close`) refuses new commands, lets the writers finish every command queued before,
then closes the connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine, Executable, Row
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from ..db.engine import create_engine, is_sqlite
from ..domain.errors import ConflictError
from ..settings import Settings, default_readers
from .catalogue import CatalogueCache
from .flush import flush
from .idempotency import IdempotencyInProgressError
from .load import any_ticket_ref_taken, load
from .state import Command, Needs, Scope

R = TypeVar("R")
T = TypeVar("T")
log = logging.getLogger("points_service.uow")

# PostgreSQL: serialization failure, deadlock. Redoing the whole transaction is safe.
RETRYABLE_SQLSTATES = {"40001", "40P01"}
LOCK_TIMEOUT = "55P03"
# PostgreSQL: a statement ran longer than statement_timeout (POINTS_DB_STATEMENT_TIMEOUT), by which
# time its caller has been answered: not redone, answered as busy.
STATEMENT_TIMEOUT = "57014"
# PostgreSQL: admin shutdown, crash shutdown, cannot connect now (starting up or shutting down).
CONNECTION_SQLSTATES = {"57P01", "57P02", "57P03"}
MAX_ATTEMPTS = 5
# The same defaults as the service's settings.
DEFAULT_BATCH_SIZE: int = Settings.model_fields["write_batch_size"].default
DEFAULT_WRITERS: int = Settings.model_fields["writers"].default
DEFAULT_LONG_READERS: int = Settings.model_fields["long_readers"].default
DEFAULT_TIMEOUT: float = Settings.model_fields["db_statement_timeout"].default


class DatabaseBusyError(Exception):
    """The database stayed busy (locked, deadlocked, or its connections lost) through every retry,
    or did not answer in time; nothing was applied."""

    detail = "the database is busy; retry shortly"  # what a client is told (never the driver's message)


class CommitOutcomeUnknownError(DatabaseBusyError):
    """The command may or may not have been committed (its COMMIT was cut off, or it was under way
    when the wait ran out)."""

    detail = (
        "the connection to the database was lost during COMMIT, so the request may or may not have been "
        "applied: repeat it with the same Idempotency-Key to get its outcome"
    )


class ShuttingDownError(DatabaseBusyError):
    detail = "the service is shutting down; retry shortly"


class DatabaseUnreachableError(DatabaseBusyError):
    """No connection could be made (refused, reset, timed out, or the server is starting up)."""

    detail = "the database cannot be reached; retry shortly"


class _CommitLost(Exception):
    """The connection was lost during COMMIT: the batch may or may not have been committed."""


class _Careful(Exception):
    """The batch met a constraint its rules did not foresee: redo it one command at a time."""


class _LockMet(Exception):
    """A batch loaded without waiting (answers held, `_Held`) met a row another transaction holds
    locked: it was rolled back, to begin again once the answers are sent."""


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
    succeed: the database was busy, or the connection failed."""
    if connection_failed(exc) or _sqlstate(exc) in RETRYABLE_SQLSTATES or _sqlstate(exc) == LOCK_TIMEOUT:
        return True
    # SQLite: another process held the write lock for longer than busy_timeout.
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


# A job's life: queued, then taken by a writer (or withdrawn by its caller's timer), then done:
# its outcome is final (committed, or refused) and only its answer may still be on its way.
_QUEUED, _TAKEN, _WITHDRAWN, _DONE = range(4)


@dataclass(eq=False)
class _Job:
    """A caller's command (or read), from its queue to its answer on the caller's event loop."""

    command: Any  # a Command for the writers; for the readers, a function of a connection, or a _Batched
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    # The caller's context (its request id, for the lines logged while the command runs).
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    state: int = _QUEUED
    outcome: tuple[bool, Any] | None = None
    posted: list[Any] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None  # answers the caller when its wait runs out


@dataclass(frozen=True)
class _Batched(Generic[T, R]):
    """A read that may share its statement with others of the same `batch` (`read_batched`)."""

    batch: Callable[[Connection, list[T]], Sequence[R]]
    item: T


@dataclass(frozen=True, slots=True)
class BatchTimes:
    """Where a batch applied in one pass spent its time, in seconds of the wall clock.

    `load`: from BEGIN until its rows are read, waiting for the write lock included (its accounts'
    row locks on PostgreSQL, SQLite's one lock); `apply`: the commands' rules, in memory; `flush`:
    its rows written; `commit`. A long `load` with a short `apply` is a batch that waited for
    another writer (another process on a hot account); a long `flush` or `commit`, the database."""

    load: float
    apply: float
    flush: float
    commit: float


_STOP = object()
READ_BATCH = 16  # the most queued reads a reader thread runs before it hands their answers back


class _ThreadConnections:
    """One connection per thread, kept for the thread's life; a failed one is replaced."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()
        self._all: list[Connection] = []
        self._lock = threading.Lock()

    def get(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                self.discard()
            try:
                conn = self.engine.connect()
            except (DBAPIError, OSError) as exc:
                raise DatabaseUnreachableError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def discard(self) -> None:
        """Drop this thread's connection (after a failure); the next `get` opens another."""
        conn: Connection | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                if conn in self._all:
                    self._all.remove(conn)
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # already broken: nothing to close
                log.debug("closing a failed connection failed", exc_info=True)

    def close_all(self) -> None:
        with self._lock:
            connections, self._all = self._all, []
        for conn in connections:
            try:
                conn.close()
            except Exception:
                log.debug("closing a connection failed", exc_info=True)


class _Threads:
    """The writer or the reader threads: fed by one queue, each with its own connection, started
    with the first job."""

    def __init__(self, engine: Engine, count: int, name: str) -> None:
        self.count = count
        self.name = name
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.connections = _ThreadConnections(engine)
        self._start_lock = threading.Lock()

    def start(self, run: Callable[[_Threads], None]) -> None:
        if len(self.threads) == self.count:
            return
        with self._start_lock:
            while len(self.threads) < self.count:
                thread = threading.Thread(
                    target=run, args=(self,), name=f"{self.name}-{len(self.threads)}", daemon=True
                )
                thread.start()
                self.threads.append(thread)


class Database:
    def __init__(
        self,
        engine: Engine,
        on_commit: Callable[[list[Any]], None] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        writers: int = DEFAULT_WRITERS,
        readers: int | None = None,
        long_readers: int = DEFAULT_LONG_READERS,
        timeout: float = DEFAULT_TIMEOUT,
        hold_answers: bool = False,
    ) -> None:
        """`readers`: the ordinary reads' threads (default: 1 on SQLite, 4 on PostgreSQL, as the
        settings say); `long_readers`: those of the reads that may take long (`read_long`);
        `hold_answers`: PostgreSQL only (`_Held`)."""
        self.is_sqlite = engine.dialect.name == "sqlite"
        if readers is None:
            readers = default_readers(self.is_sqlite)
        if batch_size < 1 or writers < 1 or readers < 1 or long_readers < 1:
            raise ValueError("batch_size, writers, readers and long_readers must be at least 1")
        self.engine = engine
        # Told the ledger entries of every committed transaction (metrics), never before COMMIT.
        self.on_commit = on_commit
        # Told the size of every committed batch, how many times it was redone, and where it spent
        # its time (None for a batch applied carefully, one command at a time) (metrics).
        self.on_batch: Callable[[int, int, BatchTimes | None], None] | None = None
        self.batch_size = batch_size
        # SQLite has one write lock: a second writer would only wait for it.
        self.writers = 1 if self.is_sqlite else writers
        self.readers = readers
        self.long_readers = long_readers
        self.timeout = timeout
        self.catalogue = CatalogueCache()
        self.batches = 0  # transactions committed by the writers (for tests and metrics)
        self.redone = 0  # batches redone after a deadlock, serialization failure, lock timeout or lost connection
        self._writers = _Threads(engine, self.writers, "points-writer")
        self._ordinary = _Threads(engine, readers, "points-reader")
        self._long = _Threads(engine, long_readers, "points-long-reader")
        self._jobs_lock = threading.Lock()  # guards the jobs' states (taken by a writer, or withdrawn)
        # PostgreSQL: a writer holds a batch's answers until its next batch's flush (`_Held`). Not
        # on SQLite, where it was measured to change nothing: its writer is bound by its own CPU.
        self.hold_answers = hold_answers and not self.is_sqlite
        self._closing = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The database the settings describe, with their batch size, writers, readers and timeout."""
        return cls(
            create_engine(settings, connections=settings.connections),
            batch_size=settings.write_batch_size,
            writers=settings.writers,
            readers=settings.reader_threads,
            long_readers=settings.long_readers,
            timeout=settings.db_statement_timeout,
            hold_answers=settings.hold_answers,
        )

    # -- writes ----------------------------------------------------------------------------------

    async def write(self, command: Command[R]) -> R:
        """Apply one command and commit it (with whatever else is queued); only then return.

        A transaction that fails because of concurrency (deadlock, serialization failure, lock
        timeout) or a lost connection is redone whole, a bounded number of times, then
        `DatabaseBusyError`.
        """
        if self._closing:
            raise ShuttingDownError("the service is shutting down")
        job = self._job(command, self._expire_write)
        self._writers.start(self._write_batches)
        self._writers.queue.put(job)
        # A caller that goes away (its task cancelled: a client hanging up) leaves the job to run:
        # it is applied whole or not at all, and nobody is answered.
        return await job.future  # type: ignore[no-any-return]  # the future holds what the command returns

    def _job(self, command: Any, expire: Callable[[_Job], None]) -> _Job:
        loop = asyncio.get_running_loop()
        job = _Job(command, loop.create_future(), loop)
        job.timer = loop.call_later(self.timeout, expire, job)
        return job

    def _expire_write(self, job: _Job) -> None:
        """The wait ran out (on the caller's loop): a command still queued is withdrawn, never to
        be applied; one a writer has taken may still commit; one done is answered with its outcome
        (a writer held its answer, and then waited for the database: `_Held`)."""
        if job.future.done():
            return
        if job.state == _DONE:
            _settle([job])
        elif self._withdraw(job):
            job.future.set_exception(DatabaseBusyError("the database did not answer in time; nothing was applied"))
        else:
            job.future.set_exception(
                CommitOutcomeUnknownError("the database did not answer in time while the request was applied")
            )

    def _withdraw(self, job: _Job) -> bool:
        """Withdraw a job no writer has taken yet (it will never be applied)."""
        with self._jobs_lock:
            if job.state == _QUEUED:
                job.state = _WITHDRAWN
                return True
            return False

    def _take(self, jobs: list[_Job]) -> list[_Job]:
        with self._jobs_lock:
            taken = [job for job in jobs if job.state == _QUEUED]
            for job in taken:
                job.state = _TAKEN
        return taken

    def _write_batches(self, writers: _Threads) -> None:
        stopping = False
        held = _Held()
        while not stopping:
            try:
                first = writers.queue.get_nowait()
            except queue.Empty:  # nothing to write next: answer now, then wait for work
                held.send()
                first = writers.queue.get()
            if first is _STOP:
                break
            jobs, stopping = _more(writers.queue, first, self.batch_size)
            taken = self._take(jobs)
            if taken:
                try:
                    self._commit_batch(taken, held)
                except BaseException as exc:  # a bug: answer the batch with it, and keep writing
                    log.exception("a write batch failed unexpectedly")
                    for job in taken:
                        job.outcome = (False, exc)
                held.send()  # if the batch did not reach its flush
                with self._jobs_lock:
                    for job in taken:
                        job.state = _DONE
                if self.hold_answers and not writers.queue.empty():
                    held.hold(taken)
                else:
                    self._answer(taken)
        held.send()
        writers.connections.discard()

    @staticmethod
    def _answer(jobs: list[_Job]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in jobs:
            by_loop.setdefault(job.loop, []).append(job)
        for loop, answered in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the caller's event loop is closed: nobody is waiting
                loop.call_soon_threadsafe(_settle, answered)

    def _commit_batch(self, jobs: list[_Job], held: _Held) -> None:
        """Apply and commit the batch, redoing it on transient failures; set the outcomes."""
        careful = False
        redone = 0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            for job in jobs:
                job.outcome, job.posted = None, []
            try:
                conn = self._writers.connections.get()
            except DatabaseUnreachableError as exc:  # a restarting server: try again shortly
                if attempt < MAX_ATTEMPTS:
                    self.redone += 1
                    redone += 1
                    time.sleep(0.05 * attempt)
                    continue
                self._fail(jobs, exc)
                return
            try:
                if careful:
                    held.send()
                    changed_catalogue, times = self._apply_carefully(conn, jobs), None
                else:
                    changed_catalogue, times = self._apply(conn, jobs, held)
                break
            except _Careful:
                careful = True
                continue
            except _LockMet:  # rolled back: answer the batch before, then begin again and wait for the lock
                held.send()
                continue
            except _CommitLost as exc:  # not redone: it may have been committed
                unknown = CommitOutcomeUnknownError(str(exc.__cause__))
                unknown.__cause__ = exc.__cause__
                self._fail(jobs, unknown)
                return
            except DBAPIError as exc:
                if connection_failed(exc):
                    self._writers.connections.discard()
                failure = self._failure_or_retry(exc, attempt)
                if failure is None:
                    redone += 1
                    continue
                self._fail(jobs, failure)
                return
            except Exception as exc:  # anything else (a bug in the load or the flush): every command gets it
                self._writers.connections.discard()
                self._fail(jobs, exc)
                return
        else:
            self._fail(jobs, DatabaseBusyError("the batch was redone too many times"))
            return
        self.batches += 1
        if changed_catalogue:
            self.catalogue.invalidate()
        if self.on_batch is not None:
            self.on_batch(len(jobs), redone, times)
        if self.on_commit is not None:
            posted = [entry for job in jobs if job.outcome and job.outcome[0] for entry in job.posted]
            if posted:
                self.on_commit(posted)

    def _failure_or_retry(self, exc: DBAPIError, attempt: int) -> Exception | None:
        """None if the batch is to be done again (after a short pause), else the failure to answer."""
        if _sqlstate(exc) == STATEMENT_TIMEOUT:
            return _busy(exc, "the database did not answer in time")
        if not _is_transient(exc):
            return exc
        if attempt < MAX_ATTEMPTS:
            self.redone += 1
            time.sleep(0.005 * attempt)
            return None
        return _busy(exc, str(exc.orig))

    @staticmethod
    def _fail(jobs: list[_Job], failure: BaseException) -> None:
        for job in jobs:
            job.outcome, job.posted = (False, failure), []

    def _begin(self, conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if self.is_sqlite else "BEGIN")

    def _commit(self, conn: Connection) -> None:
        try:
            conn.exec_driver_sql("COMMIT")
        except DBAPIError as exc:
            if connection_failed(exc):
                self._writers.connections.discard()
                raise _CommitLost from exc
            raise

    def _rollback(self, conn: Connection) -> None:
        if conn.closed or conn.invalidated:
            return
        try:
            conn.exec_driver_sql("ROLLBACK")
        except DBAPIError:
            self._writers.connections.discard()

    def _needs(self, jobs: list[_Job]) -> Needs:
        needs = Needs()
        for job in jobs:
            job.command.needs(needs)
        return needs

    def _apply(self, conn: Connection, jobs: list[_Job], held: _Held) -> tuple[bool, BatchTimes]:
        """The batch in one pass: load, apply, flush, COMMIT. True if the catalogue changed, and
        the time each step took. The answers `held` go out just before the flush."""
        began = time.perf_counter()
        self._begin(conn)
        try:
            needs, postgres = self._needs(jobs), not self.is_sqlite
            try:  # while answers are held, not waiting for a lock another transaction holds
                batch = load(conn, needs, self.catalogue, postgres=postgres, assume_unique=True, wait=not held)
            except DBAPIError as exc:
                if held and _sqlstate(exc) == LOCK_TIMEOUT:
                    raise _LockMet from exc
                raise
            loaded = time.perf_counter()
            refused_refs: set[tuple[str, str]] = set()
            for job in jobs:
                tx = batch.child()
                try:
                    result = job.context.run(job.command.apply, tx)
                except Exception as exc:  # refused (or a bug): it leaves nothing
                    job.outcome = (False, exc)
                    refused_refs |= self._needs([job]).ticket_refs
                    continue
                tx.commit()
                job.outcome, job.posted = (True, result), tx.entries
            # A command refused while its ticket ref was taken as free (say, an open refused for
            # want of points) may be a repeat, whose answer is the 409 naming the ticket: the
            # careful pass reads the refs and gives it.
            if refused_refs and any_ticket_ref_taken(conn, refused_refs):
                raise _Careful
            applied = time.perf_counter()
            held.send()
            try:
                flush(conn, batch)
            except IntegrityError as exc:
                raise _Careful from exc
            except DBAPIError as exc:
                if _sqlstate(exc) == LOCK_TIMEOUT:  # an Idempotency-Key twin held its key too long
                    raise _Careful from exc
                raise
        except BaseException:
            self._rollback(conn)
            raise
        flushed = time.perf_counter()
        self._commit(conn)
        times = BatchTimes(loaded - began, applied - loaded, flushed - applied, time.perf_counter() - flushed)
        return batch.catalogue_changed, times

    def _apply_carefully(self, conn: Connection, jobs: list[_Job]) -> bool:
        """The batch one command at a time, each in a SAVEPOINT with its own load and flush."""
        self._begin(conn)
        changed = False
        try:
            if not self.is_sqlite:  # the batch's locks first, in id order, as in one pass
                load(conn, Needs(accounts=self._needs(jobs).accounts), self.catalogue, postgres=True)
            for job in jobs:
                changed |= self._apply_one(conn, job)
        except BaseException:
            self._rollback(conn)
            raise
        self._commit(conn)
        return changed

    def _apply_one(self, conn: Connection, job: _Job) -> bool:
        needs = Needs()
        job.command.needs(needs)
        for attempt in (1, 2):
            conn.exec_driver_sql("SAVEPOINT command")
            try:
                batch = load(conn, needs, self.catalogue, postgres=not self.is_sqlite)
                tx = batch.child()
                try:
                    result = job.context.run(job.command.apply, tx)
                except Exception as exc:
                    job.outcome = (False, exc)
                    conn.exec_driver_sql("RELEASE SAVEPOINT command")
                    return False
                tx.commit()
                flush(conn, batch)
                conn.exec_driver_sql("RELEASE SAVEPOINT command")
                job.outcome, job.posted = (True, result), tx.entries
                return batch.catalogue_changed
            except IntegrityError as exc:
                # A unique row another transaction created meanwhile: run again, the command sees it
                # and answers as for any repeat (a second violation is a ConflictError).
                conn.exec_driver_sql("ROLLBACK TO SAVEPOINT command")
                if attempt == 2:
                    conflict = ConflictError("the request conflicts with a concurrent change")
                    conflict.__cause__ = exc
                    job.outcome = (False, conflict)
            except DBAPIError as exc:
                if _sqlstate(exc) == LOCK_TIMEOUT and needs.responses:
                    conn.exec_driver_sql("ROLLBACK TO SAVEPOINT command")
                    job.outcome = (False, IdempotencyInProgressError())
                    return False
                raise  # the whole batch is redone (or fails)
        return False

    # -- reads -----------------------------------------------------------------------------------

    async def read(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """`fn(conn, *args, **kwargs)` on a reader thread, in one consistent snapshot."""
        return await self._on_reader(lambda conn: self._in_snapshot(conn, fn, args, kwargs))

    async def read_long(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """`read` for a read that may take long (a report, a verification, an export's chunk, a read as
        of an instant): on the long reads' own threads, so that it never holds up the ordinary reads
        (balances, statements, pages) queued behind it."""
        return await self._on_reader(lambda conn: self._in_snapshot(conn, fn, args, kwargs), self._long)

    async def read_single(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """`fn(conn, *args, **kwargs)` on a reader thread, for a function that sends one statement:
        no BEGIN or COMMIT around it (one statement reads one consistent snapshot on its own)."""
        return await self._on_reader(lambda conn: fn(conn, *args, **kwargs))

    async def read_one(
        self, statement: Executable, params: dict[str, Any] | None = None
    ) -> Sequence[Row[*tuple[Any, ...]]]:
        """The rows of one statement, run without BEGIN or COMMIT around it."""
        return await self._on_reader(lambda conn: conn.execute(statement, params).all())

    async def read_batched(self, batch: Callable[[Connection, list[T]], Sequence[R]], item: T) -> R:
        """`batch(conn, [item])[0]` on a reader thread, for a `batch` that answers several items with
        one statement (no BEGIN or COMMIT around it). A reader that finds reads of the same `batch`
        queued together makes one call for all their items: one statement, one round trip."""
        return await self._on_reader(_Batched(batch, item))

    async def _on_reader(
        self, read: Callable[[Connection], R] | _Batched[Any, R], readers: _Threads | None = None
    ) -> R:
        if self._closing:
            raise ShuttingDownError("the service is shutting down")
        readers = readers or self._ordinary
        job = self._job(read, self._expire_read)
        readers.start(self._read)
        readers.queue.put(job)
        return await job.future  # type: ignore[no-any-return]  # the future holds what the read returns

    def _expire_read(self, job: _Job) -> None:
        if not job.future.done():
            self._withdraw(job)  # a read still queued is never run; one under way changes nothing
            job.future.set_exception(DatabaseBusyError("the database did not answer in time"))

    def _read(self, readers: _Threads) -> None:
        """A reader thread: runs the queued reads a few at a time, and hands their answers back to
        each caller's event loop at once (one wake-up of the loop per handful, not per read)."""
        stopping = False
        while not stopping:
            first = readers.queue.get()
            if first is _STOP:
                break
            jobs, stopping = _more(readers.queue, first, READ_BATCH)
            taken = self._take(jobs)
            batched: dict[Callable[..., Any], list[_Job]] = {}
            for job in taken:
                if isinstance(job.command, _Batched):
                    batched.setdefault(job.command.batch, []).append(job)
                    continue
                try:
                    job.outcome = (True, job.context.run(self._retrying, readers.connections, job.command))
                except BaseException as exc:
                    job.outcome = (False, exc)
            for batch, group in batched.items():
                self._read_together(readers.connections, batch, group)
            self._answer(taken)
        readers.connections.discard()

    def _read_together(
        self, connections: _ThreadConnections, batch: Callable[..., Sequence[Any]], jobs: list[_Job]
    ) -> None:
        """One call of `batch` for the items of `jobs`, in the first one's context (its request id
        is on the lines the call logs). A failure is every job's answer."""
        items = [job.command.item for job in jobs]
        try:
            answers = jobs[0].context.run(self._retrying, connections, lambda conn: batch(conn, items))
            for job, answer in zip(jobs, answers, strict=True):
                job.outcome = (True, answer)
        except BaseException as exc:
            for job in jobs:
                job.outcome = (False, exc)

    def _in_snapshot(self, conn: Connection, fn: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any]) -> R:
        conn.exec_driver_sql("BEGIN" if self.is_sqlite else "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            return fn(conn, *args, **kwargs)
        finally:
            if not (conn.closed or conn.invalidated):
                conn.exec_driver_sql("ROLLBACK")

    @staticmethod
    def _retrying(connections: _ThreadConnections, call: Callable[[Connection], R]) -> R:
        """A read, tried once more on a fresh connection if its connection turns out dead."""
        for attempt in (1, 2):
            try:
                return call(connections.get())
            except DBAPIError as exc:
                if _sqlstate(exc) == STATEMENT_TIMEOUT:
                    raise _busy(exc, "the database did not answer in time") from exc
                if not connection_failed(exc):
                    raise
                connections.discard()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    # -- life ------------------------------------------------------------------------------------

    def open(self) -> None:
        """Accept commands again after `close` (the threads start with the first command). An app's
        lifespan calls it at start-up, so an app served twice in a row (tests) works both times."""
        self._closing = False

    def close(self) -> None:
        """Refuse new commands, let the writers finish the queued ones, close every connection.
        Blocking: call it from a thread (`dispose` does)."""
        self._closing = True
        for threads in (self._writers, self._ordinary, self._long):  # the writers first: their queue drains
            self._stop(threads)
            threads.connections.close_all()
        self.engine.dispose()

    def _stop(self, threads: _Threads) -> None:
        """Stop the threads once they finish what was queued before, then refuse the rest."""
        for _ in threads.threads:
            threads.queue.put(_STOP)
        for thread in threads.threads:
            thread.join()
        threads.threads.clear()
        self._refuse_queued(threads.queue)

    def _refuse_queued(self, jobs: queue.SimpleQueue[Any]) -> None:
        """Anything queued after the threads stopped is refused, never left hanging."""
        while True:
            try:
                job = jobs.get_nowait()
            except queue.Empty:
                return
            if job is not _STOP and self._take([job]):
                job.outcome = (False, ShuttingDownError("the service is shutting down"))
                self._answer([job])

    async def dispose(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)


class _Held:
    """A writer's answers to a batch it committed, held back until its next batch's flush.

    Answering wakes the event loop, which then spends a few milliseconds of the interpreter on those
    responses and on the requests that follow them. Answered at once, that lands on the writer's
    next BEGIN and load, whose round trips take PostgreSQL a fraction of a millisecond: the writer
    waits for the loop, not for the database. Held until just before the next batch's flush (its
    longest wait for PostgreSQL), the loop's work overlaps the database's. docs/performance.md,
    "Answers held until the next flush", has the figures, and what it costs.

    Off by default (`POINTS_HOLD_ANSWERS`): it pays where the process has CPU to spare while its
    writer waits, and cost open_spread 10 % with two processes on this two-core machine. Held only
    while another batch is queued (PostgreSQL only), and never while the writer waits for another
    transaction: the next batch's load does not wait for a lock (`load(wait=False)`), and a batch
    that meets one is rolled back (`_LockMet`), sends the answers, and begins again, waiting for
    it. A caller whose wait runs out meanwhile is answered with its outcome
    (`Database._expire_write`)."""

    __slots__ = ("jobs",)

    def __init__(self) -> None:
        self.jobs: list[_Job] = []

    def __bool__(self) -> bool:
        return bool(self.jobs)

    def hold(self, jobs: list[_Job]) -> None:
        self.send()
        self.jobs = jobs

    def send(self) -> None:
        if self.jobs:
            jobs, self.jobs = self.jobs, []
            Database._answer(jobs)


def _more(jobs: queue.SimpleQueue[Any], first: _Job, most: int) -> tuple[list[_Job], bool]:
    """`first` and what else is queued already, up to `most` jobs; and whether a stop came."""
    taken = [first]
    while len(taken) < most:
        try:
            job = jobs.get_nowait()
        except queue.Empty:
            break
        if job is _STOP:
            return taken, True
        taken.append(job)
    return taken, False


def _busy(exc: DBAPIError, message: str) -> DatabaseBusyError:
    failure = DatabaseBusyError(message)
    failure.__cause__ = exc
    return failure


def _settle(jobs: list[_Job]) -> None:
    for job in jobs:
        if job.timer is not None:
            job.timer.cancel()
        if job.future.done():  # the caller went away, or its wait ran out
            continue
        ok, value = job.outcome  # type: ignore[misc]  # an answered job has its outcome
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)


__all__ = [
    "CommitOutcomeUnknownError",
    "Database",
    "DatabaseBusyError",
    "DatabaseUnreachableError",
    "Scope",
    "ShuttingDownError",
    "connection_failed",
    "is_sqlite",
]
