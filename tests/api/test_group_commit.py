"""The unit of work: batches of commands in one transaction, answered after COMMIT.

Each batch is loaded, applied in memory and flushed with batch-level statements; a command that
fails leaves nothing; a batch whose flush meets an unforeseen constraint is redone one command at
a time; transient failures redo the batch whole; a COMMIT cut off is answered outcome-unknown.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, event, func, select
from sqlalchemy.exc import DBAPIError, OperationalError

from points_service.db import schema as t
from points_service.domain.errors import ConflictError, DomainError
from points_service.services import load as load_module
from points_service.services import uow
from points_service.services.accounts import PutAccount
from points_service.services.context import Context
from points_service.services.grants import AdjustPoints
from points_service.services.state import Needs, Scope
from points_service.services.uow import Database
from points_service.services.verify import verify
from points_service.settings import Settings

from commands import DuplicateKeyName, Gate, ThenFail, until
from conftest import FrozenClock
from pgtools import KILL_OWN_CONNECTION, terminate_backend

CTX = Context(actor="test", role="admin", clock=FrozenClock(), return_grace=timedelta(days=30))


def adjust(account_id: str, points: int, reason: str = "test") -> AdjustPoints:
    return AdjustPoints(ctx=CTX, account_id=account_id, points=points, reason=reason)


def _one_writer(settings: Settings) -> Settings:
    """One writer thread, so that a gate holding it makes the commands queued meanwhile one batch."""
    return settings.model_copy(update={"write_batch_size": 16, "writers": 1})


@pytest.fixture
async def db(settings: Settings) -> Any:
    database = Database.from_settings(_one_writer(settings))
    for account_id in ("a", "b", "c"):
        await database.write(PutAccount(ctx=CTX, account_id=account_id))
    yield database
    report = await database.read(verify)
    assert report.ok, report.disagreements
    await database.dispose()


async def _available(db: Database, account_id: str) -> int:
    rows = await db.read_one(select(t.accounts.c.available).where(t.accounts.c.id == account_id))
    return int(rows[0][0])


async def _entries(db: Database) -> int:
    return int((await db.read_one(select(func.count()).select_from(t.ledger_entries)))[0][0])


async def _queued(db: Database, *commands: Any) -> list[asyncio.Task[Any]]:
    """Queue the commands while a gate holds the writer, so that they form the next batch."""
    gate = Gate()
    held = asyncio.create_task(db.write(gate))
    await until(gate.opened)
    tasks = [asyncio.create_task(db.write(command)) for command in commands]
    await asyncio.sleep(0.05)  # every task has queued its command
    gate.release.set()
    assert await held == "gate"
    return tasks


def _statements(db: Database, prefix: str) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(prefix):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    return seen


async def test_a_failing_command_leaves_nothing_and_the_rest_of_its_batch_commits(db):
    batches = db.batches
    tasks = await _queued(
        db,
        adjust("a", 10, "kept"),
        ThenFail(adjust("b", 1000, "never kept")),
        adjust("c", -5, "overdraw"),  # a domain error
        adjust("b", 20, "kept too"),
    )
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert db.batches == batches + 2, "the gate's batch, then one batch with all four commands"
    assert not isinstance(results[0], BaseException)
    assert isinstance(results[1], RuntimeError)
    assert isinstance(results[2], DomainError)
    assert not isinstance(results[3], BaseException)
    assert await _available(db, "a") == 10
    assert await _available(db, "b") == 20, "the failed command's 1000 points must not be there"
    assert await _available(db, "c") == 0
    assert await _entries(db) == 2


async def test_each_command_sees_the_commands_before_it_in_its_batch(db):
    tasks = await _queued(db, adjust("a", 10), adjust("a", -10), adjust("a", -1))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert not isinstance(results[0], BaseException) and not isinstance(results[1], BaseException)
    assert isinstance(results[2], DomainError), "the write-off before it took every point"
    assert await _available(db, "a") == 0


async def test_a_batch_is_loaded_and_flushed_with_batch_level_statements(db):
    """Eight adjustments on three accounts: one statement loads the accounts with their lots (on
    PostgreSQL, locking them), one writes each table (their `points.granted` events too), whatever
    the number of commands."""
    seen = _statements(db, "")
    tasks = await _queued(db, *(adjust(account, 5) for account in "abcabcab"))
    await asyncio.gather(*tasks)
    batch = seen[seen.index("COMMIT") + 1 :]  # after the gate's batch
    assert batch[0].startswith("BEGIN") and batch[-1] == "COMMIT", batch
    work = batch[1:-1]
    reads = [s for s in work if s.startswith("SELECT")]
    writes = [s.split("(")[0].split(" SET")[0].strip() for s in work if not s.startswith("SELECT")]
    assert len(reads) == 1, reads
    assert sorted(writes) == sorted(
        [
            "INSERT INTO lots",
            "INSERT INTO ledger_entries",
            "INSERT INTO postings",
            "INSERT INTO events",
            "UPDATE accounts",
        ]
    ), writes
    assert [await _available(db, x) for x in "abc"] == [15, 15, 10]


async def test_a_batch_whose_flush_meets_a_conflict_is_redone_one_command_at_a_time(db):
    savepoints = _statements(db, "SAVEPOINT")
    good = await _queued(db, adjust("a", 1, "one"), adjust("b", 2, "two"))
    await asyncio.gather(*good)
    assert savepoints == [], "a batch of good commands needs no savepoint"
    mixed = await _queued(db, adjust("a", 1, "three"), DuplicateKeyName("test-admin"), adjust("c", 3, "four"))
    results = await asyncio.gather(*mixed, return_exceptions=True)
    assert len(savepoints) == 3 + 1, "redone with a savepoint per command (the conflicting one tried twice)"
    assert isinstance(results[1], ConflictError) and not isinstance(results[2], BaseException), results
    assert [await _available(db, x) for x in "abc"] == [2, 2, 3]
    assert await _entries(db) == 4, "each good command applied once, the conflicting one not at all"


async def test_nothing_is_answered_or_visible_before_the_batch_commits(db, monkeypatch):
    """The batch is held after its rows were written, right before its COMMIT: its caller is not
    answered, and a reader (another connection) sees none of it."""
    flushed, release = threading.Event(), threading.Event()
    real = Database._commit

    def commit(self: Database, conn: Connection) -> None:
        flushed.set()
        if not release.wait(30):
            raise TimeoutError("never released")
        real(self, conn)

    monkeypatch.setattr(Database, "_commit", commit)
    adjusted = asyncio.create_task(db.write(adjust("a", 7, "x")))
    await until(flushed)
    rows = await db.read_one(select(t.ledger_entries.c.id).where(t.ledger_entries.c.account_id == "a"))
    assert not adjusted.done(), "answered before COMMIT"
    assert await _available(db, "a") == 0 and rows == [], "a reader saw a write before its COMMIT"
    release.set()
    await adjusted
    assert await _available(db, "a") == 7


def _failing_commit(monkeypatch: pytest.MonkeyPatch, failure: Exception) -> None:
    """The next batch's COMMIT (after the gate's) raises `failure` instead of committing."""
    real = Database._commit
    commits = iter(["the gate's batch", "ours"])

    def commit(self: Database, conn: Connection) -> None:
        if next(commits, None) == "ours":
            conn.exec_driver_sql("ROLLBACK")
            raise failure
        real(self, conn)

    monkeypatch.setattr(Database, "_commit", commit)


async def test_a_failed_commit_answers_every_command_of_the_batch_with_the_failure(db, monkeypatch):
    _failing_commit(monkeypatch, OperationalError("COMMIT", {}, Exception("disk I/O error")))
    tasks = await _queued(db, adjust("a", 10, "lost"), adjust("b", 10, "lost"))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, OperationalError) for r in results), results
    assert (await _available(db, "a"), await _available(db, "b")) == (0, 0)
    assert await _entries(db) == 0


async def test_a_busy_commit_redoes_the_batch_once_and_applies_each_command_once(db, monkeypatch):
    _failing_commit(monkeypatch, OperationalError("COMMIT", {}, Exception("database is locked")))
    tasks = await _queued(db, adjust("a", 10, "once"), adjust("b", 10, "once"))
    await asyncio.gather(*tasks)
    assert (await _available(db, "a"), await _available(db, "b")) == (10, 10)
    assert await _entries(db) == 2


class Meet:
    """Holds its batch (and its locks) until the other replica's batch gets here too, or 1 s."""

    def __init__(self, arrived: threading.Event, other: threading.Event) -> None:
        self.arrived, self.other = arrived, other

    def needs(self, needs: Needs) -> None:
        return None

    def apply(self, tx: Scope) -> None:
        self.arrived.set()
        self.other.wait(1.0)


async def _crossed_batches(settings: Settings, monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[list[Any], int]:
    """Two replicas' batches touch accounts a and b in opposite orders, and wait for each other
    in the middle. Returns every command's outcome and how many batches had to be redone.

    With `monkeypatch`, each batch first locks its accounts one at a time in the order its
    commands name them, a little apart (the negative control)."""
    replicas = [Database.from_settings(_one_writer(settings)) for _ in range(2)]
    if monkeypatch is not None:
        orders = {id(replicas[0].engine): ["a", "b"], id(replicas[1].engine): ["b", "a"]}
        real = uow.load

        def load_in_command_order(conn: Connection, needs: Needs, *args: Any, **kwargs: Any) -> Any:
            if needs.accounts == {"a", "b"}:
                for account in orders[id(conn.engine)]:
                    conn.execute(select(t.accounts.c.id).where(t.accounts.c.id == account).with_for_update())
                    time.sleep(0.3)
            return real(conn, needs, *args, **kwargs)

        monkeypatch.setattr(uow, "load", load_in_command_order)
    try:
        arrived = [threading.Event(), threading.Event()]

        async def batch(i: int) -> list[Any]:
            first, second = ("a", "b") if i == 0 else ("b", "a")
            tasks = await _queued(
                replicas[i],
                adjust(first, 10, f"replica {i}"),
                Meet(arrived[i], arrived[1 - i]),
                adjust(second, 10, f"replica {i}"),
            )
            return await asyncio.gather(*tasks, return_exceptions=True)

        outcomes = await asyncio.gather(batch(0), batch(1))
        return [o for batch_outcomes in outcomes for o in batch_outcomes], sum(r.redone for r in replicas)
    finally:
        for replica in replicas:
            await replica.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_batches_of_two_replicas_lock_accounts_in_one_order_and_never_deadlock(db, settings):
    outcomes, redone = await _crossed_batches(settings)
    assert not [o for o in outcomes if isinstance(o, BaseException)]
    assert redone == 0, "a batch was redone: the replicas deadlocked"
    assert (await _available(db, "a"), await _available(db, "b")) == (20, 20)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_negative_control_batches_locking_in_their_own_order_deadlock(db, settings, monkeypatch):
    """The same batches, each locking its accounts in the order its commands name them: they
    deadlock, PostgreSQL breaks it, and the redone batch still applies everything exactly once."""
    outcomes, redone = await _crossed_batches(settings, monkeypatch)
    assert redone >= 1, "locked in opposite orders, the crossed batches should have deadlocked"
    assert not [o for o in outcomes if isinstance(o, BaseException)]
    assert (await _available(db, "a"), await _available(db, "b")) == (20, 20)


async def test_batches_are_measured(api):
    """`points_write_batch_size` counts every committed batch and its commands, and
    `points_write_batch_seconds` times each step of each batch."""
    from prometheus_client.parser import text_string_to_metric_families

    def batch_metrics(text: str) -> dict[str, float]:
        samples = {}
        for family in text_string_to_metric_families(text):
            if family.name in ("points_write_batch_size", "points_write_batch_seconds"):
                for sample in family.samples:
                    if sample.name.endswith(("_count", "_sum")):
                        samples[sample.name + sample.labels.get("phase", "")] = sample.value
        return samples

    before = batch_metrics((await api.client.get("/metrics")).text)
    await api.account("acme")
    await asyncio.gather(*(api.account(f"acct-{i}") for i in range(5)))
    after = batch_metrics((await api.client.get("/metrics")).text)

    def grew(name: str) -> float:
        return after[name] - before.get(name, 0)

    assert grew("points_write_batch_size_sum") == 6
    batches = grew("points_write_batch_size_count")
    assert 2 <= batches <= 6
    for phase in ("load", "apply", "flush", "commit"):
        assert grew(f"points_write_batch_seconds_count{phase}") == batches, phase
        assert grew(f"points_write_batch_seconds_sum{phase}") > 0, phase


async def test_a_batch_that_waits_for_another_writer_counts_the_wait_in_its_load(db, settings):
    """Another writer (a replica) holds the write lock on account a for 0.3 s: on PostgreSQL the
    account's row lock, on SQLite the file's one write lock. This writer's batch for account a
    waits for it, and that wait is its `load`, not its `apply`, `flush` or `commit`."""
    other = Database.from_settings(_one_writer(settings))
    told: list[tuple[int, int, uow.BatchTimes | None]] = []
    db.on_batch = lambda size, redone, times: told.append((size, redone, times))
    try:
        gate = Gate(locks=("a",))
        held = asyncio.create_task(other.write(gate))
        await until(gate.opened)  # the other writer is inside its transaction, holding the lock
        waiting = asyncio.create_task(db.write(adjust("a", 10, "after the other writer")))
        await asyncio.sleep(0.3)  # its batch has begun, and waits for the lock
        gate.release.set()
        assert await held == "gate"
        await waiting
    finally:
        await other.dispose()
    ((size, redone, times),) = told
    assert (size, redone) == (1, 0) and times is not None
    assert times.load >= 0.25, times
    assert max(times.apply, times.flush, times.commit) < 0.25, times
    assert await _available(db, "a") == 10


def _one_at_a_time(settings: Settings, **update: Any) -> Database:
    """One writer taking one command per batch: a command queued behind another is the next batch."""
    return Database.from_settings(settings.model_copy(update={"write_batch_size": 1, "writers": 1, **update}))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("guard", ["on", "off"])
async def test_postgresql_held_answers_do_not_wait_for_a_lock_the_next_batch_meets(db, settings, monkeypatch, guard):
    """A writer holds a committed batch's answers until its next batch's flush. Here the next batch
    (an adjustment of b) meets b's lock, which another writer (a replica) holds: the answers go out
    first, then the batch waits for the lock. The negative control (`guard` off) loads the next
    batch waiting for its locks, as the careful pass does: the committed adjustment of a is then not
    answered while b stays locked."""
    if guard == "off":
        real_load = uow.load
        monkeypatch.setattr(uow, "load", lambda *args, **kwargs: real_load(*args, **{**kwargs, "wait": True}))
    ours = _one_at_a_time(settings, hold_answers=True)
    other = Database.from_settings(_one_writer(settings))
    try:
        holder = Gate(locks=("b",))
        holding = asyncio.create_task(other.write(holder))
        await until(holder.opened)  # the replica is inside its transaction, holding b's lock
        gate = Gate()
        gated = asyncio.create_task(ours.write(gate))
        await until(gate.opened)
        first = asyncio.create_task(ours.write(adjust("a", 10, "committed first")))
        second = asyncio.create_task(ours.write(adjust("b", 20, "waits for b")))
        await asyncio.sleep(0.05)  # both queued behind the gate: two batches, the second after the first
        gate.release.set()
        done, _ = await asyncio.wait({first}, timeout=2.0)
        if guard == "on":
            assert first in done, "the adjustment of a was committed, but its answer waited for b's lock"
            assert not second.done(), "b is still locked"
        else:
            assert not done, "negative control: the answer waited for the lock"
        holder.release.set()
        await asyncio.gather(holding, gated, first, second)
        assert ours.redone == 0, "meeting the lock is not a batch redone"
    finally:
        await other.dispose()
        await ours.dispose()
    assert [await _available(db, x) for x in "ab"] == [10, 20]


async def test_a_caller_whose_wait_runs_out_while_its_answer_is_held_gets_its_outcome(db, settings):
    """The adjustment commits, and its answer is held while the next batch (a gate) stays open past
    the adjustment's wait (0.5 s). Its caller is answered with what was committed, not with
    `CommitOutcomeUnknownError`. SQLite's writer never holds answers; here both do."""
    ours = _one_at_a_time(settings, db_statement_timeout=0.5)
    ours.hold_answers = True
    try:
        gate, next_gate = Gate(), Gate()
        gated = asyncio.create_task(ours.write(gate))
        await until(gate.opened)
        adjusted = asyncio.create_task(ours.write(adjust("a", 10, "answered late")))
        held_open = asyncio.create_task(ours.write(next_gate))
        await asyncio.sleep(0.05)  # both queued behind the gate: two batches
        gate.release.set()
        await until(next_gate.opened)  # the adjustment committed; its answer waits for this batch's flush
        await asyncio.wait_for(adjusted, 5.0)  # its wait ran out while the gate was open; no exception
        next_gate.release.set()
        outcomes = await asyncio.gather(gated, held_open, return_exceptions=True)
        assert isinstance(outcomes[1], uow.CommitOutcomeUnknownError), "its own wait ran out while it ran"
    finally:
        await ours.dispose()
    assert await _available(db, "a") == 10


def test_answers_are_held_only_when_asked_and_never_on_sqlite(settings):
    """`POINTS_HOLD_ANSWERS` is off by default; on SQLite the writer ignores it."""
    assert Settings.model_fields["hold_answers"].default is False
    for asked in (False, True):
        database = Database.from_settings(settings.model_copy(update={"hold_answers": asked}))
        try:
            assert database.hold_answers is (asked and not database.is_sqlite)
        finally:
            database.close()


def _lose_the_connection_at_flush(monkeypatch: pytest.MonkeyPatch, times: int) -> list[bool]:
    """The database drops the batch's connection (a restart, a failover) as it flushes, `times` times."""
    real = uow.flush
    lost: list[bool] = []

    def flush(conn: Connection, batch: Any) -> None:
        if len(lost) < times and len(batch.entries) == 2:
            lost.append(True)
            conn.execute(KILL_OWN_CONNECTION)
        real(conn, batch)

    monkeypatch.setattr(uow, "flush", flush)
    return lost


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_a_connection_lost_before_commit_redoes_the_batch_on_a_fresh_one(db, monkeypatch):
    """Twice in a row: nothing was committed, so the whole batch is done again, on a new connection."""
    redone = db.redone
    lost = _lose_the_connection_at_flush(monkeypatch, 2)
    tasks = await _queued(db, adjust("a", 10, "once"), adjust("b", 10, "once"))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert len(lost) == 2 and not [r for r in results if isinstance(r, BaseException)], results
    assert db.redone == redone + 2
    assert (await _available(db, "a"), await _available(db, "b")) == (10, 10)
    assert await _entries(db) == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_a_connection_lost_during_commit_is_answered_as_outcome_unknown_and_not_redone(
    db, monkeypatch
):
    real = Connection.exec_driver_sql
    commits = iter(["the gate's batch", "ours"])

    def exec_driver_sql(self: Connection, statement: str, *args: Any, **kwargs: Any) -> Any:
        writer_commit = statement == "COMMIT" and threading.current_thread().name.startswith("points-writer")
        if writer_commit and next(commits, None) == "ours":  # the server ends the session as COMMIT is sent
            terminate_backend(self.connection.dbapi_connection.info.backend_pid)  # type: ignore[union-attr]  # connected: not None
        return real(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "exec_driver_sql", exec_driver_sql)
    redone = db.redone
    tasks = await _queued(db, adjust("a", 10, "unknown"), adjust("b", 10, "unknown"))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, uow.CommitOutcomeUnknownError) for r in results), results
    assert "Idempotency-Key" in results[0].detail and "psycopg" not in results[0].detail
    assert db.redone == redone, "a COMMIT that may have happened must not be done again"
    # Here the connection died before COMMIT reached the server, so nothing was applied.
    assert (await _available(db, "a"), await _available(db, "b")) == (0, 0)
    assert (await db.write(adjust("a", 1, "next"))) is not None
    assert await _available(db, "a") == 1, "the next batch gets a live connection"


async def test_a_batch_that_cannot_connect_while_the_database_restarts_is_redone(db, monkeypatch):
    """A server that refuses connections while it starts up or shuts down: nothing of the batch
    ran, so it is tried again on a new connection."""
    real_get = db._writers.connections.get
    refusals = [uow.DatabaseUnreachableError("connection failed: the database system is starting up")] * 2

    def get() -> Connection:
        if refusals:
            raise refusals.pop()
        return real_get()

    monkeypatch.setattr(db._writers.connections, "get", get)
    redone = db.redone
    assert await db.write(adjust("a", 10, "after the restart")) is not None
    assert db.redone == redone + 2 and not refusals
    assert await _available(db, "a") == 10 and await _entries(db) == 1


async def test_a_commit_the_shutting_down_database_fails_is_answered_as_outcome_unknown_and_not_redone(db, monkeypatch):
    """A COMMIT answered "terminating connection due to administrator command" (57P01) may or may
    not have been applied: never redone, answered outcome-unknown (then 503)."""
    real = Connection.exec_driver_sql
    commits = iter(["the gate's batch", "ours"])

    def exec_driver_sql(self: Connection, statement: str, *args: Any, **kwargs: Any) -> Any:
        writer_commit = statement == "COMMIT" and threading.current_thread().name.startswith("points-writer")
        if writer_commit and next(commits, None) == "ours":
            real(self, "ROLLBACK")  # here it was not applied; the point is that nobody can tell
            shutdown = psycopg.errors.AdminShutdown("terminating connection due to administrator command")
            raise DBAPIError("COMMIT", None, shutdown)
        return real(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "exec_driver_sql", exec_driver_sql)
    redone = db.redone
    tasks = await _queued(db, adjust("a", 10, "unknown"))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, uow.CommitOutcomeUnknownError) for r in results), results
    assert db.redone == redone, "a COMMIT that may have happened must not be done again"
    assert await _available(db, "a") == 0


def test_uow_classifies_what_a_restart_looks_like() -> None:
    """57P01–57P03 and class 08 are connection failures; a constraint is not."""

    def wrapped(exc: Exception) -> DBAPIError:
        return DBAPIError("SELECT 1", None, exc)

    assert uow.connection_failed(wrapped(psycopg.errors.AdminShutdown("terminating connection")))
    assert uow.connection_failed(wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")))
    assert not uow.connection_failed(wrapped(psycopg.errors.UniqueViolation("duplicate key")))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("guard", ["on", "off"])
async def test_postgresql_a_batch_that_waited_for_a_lock_reads_the_lots_the_holder_committed(
    db, settings, monkeypatch, guard
):
    """Replica 1 holds account a's lock while it grants 10 points (a new lot); replica 2's write-off
    of those 10 waits for the lock. Its statement's snapshot predates the grant, so without reading
    the lots again (`guard` off: the negative control) it would find none and refuse."""
    if guard == "off":
        monkeypatch.setattr(load_module, "changed_since_snapshot", lambda **_: False)
    other = Database.from_settings(_one_writer(settings))
    try:
        gate = Gate(locks=("a",))
        granted = asyncio.create_task(db.write(adjust("a", 10, "grant")))
        held = asyncio.create_task(db.write(gate))
        await until(gate.opened)  # the grant is applied in memory; account a is locked
        written_off = asyncio.create_task(other.write(adjust("a", -10, "write-off")))
        await asyncio.sleep(0.3)  # its statement has begun, and waits for a's lock
        gate.release.set()
        await asyncio.gather(granted, held)
        outcome = (await asyncio.gather(written_off, return_exceptions=True))[0]
    finally:
        await other.dispose()
    if guard == "on":
        assert not isinstance(outcome, BaseException), outcome
        assert await _available(db, "a") == 0
    else:
        assert isinstance(outcome, DomainError), "with the lots of the old snapshot, nothing was there to write off"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_a_revocation_that_moves_no_point_still_writes_its_account(db, settings):
    """A lot whose points are all held by a ticket is revoked (nothing moves, the lot is marked) while
    replica 2 refunds that ticket, waiting for the lock: the points it gives back must be revoked
    again at once, so replica 2 must see the mark, which it does only because the revocation wrote
    the account's row too (`AccountWriter.touch`)."""
    from points_service.services.grants import Purchase
    from points_service.services.revocation import RevokeLot
    from points_service.services.tickets import OpenTicket, RefundTicket

    purchase = await db.write(Purchase(ctx=CTX, account_id="a", plan="points-60", payment_id="pay-touch"))
    ticket = await db.write(
        OpenTicket(ctx=CTX, account_id="a", external_ref="T-touch", category="other", estimated_points=60)
    )
    other = Database.from_settings(_one_writer(settings))
    try:
        gate = Gate(locks=("a",))
        revoked = asyncio.create_task(
            db.write(RevokeLot(ctx=CTX, account_id="a", lot_id=purchase.lot.id, reason="refund"))
        )
        held = asyncio.create_task(db.write(gate))
        await until(gate.opened)
        refunded = asyncio.create_task(
            other.write(RefundTicket(ctx=CTX, account_id="a", ticket_id=ticket.ticket.id, reason="software_bug"))
        )
        await asyncio.sleep(0.3)
        gate.release.set()
        await asyncio.gather(revoked, held)
        detail = await refunded
    finally:
        await other.dispose()
    assert detail.ticket.forfeited_points == 60, "the points went back to a revoked lot: revoked again at once"
    assert await _available(db, "a") == 0
