"""Crash-test fixtures: the real `points-service serve`, killed with SIGKILL and restarted.

`crash_cluster` starts the service on the test's fresh database (`database_url`: SQLite with one
worker, PostgreSQL with two), with keys for admin, billing and helpdesk created directly in the
database. The test kills it (SIGKILL to the whole process group: uvicorn's supervisor and its
workers) and starts it again on the same database, on a new free port, as often as it likes. At
teardown the last server is stopped. The servers' output goes to `server.log` in the test's
tmp_path; when a test fails, the tail of that log is attached to the report.

The service runs with the settings the spec requires of a crash: SQLite with
`synchronous=FULL` (set explicitly, so no `POINTS_SQLITE_SYNCHRONOUS` in the environment can
weaken it) and `POINTS_AUTH_CACHE_SECONDS=0`.

The processes are started and stopped by `support.servers`, as the live tests' are.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.servers import (
    LOG_KEY,
    STOP_TIMEOUT,
    is_postgres,
    make_keys,
    report_server_logs,
    run_cli,
    serve_argv,
    server_env,
    spawn,
    stop_process,
)

CRASH_ENV = {"POINTS_SQLITE_SYNCHRONOUS": "FULL"}  # a SIGKILL must never lose an acknowledged commit

pytest_runtest_makereport = report_server_logs("crash server log")


@dataclass
class Cluster:
    """The service on one database: started, SIGKILLed and restarted (each time on a new port)."""

    url: str  # the database
    keys: dict[str, str]
    log: Path
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    base_url: str = ""
    starts: list[float] = field(default_factory=list)  # seconds each start took to be ready
    settings: dict[str, str] = field(default_factory=dict)  # POINTS_* for the next starts

    @property
    def backend(self) -> str:
        return "postgresql" if is_postgres(self.url) else "sqlite"

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def start(self) -> None:
        """Start the service on a free port and wait until /readyz answers 200 (blocking)."""
        began = time.monotonic()
        env = {**server_env(self.url, **CRASH_ENV), **self.settings}
        server = spawn(self.url, self.argv, self.log, self.keys, env=env)
        self.process, self.base_url = server.process, server.base_url
        self.starts.append(time.monotonic() - began)

    def kill(self) -> None:
        """SIGKILL the whole process group (uvicorn's supervisor and its workers) at once."""
        assert self.process is not None
        with self.log.open("ab") as out:
            out.write(b"\n=== crash test: SIGKILL ===\n")
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL for the whole process group if it outstays STOP_TIMEOUT."""
        if self.process is not None:
            stop_process(self.process)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(self.url, *args, **CRASH_ENV)


@pytest.fixture
def crash_cluster(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """The service on the test's fresh database, started once; the test kills and restarts it."""
    log = tmp_path / "server.log"
    request.node.stash[LOG_KEY] = [log]
    cluster = Cluster(url=database_url, keys=make_keys(database_url, "crash"), log=log, argv=serve_argv(database_url))
    cluster.start()
    yield cluster
    cluster.stop()
