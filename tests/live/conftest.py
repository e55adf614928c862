"""Live-server fixtures: the real `points-service` in a subprocess, spoken to over TCP.

`live_server` starts `points-service serve` on a free port against the test's fresh database
(`database_url`: SQLite with one worker, PostgreSQL with two), with keys for admin, billing and
helpdesk created directly in the database. At teardown it stops the server (SIGTERM, then
SIGKILL after a timeout) and runs `points-service verify` against the database, which must exit
0. The server's output goes to `server.log` in the test's tmp_path; when a test fails, the tail
of that log is attached to the report.

`live` is an async client (`support.live.Live`) on `live_server`; `start_server` is a factory for
servers the test starts itself. The process helpers live in `support.servers`, the client and
scenario (a) (`open_race`, shared with the negative control) in `support.live`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.live import Live
from support.servers import LOG_KEY, Server, make_keys, report_server_logs, run_cli, serve_argv, spawn

pytest_runtest_makereport = report_server_logs("live server log")


@pytest.fixture
def start_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Factory: start a server process on `url` (`argv` without `--port`); all are stopped at teardown."""
    started: list[Server] = []
    request.node.stash[LOG_KEY] = []

    def start(url: str, argv: list[str], keys: dict[str, str], name: str = "server") -> Server:
        log = tmp_path / f"{name}.log"
        request.node.stash[LOG_KEY].append(log)
        server = spawn(url, argv, log, keys)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def live_server(database_url: str, start_server: Callable[..., Server]) -> Iterator[Server]:
    """`points-service serve` on the test's database; the ledger must verify clean afterwards."""
    server = start_server(database_url, serve_argv(database_url), make_keys(database_url, "live"))
    yield server
    server.stop()
    checked = run_cli(database_url, "verify")
    assert checked.returncode == 0, f"points-service verify failed:\n{checked.stdout}\n{checked.stderr}"


@pytest.fixture
async def live(live_server: Server) -> Any:
    async with live_server.client() as http:
        yield Live(live_server, http)
