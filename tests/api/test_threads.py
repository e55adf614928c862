"""The threads that reach the database: writers and readers, their bounds, their waits, shutdown.

No database call runs on the event loop: writes go to writer threads through a queue, reads to a
bounded pool of reader threads. These tests pin what that promises a caller.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import select

from points_service.app import create_app
from points_service.db import schema as t
from points_service.services.accounts import PutAccount
from points_service.services.context import Context
from points_service.services.grants import AdjustPoints
from points_service.services.uow import CommitOutcomeUnknownError, Database, DatabaseBusyError, ShuttingDownError
from points_service.settings import Settings

from commands import Gate, HeldRead, until
from conftest import Api, FrozenClock
from pgtools import PG_URL, libpq_dsn
from testkeys import TEST_KEYS

CTX = Context(actor="test", role="admin", clock=FrozenClock(), return_grace=timedelta(days=30))


def adjust(account_id: str, points: int) -> AdjustPoints:
    return AdjustPoints(ctx=CTX, account_id=account_id, points=points, reason="test")


async def _available(db: Database, account_id: str) -> int:
    rows = await db.read_one(select(t.accounts.c.available).where(t.accounts.c.id == account_id))
    return int(rows[0][0])


@pytest.fixture
async def db(settings: Settings) -> Any:
    database = Database.from_settings(settings.model_copy(update={"writers": 1}))
    await database.write(PutAccount(ctx=CTX, account_id="a"))
    yield database
    await database.dispose()


class TestBoundedWaits:
    async def test_a_command_still_queued_when_the_wait_runs_out_is_withdrawn_and_never_applied(self, db):
        gate = Gate()
        held = asyncio.create_task(db.write(gate))
        await until(gate.opened)
        db.timeout = 0.3
        with pytest.raises(DatabaseBusyError) as caught:
            await db.write(adjust("a", 10))  # queued behind the gate's batch
        assert not isinstance(caught.value, CommitOutcomeUnknownError), "it never left the queue"
        db.timeout = 10
        gate.release.set()
        await held
        await db.write(adjust("a", 1))  # the writer has passed the withdrawn command by
        assert await _available(db, "a") == 1, "a withdrawn command was applied"

    async def test_a_command_under_way_when_the_wait_runs_out_is_answered_outcome_unknown(self, db):
        first = Gate()
        held = asyncio.create_task(db.write(first))
        await until(first.opened)
        second = Gate()
        db.timeout = 0.5  # for the next two writes, which read it as they start
        adjusted = asyncio.create_task(db.write(adjust("a", 10)))  # in the same batch as the second gate
        held2 = asyncio.create_task(db.write(second))
        await asyncio.sleep(0.05)
        db.timeout = 10
        first.release.set()
        await until(second.opened)  # the adjustment is applied in memory; its batch is held open
        with pytest.raises(CommitOutcomeUnknownError):
            await adjusted
        second.release.set()
        await asyncio.gather(held, held2, return_exceptions=True)
        await db.write(adjust("a", 1))  # queued behind that batch: it has committed by now
        assert await _available(db, "a") == 11, "it was under way: it committed after all"


class TestClientsThatGoAway:
    async def test_a_caller_cancelled_while_its_command_is_applied_gets_it_applied_whole(self, api: Api):
        """The request's task is cancelled (its client hung up) while a writer holds its command:
        the command commits whole, its ticket with every row that goes with it."""
        await api.account()
        await api.buy()
        gate = Gate(locks=("acme",))  # holds the account's lock (PostgreSQL) or the only writer (SQLite)
        held = asyncio.create_task(api.db.write(gate))
        await until(gate.opened)
        body = {"external_ref": "T-gone", "category": "store-problem"}
        request = asyncio.create_task(api.post("/v1/accounts/acme/tickets", body, role="helpdesk"))
        await asyncio.sleep(0.1)  # queued behind the gate, or waiting for its lock
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        gate.release.set()
        await held
        for _ in range(100):  # the writer applies it after its caller left
            tickets = (await api.get("/v1/accounts/acme/tickets", params={"external_ref": "T-gone"})).json()["items"]
            if tickets:
                break
            await asyncio.sleep(0.02)
        assert [t["captured_points"] for t in tickets] == [25]
        assert (await api.balance())["held"] == 25  # and `api`'s teardown verifies the ledger


class TestShutdown:
    async def test_shutdown_answers_every_queued_command_and_then_refuses(self, settings):
        db = Database.from_settings(settings.model_copy(update={"writers": 1, "write_batch_size": 4}))
        await db.write(PutAccount(ctx=CTX, account_id="a"))
        gate = Gate()
        held = asyncio.create_task(db.write(gate))
        await until(gate.opened)
        queued = [asyncio.create_task(db.write(adjust("a", 1))) for _ in range(10)]
        await asyncio.sleep(0.05)
        closing = asyncio.create_task(db.dispose())
        await asyncio.sleep(0.05)
        with pytest.raises(ShuttingDownError):
            await db.write(adjust("a", 1))  # after shutdown began: refused at once
        gate.release.set()
        await closing
        results = await asyncio.gather(held, *queued, return_exceptions=True)
        assert not [r for r in results if isinstance(r, BaseException)], results
        reopened = Database.from_settings(settings)
        try:
            assert await _available(reopened, "a") == 10, "every command queued before shutdown was applied"
        finally:
            await reopened.dispose()

    def test_an_app_served_again_after_its_shutdown_works_again(self, settings):
        """A lifespan that runs twice on one app (a test client used twice, schemathesis ending
        each test's lifespan before the fixtures' teardown) opens the database again."""
        from fastapi.testclient import TestClient

        app = create_app(settings, clock=FrozenClock())
        headers = {"Authorization": f"Bearer {TEST_KEYS['admin']}"}
        with TestClient(app) as client:
            assert client.put("/v1/accounts/a", json={}, headers=headers).status_code in (200, 201)
        for points in (3, 4):
            with TestClient(app) as client:
                response = client.post(
                    "/v1/accounts/a/adjustments", json={"points": points, "reason": "x"}, headers=headers
                )
                assert response.status_code == 201, response.text
        with TestClient(app) as client:
            assert client.get("/v1/accounts/a/balance", headers=headers).json()["available"] == 7


class TestBoundedPools:
    async def test_a_flood_of_reads_uses_the_reader_threads_and_their_connections_only(self, api: Api, settings):
        await api.account()
        before = threading.active_count()
        responses = await asyncio.gather(*(api.get("/v1/accounts/acme/balance") for _ in range(300)))
        assert {r.status_code for r in responses} == {200}
        readers = [th for th in threading.enumerate() if th.name.startswith("points-reader")]
        assert 1 <= len(readers) <= settings.reader_threads
        assert threading.active_count() <= before + settings.reader_threads
        assert len(api.db._ordinary.connections._all) <= settings.reader_threads
        if not api.db.is_sqlite:
            database = api.db.engine.url.database
            with psycopg.connect(libpq_dsn(PG_URL or "", "postgres"), autocommit=True) as conn:
                row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)).fetchone()
            assert row is not None and row[0] <= settings.connections, row


class TestOldUrls:
    async def test_an_old_async_driver_url_still_serves_with_a_warning(self, settings, caplog):
        url = settings.database_url
        old = url.replace("sqlite://", "sqlite+aiosqlite://").replace("postgresql+psycopg://", "postgresql+asyncpg://")
        assert old != url
        with caplog.at_level(logging.WARNING, logger="points_service.db"):
            app = create_app(settings.model_copy(update={"database_url": old}))
        assert any("no longer uses" in r.getMessage() for r in caplog.records), caplog.records
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            headers = {"Authorization": f"Bearer {TEST_KEYS['admin']}"}
            assert (await client.put("/v1/accounts/old-url", json={}, headers=headers)).status_code == 201
            r = await client.get("/v1/accounts/old-url/balance", headers=headers)
            assert r.status_code == 200, r.text
        await app.state.db.dispose()


def test_no_database_call_runs_on_the_event_loop(tmp_path: Path, keyed_template_db: Path) -> None:
    """Every statement of a scripted session runs on a writer or reader thread."""
    import shutil

    from sqlalchemy import event

    from conftest import FrozenClock as Clock

    path = tmp_path / "points.db"
    shutil.copy(keyed_template_db, path)
    settings = Settings(database_url=f"sqlite:///{path}", auth_cache_seconds=0, sqlite_synchronous="NORMAL")
    app = create_app(settings, clock=Clock())
    threads: set[str] = set()
    event.listen(app.state.db.engine, "before_cursor_execute", lambda *_: threads.add(threading.current_thread().name))

    async def session() -> None:
        headers = {"Authorization": f"Bearer {TEST_KEYS['admin']}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            assert (await client.put("/v1/accounts/acme", json={}, headers=headers)).status_code == 201
            await client.post("/v1/accounts/acme/adjustments", json={"points": 50, "reason": "r"}, headers=headers)
            await client.post(
                "/v1/accounts/acme/tickets", json={"external_ref": "T", "category": "consultation"}, headers=headers
            )
            for path_ in ("", "/balance", "/statement", "/ledger", "/lots", "/tickets"):
                assert (await client.get(f"/v1/accounts/acme{path_}", headers=headers)).status_code == 200
        await app.state.db.dispose()

    asyncio.run(session())
    assert threads and all(name.startswith(("points-writer", "points-reader")) for name in threads), threads


class TestLongReads:
    """Reads that may take long (`Database.read_long`: reports, verification, exports, reads as of an
    instant) run on threads of their own: an ordinary read never queues behind one, even with a
    single ordinary reader (SQLite's default)."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        # One thread in each lane, and API keys cached: a request's only read is its own.
        return settings.model_copy(update={"readers": 1, "long_readers": 1, "auth_cache_seconds": 600})

    async def test_an_ordinary_read_is_answered_while_a_long_read_holds_its_thread(self, db):
        held = HeldRead()
        long_read = asyncio.create_task(db.read_long(held))
        await until(held.started)
        assert await asyncio.wait_for(_available(db, "a"), 10) == 0
        held.release.set()
        assert await long_read == "held"

    async def test_negative_control_in_one_lane_the_ordinary_read_waits(self, db):
        """The same reads with the long one on the ordinary readers: the balance waits behind it."""
        db._long = db._ordinary
        held = HeldRead()
        long_read = asyncio.create_task(db.read_long(held))
        await until(held.started)
        waiting = asyncio.create_task(_available(db, "a"))
        done, _ = await asyncio.wait({waiting}, timeout=0.5)
        assert not done, "the only ordinary reader is held: nothing else can be read"
        held.release.set()
        assert await long_read == "held"
        assert await waiting == 0

    @pytest.mark.parametrize(
        "path",
        [
            "/v1/admin/verify",
            "/v1/reports/finance?from=2026-01-01T00:00:00Z&to=2026-01-15T00:00:00Z",
            "/v1/accounts/acme/statement?as_of=2026-01-15T12:00:00Z",
        ],
    )
    async def test_reports_and_verification_run_beside_a_held_ordinary_reader(self, api: Api, path: str):
        await api.account()
        # The key and the account are known now (cached): the request's one read is its own.
        assert (await api.get("/v1/accounts/acme/statement")).status_code == 200
        held = HeldRead()
        holding = asyncio.create_task(api.db.read_single(held))
        await until(held.started)
        try:
            response = await asyncio.wait_for(api.get(path), 10)
            assert response.status_code == 200, response.text
        finally:
            held.release.set()
        assert await holding == "held"

    async def test_the_long_reads_threads_and_connections_are_bounded_and_stop_at_shutdown(self, settings):
        db = Database.from_settings(settings.model_copy(update={"long_readers": 2}))
        before = threading.active_count()
        answers = await asyncio.gather(
            *(db.read_long(lambda conn: conn.exec_driver_sql("SELECT 1").scalar()) for _ in range(50))
        )
        assert answers == [1] * 50
        long_readers = [th for th in threading.enumerate() if th.name.startswith("points-long-reader")]
        assert 1 <= len(long_readers) <= 2
        assert threading.active_count() <= before + 2
        assert len(db._long.connections._all) <= 2
        await db.dispose()
        assert not [th for th in long_readers if th.is_alive()]
        with pytest.raises(ShuttingDownError):
            await db.read_long(lambda conn: 1)
