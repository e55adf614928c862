"""Reads that share one statement (`Database.read_batched`): balances queued together.

A reader thread that finds several balance reads queued at once answers them with one statement
(`WHERE id IN (…)`) instead of one each. These tests hold the only reader on a read of their own,
queue reads behind it, then let it go, so the reads are queued together by construction, not by
the scheduler's luck. They pin that every caller gets its own answer (its own account, its own
horizon, its own 404), that reads of different kinds keep their own calls, and that a failure of
the shared statement is every caller's answer and no one's hang.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select, text

from points_service.db import schema as t
from points_service.services import queries
from points_service.services.uow import Database
from points_service.settings import Settings

from commands import HeldRead, until
from conftest import Api, statements_sent


class HeldReader:
    """Holds a database's reader thread on a read of its own until `release`."""

    def __init__(self, db: Database) -> None:
        assert db.readers == 1, "holding the only reader is what queues the reads together"
        self.db = db
        self.held = HeldRead()

    async def __aenter__(self) -> HeldReader:
        self.task = asyncio.create_task(self.db.read_single(self.held))
        await until(self.held.started)
        return self

    async def queued(self, count: int) -> None:
        """Wait until `count` reads wait behind the held one."""
        deadline = asyncio.get_running_loop().time() + 10
        while self.db._ordinary.queue.qsize() < count:
            assert asyncio.get_running_loop().time() < deadline, "the reads were never queued"
            await asyncio.sleep(0.005)

    async def __aexit__(self, *exc: object) -> None:
        self.held.release.set()
        assert await self.task == "held"


async def behind_held_reader(db: Database, reads: Sequence[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Queue `reads` behind a held reader, let it go, and gather their answers (or exceptions)."""
    async with HeldReader(db) as held:
        tasks = [asyncio.create_task(read()) for read in reads]
        await held.queued(len(tasks))
    return await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """conftest's settings with one reader thread (holding it is what queues the reads together),
    and API keys cached (a balance request's one read is its balance): for `db` and `api` alike."""
    return settings.model_copy(update={"readers": 1, "auth_cache_seconds": 600})


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database.from_settings(settings)
    yield database
    await database.dispose()


class TestReadBatched:
    async def test_reads_of_one_batch_queued_together_make_one_call_with_every_item(self, db: Database) -> None:
        calls: list[list[int]] = []

        def squares(conn: Connection, items: list[int]) -> list[int]:
            calls.append(items)
            return [conn.execute(text("SELECT :i * :i"), {"i": i}).scalar_one() for i in items]

        answers = await behind_held_reader(db, [lambda i=i: db.read_batched(squares, i) for i in (3, 1, 4, 1, 5)])
        assert answers == [9, 1, 16, 1, 25]
        assert calls == [[3, 1, 4, 1, 5]], "one call, the items in queue order"

    async def test_other_reads_and_other_batches_keep_their_own_calls(self, db: Database) -> None:
        calls: list[tuple[str, list[int]]] = []

        def tagged(tag: str) -> Callable[[Connection, list[int]], list[str]]:
            def batch(conn: Connection, items: list[int]) -> list[str]:
                calls.append((tag, items))
                return [f"{tag}{i}" for i in items]

            return batch

        first, second = tagged("a"), tagged("b")
        answers = await behind_held_reader(
            db,
            [
                lambda: db.read_batched(first, 1),
                lambda: db.read_one(text("SELECT 7")),
                lambda: db.read_batched(second, 2),
                lambda: db.read_batched(first, 3),
            ],
        )
        assert answers[0] == "a1" and answers[2] == "b2" and answers[3] == "a3"
        assert answers[1][0][0] == 7
        assert sorted(calls) == [("a", [1, 3]), ("b", [2])]

    async def test_a_failing_batch_is_every_callers_answer_and_the_next_read_works(self, db: Database) -> None:
        def failing(conn: Connection, items: list[int]) -> list[int]:
            raise LookupError("the batch failed")

        def short(conn: Connection, items: list[int]) -> list[int]:
            return items[:-1]  # a bug: one answer too few

        answers = await behind_held_reader(
            db,
            [
                lambda: db.read_batched(failing, 1),
                lambda: db.read_batched(failing, 2),
                lambda: db.read_batched(short, 3),
                lambda: db.read_batched(short, 4),
                lambda: db.read_one(text("SELECT 1")),
            ],
        )
        assert [type(a) for a in answers[:4]] == [LookupError, LookupError, ValueError, ValueError], answers
        assert answers[4][0][0] == 1, "a read beside the failing batches is answered"
        assert (await db.read_one(text("SELECT 2")))[0][0] == 2


async def test_balance_requests_queued_together_are_answered_by_one_statement_each_with_its_own(api: Api) -> None:
    for account_id, points in (("acme", 50), ("beta", 7), ("gamma", 0)):
        await api.account(account_id)
        if points:
            await api.post(f"/v1/accounts/{account_id}/adjustments", {"points": points, "reason": "seed"})
    await api.buy("beta", "points-60")
    alone = {a: await api.balance(a) for a in ("acme", "beta", "gamma")}
    assert alone["beta"]["available"] == 67 and alone["beta"]["expiring"] == [], "nothing due within the window"

    asked = ["gamma", "acme", "nobody", "beta", "acme", "beta"]
    with statements_sent(api.db) as statements:
        answers = await behind_held_reader(api.db, [lambda a=a: api.get(f"/v1/accounts/{a}/balance") for a in asked])
    for account_id, r in zip(asked, answers, strict=True):
        if account_id == "nobody":
            assert r.status_code == 404 and r.json()["detail"] == "account 'nobody' does not exist", r.text
        else:
            assert r.status_code == 200 and r.json() == alone[account_id], (account_id, r.text)
    balance_reads = [s for s in statements if "FROM accounts" in s]
    assert len(balance_reads) == 1, balance_reads


async def test_one_statement_answers_each_caller_at_its_own_horizon(api: Api, settings: Settings) -> None:
    """Callers of one batch may ask at different instants: the lots are read to the latest
    horizon, and each balance counts only those within its own window."""
    db = api.db
    await api.account("acme")
    await api.buy("acme", "points-60")
    window = timedelta(days=settings.expiring_window_days)
    [expires_at] = (await db.read_one(select(t.lots.c.expires_at).where(t.lots.c.account_id == "acme")))[0]
    early = expires_at - window - timedelta(seconds=1)  # the lot is just past this caller's window
    late = expires_at - window  # and just within this one's
    rows_early, rows_late = await behind_held_reader(
        db,
        [
            lambda: db.read_batched(queries.balance_rows, ("acme", early + window)),
            lambda: db.read_batched(queries.balance_rows, ("acme", late + window)),
        ],
    )
    assert queries.balance_from_rows("acme", rows_early, early, window).expiring == []
    [expiring] = queries.balance_from_rows("acme", rows_late, late, window).expiring
    assert expiring.points == 60
