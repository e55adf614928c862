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

The process helpers are copied from tests/live/conftest.py (`free_port`, `server_env`,
`run_cli`, `make_keys`, the readiness loop of `spawn`), since a conftest outside tests/live
cannot reach its fixtures and, with `--import-mode=importlib`, nothing can import it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from points_service.services.keys import CreateKey
from points_service.services.uow import Database
from points_service.settings import Settings

BIN = Path(sys.executable).parent
EXE = BIN / "points-service"
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
ROLES = ("admin", "billing", "helpdesk")

LOG_KEY = pytest.StashKey[list[Path]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for path in item.stash.get(LOG_KEY, []):
            report.sections.append((f"crash server log ({path.name}, tail)", tail(path)))


def tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "POINTS_DATABASE_URL": url,
        "POINTS_AUTH_CACHE_SECONDS": "0",
        "POINTS_SQLITE_SYNCHRONOUS": "FULL",  # a SIGKILL must never lose an acknowledged commit
    }


def run_cli(url: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXE), *args], check=False, env=server_env(url), capture_output=True, text=True, timeout=timeout
    )


def make_keys(url: str) -> dict[str, str]:
    """One key per role, written straight into the database."""

    async def main() -> dict[str, str]:
        db = Database.from_settings(Settings(database_url=url))
        try:
            keys = {}
            for role in ROLES:
                keys[role] = (await db.write(CreateKey(role=role, name=f"crash-{role}", now=datetime.now(UTC)))).secret
            return keys
        finally:
            await db.dispose()

    return asyncio.run(main())


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def serve_argv(url: str) -> list[str]:
    workers = "2" if is_postgres(url) else "1"
    return [str(EXE), "serve", "--host", "127.0.0.1", "--workers", workers]


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
        for _attempt in range(3):
            port = free_port()
            with self.log.open("ab") as out:
                out.write(f"\n=== crash test: starting on port {port} ===\n".encode())
                out.flush()
                process = subprocess.Popen(
                    [*self.argv, "--port", str(port)],
                    env={**server_env(self.url), **self.settings},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: one killpg reaches every worker
                )
            self.process, base_url = process, f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + READY_TIMEOUT
            with httpx.Client(timeout=2.0) as http:
                while time.monotonic() < deadline and process.poll() is None:
                    try:
                        if http.get(f"{base_url}/readyz").status_code == 200:
                            self.base_url = base_url
                            self.starts.append(time.monotonic() - began)
                            return
                    except httpx.TransportError:
                        pass
                    time.sleep(0.05)
            self.stop()
            if "address already in use" not in self.log.read_text(errors="replace").lower():
                break
        pytest.fail(f"the server did not become ready within {READY_TIMEOUT:.0f} s:\n{tail(self.log)}")

    def kill(self) -> None:
        """SIGKILL the whole process group (uvicorn's supervisor and its workers) at once."""
        assert self.process is not None
        with self.log.open("ab") as out:
            out.write(b"\n=== crash test: SIGKILL ===\n")
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL for the whole process group if it outstays STOP_TIMEOUT."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError, PermissionError):  # workers, should any outlive their supervisor
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(self.url, *args)


@pytest.fixture
def crash_cluster(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """The service on the test's fresh database, started once; the test kills and restarts it."""
    log = tmp_path / "server.log"
    request.node.stash[LOG_KEY] = [log]
    cluster = Cluster(url=database_url, keys=make_keys(database_url), log=log, argv=serve_argv(database_url))
    cluster.start()
    yield cluster
    cluster.stop()
