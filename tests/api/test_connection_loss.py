"""A database connection lost under a request (a restart, a failover; PostgreSQL only).

Reads answer 503 `database-busy` with `Retry-After`, never a 500, and the next request gets a live
connection. A write whose connection is lost before COMMIT is redone on a fresh one by the writer
(tests/api/test_group_commit.py); one lost during COMMIT may or may not have been applied, so it
answers 503 saying so, and a repeat with the same Idempotency-Key gets the outcome.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError

from points_service.services import queries, uow

from conftest import Api
from pgtools import KILL_OWN_CONNECTION

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _database_errors(metrics_text: str, kind: str) -> float:
    line = f'points_database_errors_total{{kind="{kind}"}} '
    return next((float(x.split()[-1]) for x in metrics_text.splitlines() if x.startswith(line)), 0.0)


async def test_a_read_whose_connection_is_lost_is_a_503_problem_and_the_next_one_works(api: Api, monkeypatch) -> None:
    await api.account("acme")
    real_read = queries.account_and_balance
    lost: list[bool] = []

    async def account_and_balance(session: Any, *args: Any) -> Any:
        if not lost:
            lost.append(True)
            await session.execute(KILL_OWN_CONNECTION)
        return await real_read(session, *args)

    monkeypatch.setattr(queries, "account_and_balance", account_and_balance)
    r = await api.get("/v1/accounts/acme")
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json" and r.headers["retry-after"] == "1"
    assert r.json()["type"] == "/problems/database-busy"
    assert r.json()["detail"] == "the connection to the database was lost; retry shortly"
    assert "terminat" not in r.text and "asyncpg" not in r.text  # nothing of the driver's message
    assert "outcome_unknown" not in r.json(), "a read changed nothing"
    assert (await api.get("/v1/accounts/acme")).status_code == 200
    metrics = (await api.get("/metrics", role="")).text
    assert _database_errors(metrics, "disconnect") == 1


async def test_a_read_the_restarting_database_refuses_is_a_503_problem(api: Api, monkeypatch) -> None:
    """While PostgreSQL starts up or shuts down it refuses new connections with SQLSTATE 57P03,
    which SQLAlchemy does not count as a disconnect: still a 503, never a 500."""
    await api.account("acme")
    real_connect = uow.AsyncEngine.connect
    refused: list[bool] = []

    def connect(self: Any) -> Any:
        if not refused:
            refused.append(True)
            raise DBAPIError("(connect)", None, asyncpg.CannotConnectNowError("the database system is starting up"))
        return real_connect(self)

    monkeypatch.setattr(uow.AsyncEngine, "connect", connect)
    r = await api.get("/v1/accounts/acme/balance")
    assert r.status_code == 503, r.text
    assert r.json()["type"] == "/problems/database-busy" and r.headers["retry-after"] == "1"
    assert "starting up" not in r.text
    assert (await api.get("/v1/accounts/acme/balance")).status_code == 200
    metrics = (await api.get("/metrics", role="")).text
    assert _database_errors(metrics, "disconnect") == 1


async def test_a_write_whose_commit_is_lost_says_so_and_its_idempotent_repeat_applies_it_once(api: Api, monkeypatch) -> None:
    await api.account("acme")
    real_commit = uow.AsyncSession.commit
    lost: list[bool] = []

    async def commit(self: Any) -> None:
        if not lost:
            lost.append(True)
            await self.execute(KILL_OWN_CONNECTION)  # the connection dies as COMMIT is sent
        await real_commit(self)

    monkeypatch.setattr(uow.AsyncSession, "commit", commit)
    body, key = {"points": 40, "reason": "goodwill"}, {"Idempotency-Key": "adj-lost-commit"}
    first = await api.post("/v1/accounts/acme/adjustments", body, headers=key)
    assert first.status_code == 503, first.text
    assert first.json()["type"] == "/problems/database-busy" and first.headers["retry-after"] == "1"
    assert "may or may not have been applied" in first.json()["detail"]
    assert first.json()["outcome_unknown"] is True
    assert "Idempotency-Key" in first.json()["detail"]
    repeat = await api.post("/v1/accounts/acme/adjustments", body, headers=key)
    assert repeat.status_code == 201, repeat.text
    again = await api.post("/v1/accounts/acme/adjustments", body, headers=key)
    assert again.status_code in (200, 201) and again.json() == repeat.json()
    assert (await api.balance("acme"))["available"] == 40, "applied exactly once"
