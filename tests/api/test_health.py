"""Liveness and readiness: their bodies; readiness, and every request that needs the database, answering
503 when the database cannot be reached."""

from __future__ import annotations

import socket

import httpx

from points_service.app import create_app
from points_service.settings import Settings

from conftest import Api


async def test_both_answer_ok_with_a_database(api: Api) -> None:
    for path in ("/healthz", "/readyz"):
        r = await api.get(path, role="")
        assert (r.status_code, r.json()) == (200, {"status": "ok"}), path


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the socket is: nothing listens there


async def test_readiness_is_a_503_problem_when_the_database_is_unreachable() -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/nothing"
    app = create_app(Settings(database_url=url, db_connect_timeout=2))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        live = await client.get("/healthz")
        ready = await client.get("/readyz")
        # Any other request needs the database (its key is looked up there): 503, never a 500.
        read = await client.get("/v1/accounts/acme/balance", headers={"Authorization": "Bearer pts_whatever"})
        metrics = (await client.get("/metrics")).text
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.headers["retry-after"] == "1"
    problem = ready.json()
    assert problem["type"] == "/problems/database-busy" and problem["status"] == 503
    assert "nobody" not in ready.text and "psycopg" not in ready.text  # no connection details
    assert read.status_code == 503 and read.headers["retry-after"] == "1", read.text
    assert read.json()["type"] == "/problems/database-busy"
    assert read.json()["detail"] == "the database cannot be reached; retry shortly"
    assert 'points_database_errors_total{kind="unreachable"} 1.0' in metrics
    await app.state.db.dispose()
