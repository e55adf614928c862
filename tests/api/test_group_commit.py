"""Group commit: several commands per transaction, each in a savepoint, answered after COMMIT."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError, OperationalError

from points_service.db.engine import create_engine
from points_service.db.models import Account, LedgerEntry
from points_service.domain.errors import DomainError
from points_service.services import uow
from points_service.services.accounts import put_account
from points_service.services.context import Context
from points_service.services.grants import adjust_points
from points_service.services.uow import Database
from points_service.services.verify import verify
from points_service.settings import Settings

from conftest import FrozenClock
from pgtools import KILL_OWN_CONNECTION

CTX = Context(actor="test", role="admin", clock=FrozenClock(), return_grace=timedelta(days=30))


@pytest.fixture
async def db(settings: Settings) -> Any:
    database = Database(create_engine(settings), batch_size=16)
    for account_id in ("a", "b", "c"):
        await database.write(put_account, CTX, account_id=account_id)
    yield database
    async with database.snapshot() as session:
        report = await verify(session)
    assert report.ok, report.disagreements
    await database.dispose()


async def _gate(_session: Any, opened: asyncio.Event, release: asyncio.Event) -> str:
    """A command that holds its batch open until the test releases it."""
    opened.set()
    await release.wait()
    return "gate"


async def _adjust_then_fail(session: Any, ctx: Context, *, account_id: str) -> None:
    await adjust_points(session, ctx, account_id=account_id, points=1000, reason="never kept")
    raise RuntimeError("the command fails after writing")


async def _available(db: Database, account_id: str) -> int:
    async with db.snapshot() as session:
        return await session.scalar(select(Account.available).where(Account.id == account_id))


async def _entries(db: Database) -> int:
    async with db.snapshot() as session:
        return await session.scalar(select(func.count()).select_from(LedgerEntry))


async def _queued(db: Database, *calls: Any) -> list[asyncio.Task[Any]]:
    """Start the calls while a gate holds the writer, so that they form the next batch."""
    opened, release = asyncio.Event(), asyncio.Event()
    gate = asyncio.create_task(db.write(_gate, opened, release))
    await opened.wait()
    tasks = [asyncio.create_task(db.write(*call[:-1], **call[-1])) for call in calls]
    await asyncio.sleep(0)  # every task has queued its command
    release.set()
    assert await gate == "gate"
    return tasks


async def test_a_failing_command_is_rolled_back_alone_and_the_rest_of_its_batch_commits(db):
    batches = db.batches
    tasks = await _queued(
        db,
        (adjust_points, CTX, {"account_id": "a", "points": 10, "reason": "kept"}),
        (_adjust_then_fail, CTX, {"account_id": "b"}),
        (adjust_points, CTX, {"account_id": "c", "points": -5, "reason": "overdraw"}),  # a domain error
        (adjust_points, CTX, {"account_id": "b", "points": 20, "reason": "kept too"}),
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


def _count_savepoints(db: Database) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("SAVEPOINT"):
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    return seen


async def test_a_batch_is_tried_without_savepoints_and_redone_with_them_when_a_command_fails(db):
    savepoints = _count_savepoints(db)
    good = await _queued(
        db,
        (adjust_points, CTX, {"account_id": "a", "points": 1, "reason": "one"}),
        (adjust_points, CTX, {"account_id": "b", "points": 2, "reason": "two"}),
    )
    await asyncio.gather(*good)
    assert savepoints == [], "a batch of good commands needs no savepoint"
    mixed = await _queued(
        db,
        (adjust_points, CTX, {"account_id": "a", "points": 1, "reason": "three"}),
        (_adjust_then_fail, CTX, {"account_id": "b"}),
        (adjust_points, CTX, {"account_id": "c", "points": 3, "reason": "four"}),
    )
    results = await asyncio.gather(*mixed, return_exceptions=True)
    assert len(savepoints) == 3, "redone with a savepoint per command"
    assert isinstance(results[1], RuntimeError) and not isinstance(results[2], BaseException)
    assert [await _available(db, x) for x in "abc"] == [2, 2, 3]
    assert await _entries(db) == 4, "each good command applied once, the failed one not at all"


async def test_nothing_is_answered_before_the_batch_commits(db):
    opened, release = asyncio.Event(), asyncio.Event()
    gate = asyncio.create_task(db.write(_gate, opened, release))
    await opened.wait()
    # The next batch: an adjustment, then a second gate that holds that batch open.
    opened2, release2 = asyncio.Event(), asyncio.Event()
    adjusted = asyncio.create_task(db.write(adjust_points, CTX, account_id="a", points=7, reason="x"))
    gate2 = asyncio.create_task(db.write(_gate, opened2, release2))
    await asyncio.sleep(0)
    release.set()
    await gate
    await opened2.wait()  # the adjustment ran in this batch; its transaction is still open
    await asyncio.sleep(0.05)
    assert not adjusted.done(), "answered before COMMIT"
    assert await _available(db, "a") == 0, "visible before COMMIT"
    release2.set()
    await asyncio.gather(adjusted, gate2)
    assert await _available(db, "a") == 7


async def test_a_failed_commit_answers_every_command_of_the_batch_with_the_failure(db, monkeypatch):
    real_commit = uow.AsyncSession.commit
    failures = iter([None, OperationalError("COMMIT", {}, Exception("disk I/O error"))])  # the gate's batch, then ours

    async def commit(self: Any) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        await real_commit(self)

    monkeypatch.setattr(uow.AsyncSession, "commit", commit)
    tasks = await _queued(
        db,
        (adjust_points, CTX, {"account_id": "a", "points": 10, "reason": "lost"}),
        (adjust_points, CTX, {"account_id": "b", "points": 10, "reason": "lost"}),
    )
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, OperationalError) for r in results), results
    assert (await _available(db, "a"), await _available(db, "b")) == (0, 0)
    assert await _entries(db) == 0


async def test_a_busy_commit_redoes_the_batch_once_and_applies_each_command_once(db, monkeypatch):
    real_commit = uow.AsyncSession.commit
    busy = OperationalError("COMMIT", {}, Exception("database is locked"))
    failures = iter([None, busy])  # the gate's batch, then ours

    async def commit(self: Any) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        await real_commit(self)

    monkeypatch.setattr(uow.AsyncSession, "commit", commit)
    tasks = await _queued(
        db,
        (adjust_points, CTX, {"account_id": "a", "points": 10, "reason": "once"}),
        (adjust_points, CTX, {"account_id": "b", "points": 10, "reason": "once"}),
    )
    await asyncio.gather(*tasks)
    assert (await _available(db, "a"), await _available(db, "b")) == (10, 10)
    assert await _entries(db) == 2


async def _meet(_session: Any, arrived: asyncio.Event, other: asyncio.Event) -> None:
    """Hold the batch (and its locks) until the other replica's batch gets here too, or 1 s."""
    arrived.set()
    try:
        await asyncio.wait_for(other.wait(), timeout=1.0)
    except TimeoutError:
        pass


async def _crossed_batches(settings: Settings) -> tuple[list[Any], int]:
    """Two replicas' batches touch accounts a and b in opposite orders, and wait for each other
    in the middle. Returns every command's outcome and how many batches had to be redone."""
    replicas = [Database(create_engine(settings), batch_size=16) for _ in range(2)]
    try:
        arrived = [asyncio.Event(), asyncio.Event()]

        async def batch(i: int) -> list[Any]:
            first, second = ("a", "b") if i == 0 else ("b", "a")
            tasks = await _queued(
                replicas[i],
                (adjust_points, CTX, {"account_id": first, "points": 10, "reason": f"replica {i}"}),
                (_meet, arrived[i], arrived[1 - i], {}),
                (adjust_points, CTX, {"account_id": second, "points": 10, "reason": f"replica {i}"}),
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
async def test_postgresql_negative_control_without_the_up_front_locks_the_batches_deadlock(db, settings, monkeypatch):
    async def no_up_front_locks(_session: Any, _batch: Any) -> None:
        return None

    monkeypatch.setattr(uow, "_lock_accounts", no_up_front_locks)
    outcomes, redone = await _crossed_batches(settings)
    assert redone >= 1, "without the sorted locks the crossed batches should have deadlocked"
    # PostgreSQL broke the deadlock, and the redone batch applied everything exactly once.
    assert not [o for o in outcomes if isinstance(o, BaseException)]
    assert (await _available(db, "a"), await _available(db, "b")) == (20, 20)


async def test_batches_are_measured(api):
    """`points_write_batch_size` counts every committed batch and its commands."""
    from prometheus_client.parser import text_string_to_metric_families

    def batch_metrics(text: str) -> dict[str, float]:
        samples = {}
        for family in text_string_to_metric_families(text):
            if family.name == "points_write_batch_size":
                samples.update({s.name: s.value for s in family.samples if s.name.endswith(("_count", "_sum"))})
        return samples

    before = batch_metrics((await api.client.get("/metrics")).text)
    await api.account("acme")
    await asyncio.gather(*(api.account(f"acct-{i}") for i in range(5)))
    after = batch_metrics((await api.client.get("/metrics")).text)
    assert after["points_write_batch_size_sum"] - before.get("points_write_batch_size_sum", 0) == 6
    assert 2 <= after["points_write_batch_size_count"] - before.get("points_write_batch_size_count", 0) <= 6


async def _lose_the_connection(session: Any, lost: list[bool], times: int) -> str:
    """The database drops this batch's connection (a restart, a failover) the first `times` times."""
    if len(lost) < times:
        lost.append(True)
        await session.execute(KILL_OWN_CONNECTION)
    return "survived"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_a_connection_lost_before_commit_redoes_the_batch_on_a_fresh_one(db):
    """Twice in a row: a lost connection must not be taken for the command's own failure (which
    would redo the batch with savepoints, and lose the connection under them once more)."""
    redone, lost = db.redone, []
    tasks = await _queued(
        db,
        (adjust_points, CTX, {"account_id": "a", "points": 10, "reason": "once"}),
        (_lose_the_connection, lost, 2, {}),
        (adjust_points, CTX, {"account_id": "b", "points": 10, "reason": "once"}),
    )
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert len(lost) == 2 and not [r for r in results if isinstance(r, BaseException)], results
    assert db.redone == redone + 2, "nothing was committed, so the whole batch is done again, twice"
    assert (await _available(db, "a"), await _available(db, "b")) == (10, 10)
    assert await _entries(db) == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_a_connection_lost_during_commit_is_answered_as_outcome_unknown_and_not_redone(
    db, monkeypatch
):
    real_commit = uow.AsyncSession.commit
    commits = iter(["the gate's batch", "ours"])

    async def commit(self: Any) -> None:
        if next(commits, None) == "ours":
            await self.execute(KILL_OWN_CONNECTION)  # the connection dies as COMMIT is sent
        await real_commit(self)

    monkeypatch.setattr(uow.AsyncSession, "commit", commit)
    redone = db.redone
    tasks = await _queued(
        db,
        (adjust_points, CTX, {"account_id": "a", "points": 10, "reason": "unknown"}),
        (adjust_points, CTX, {"account_id": "b", "points": 10, "reason": "unknown"}),
    )
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, uow.CommitOutcomeUnknownError) for r in results), results
    assert "Idempotency-Key" in results[0].detail and "asyncpg" not in results[0].detail
    assert db.redone == redone, "a COMMIT that may have happened must not be done again"
    # Here the connection died before COMMIT reached the server, so nothing was applied.
    assert (await _available(db, "a"), await _available(db, "b")) == (0, 0)
    assert (await db.write(adjust_points, CTX, account_id="a", points=1, reason="next")) is not None
    assert await _available(db, "a") == 1, "the next batch gets a live connection"


def _server_error(error: type[Exception], message: str) -> DBAPIError:
    """What SQLAlchemy raises for an asyncpg server error (its SQLSTATE on `orig`)."""
    return DBAPIError("(connect)", None, error(message))


async def test_a_batch_that_cannot_connect_while_the_database_restarts_is_redone_on_a_fresh_connection(db, monkeypatch):
    """PostgreSQL refuses connections while it starts up or shuts down (SQLSTATE 57P03): nothing of
    the batch ran, so it is redone, like a batch whose connection was lost before COMMIT."""
    real_connection = uow.AsyncSession.connection
    refusals = [_server_error(asyncpg.CannotConnectNowError, "the database system is starting up")] * 2

    async def connection(self: Any, *args: Any, **kwargs: Any) -> Any:
        if refusals:
            raise refusals.pop()
        return await real_connection(self, *args, **kwargs)

    monkeypatch.setattr(uow.AsyncSession, "connection", connection)
    redone = db.redone
    assert await db.write(adjust_points, CTX, account_id="a", points=10, reason="after the restart") is not None
    assert db.redone == redone + 2 and not refusals
    assert await _available(db, "a") == 10 and await _entries(db) == 1


async def test_a_commit_the_shutting_down_database_fails_is_answered_as_outcome_unknown_and_not_redone(db, monkeypatch):
    """A COMMIT answered "terminating connection due to administrator command" (57P01) may or may
    not have been applied: never redone, answered outcome-unknown (then 503)."""
    real_commit = uow.AsyncSession.commit
    commits = iter(["the gate's batch", "ours"])

    async def commit(self: Any) -> None:
        if next(commits, None) == "ours":
            await self.rollback()  # here it was not applied; the point is that nobody can tell
            raise _server_error(asyncpg.AdminShutdownError, "terminating connection due to administrator command")
        await real_commit(self)

    monkeypatch.setattr(uow.AsyncSession, "commit", commit)
    redone = db.redone
    tasks = await _queued(db, (adjust_points, CTX, {"account_id": "a", "points": 10, "reason": "unknown"}))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, uow.CommitOutcomeUnknownError) for r in results), results
    assert db.redone == redone, "a COMMIT that may have happened must not be done again"
    assert await _available(db, "a") == 0
