"""A database connection lost under a request (a restart, a failover; PostgreSQL only).

A read whose connection turns out dead is tried once more on a fresh one (a read changes
nothing); only if that fails too, or no connection can be made, it answers 503 `database-busy`
with `Retry-After`, never a 500, and the next request works. A write whose connection is lost
before COMMIT is redone on a fresh one by the writer (tests/api/test_group_commit.py); one lost
during COMMIT may or may not have been applied, so it answers 503 saying so, and a repeat with the
same Idempotency-Key gets the outcome.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from points_service.services import queries

from conftest import Api
from pgtools import KILL_OWN_CONNECTION, terminate_backend

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _database_errors(metrics_text: str, kind: str) -> float:
    line = f'points_database_errors_total{{kind="{kind}"}} '
    return next((float(x.split()[-1]) for x in metrics_text.splitlines() if x.startswith(line)), 0.0)


def _reader_pids(api: Api) -> list[int]:
    return [conn.connection.dbapi_connection.info.backend_pid for conn in api.db._ordinary.connections._all]  # type: ignore[union-attr]  # connected: not None


@pytest.mark.parametrize("suffix", ["", "/balance"])  # a read of its own; one that may share its statement
async def test_a_read_whose_connection_died_is_tried_again_on_a_fresh_one(api: Api, suffix: str) -> None:
    await api.account("acme")
    assert (await api.get("/v1/accounts/acme")).status_code == 200
    pids = _reader_pids(api)
    assert pids, "the read went through a reader thread's connection"
    for pid in pids:  # a restart ends every session the service holds
        terminate_backend(pid)
    r = await api.get(f"/v1/accounts/acme{suffix}")
    assert r.status_code == 200, r.text
    assert set(_reader_pids(api)) - set(pids), "the read was made on a fresh connection"
    metrics = (await api.get("/metrics", role="")).text
    assert _database_errors(metrics, "disconnect") == 0


async def test_a_read_whose_connection_dies_twice_is_a_503_problem_and_the_next_one_works(
    api: Api, monkeypatch
) -> None:
    await api.account("acme")
    real_read = queries.account_and_balance
    lost: list[bool] = []

    def account_and_balance(conn: Connection, *args: Any) -> Any:
        if len(lost) < 2:
            lost.append(True)
            conn.execute(KILL_OWN_CONNECTION)
        return real_read(conn, *args)

    monkeypatch.setattr(queries, "account_and_balance", account_and_balance)
    r = await api.get("/v1/accounts/acme")
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json" and r.headers["retry-after"] == "1"
    assert r.json()["type"] == "/problems/database-busy"
    assert r.json()["detail"] == "the connection to the database was lost; retry shortly"
    assert "terminat" not in r.text and "psycopg" not in r.text  # nothing of the driver's message
    assert "outcome_unknown" not in r.json(), "a read changed nothing"
    assert len(lost) == 2, "tried once more on a fresh connection"
    assert (await api.get("/v1/accounts/acme")).status_code == 200
    metrics = (await api.get("/metrics", role="")).text
    assert _database_errors(metrics, "disconnect") == 1


async def test_a_read_the_restarting_database_refuses_is_a_503_problem(api: Api, monkeypatch) -> None:
    """While PostgreSQL starts up or shuts down it refuses new connections: 503, never a 500."""
    await api.account("acme")
    await api.balance("acme")
    for pid in _reader_pids(api):  # the server went away: every connection must be made anew
        terminate_backend(pid)
    real_connect = api.db.engine.connect
    refused: list[bool] = []

    def connect() -> Any:
        if not refused:
            refused.append(True)
            raise DBAPIError("(connect)", None, Exception("connection failed: the database system is starting up"))
        return real_connect()

    monkeypatch.setattr(api.db.engine, "connect", connect)
    for _ in range(2):  # whichever reader thread takes it, one read meets the refusal
        r = await api.get("/v1/accounts/acme/balance")
        if r.status_code == 503:
            break
    assert r.status_code == 503, r.text
    assert r.json()["type"] == "/problems/database-busy" and r.headers["retry-after"] == "1"
    assert r.json()["detail"] == "the database cannot be reached; retry shortly"
    assert "starting up" not in r.text
    assert (await api.get("/v1/accounts/acme/balance")).status_code == 200
    metrics = (await api.get("/metrics", role="")).text
    assert _database_errors(metrics, "unreachable") == 1


async def test_a_write_whose_commit_is_lost_says_so_and_its_idempotent_repeat_applies_it_once(
    api: Api, monkeypatch
) -> None:
    await api.account("acme")
    real = Connection.exec_driver_sql
    lost: list[bool] = []

    def exec_driver_sql(self: Connection, statement: str, *args: Any, **kwargs: Any) -> Any:
        if statement == "COMMIT" and threading.current_thread().name.startswith("points-writer") and not lost:
            lost.append(True)  # the server ends the session as COMMIT is sent
            terminate_backend(self.connection.dbapi_connection.info.backend_pid)  # type: ignore[union-attr]  # connected: not None
        return real(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "exec_driver_sql", exec_driver_sql)
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


def _pid(conn: Connection) -> int:
    return conn.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]  # connected: not None


class TestAPooledConnectionThatDiedToo:
    """A restart ends the pool's idle connections too (those the dispatcher hands back after each
    round). SQLAlchemy, on a disconnect, retires only the pool's connections *older* than the one
    that failed: after an earlier restart, a reader's connection that survived it is older than an
    idle connection made since, so the reader's retry must not be handed that one dead."""

    @pytest.fixture
    def settings(self, settings: Any) -> Any:
        return settings.model_copy(update={"readers": 1})  # every read on the same reader connection

    async def test_the_retry_gets_a_live_connection(self, api: Api) -> None:
        await api.account("acme")
        assert (await api.get("/v1/accounts/acme")).status_code == 200
        [reader] = _reader_pids(api)
        engine = api.db.engine
        # an earlier restart, noticed by a connection newer than the reader's: the pool's generation moves on
        with engine.connect() as conn:
            terminate_backend(_pid(conn))
            with pytest.raises(DBAPIError):
                conn.exec_driver_sql("SELECT 1")
        with engine.connect() as conn:  # a connection made since, handed back idle (as the dispatcher does)
            conn.exec_driver_sql("SELECT 1")
            idle = _pid(conn)
        for pid in (reader, idle):  # the restart at rest: every session ends
            terminate_backend(pid)
        r = await api.get("/v1/accounts/acme")
        assert r.status_code == 200, r.text
