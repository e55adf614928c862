"""The real `points-service` in a subprocess: started on a free port, waited for, stopped.

One launcher for tests/live and tests/crash (and tests/test_client.py): `spawn` starts
`argv + ['--port', <free>]` in its own process group with its output appended to a log file, waits
until `/readyz` answers 200 and returns a `Server`; `stop_process` ends a server (SIGTERM, then
SIGKILL for the whole process group). The fixtures that use them stay in the conftest files;
`report_server_logs` makes the hook that attaches the tail of the logs to a failed test's report.
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
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from points_service.services.keys import CreateKey
from points_service.services.uow import Database
from points_service.settings import Settings

EXE = Path(sys.executable).parent / "points-service"  # the console script installed beside this Python
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
REQUEST_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
ROLES = ("admin", "billing", "helpdesk")

LOG_KEY = pytest.StashKey[list[Path]]()  # the server logs of a test, for its failure report


# --------------------------------------------------------------------------- failure reports


def tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def report_server_logs(label: str) -> Callable[..., Generator[None, Any, None]]:
    """A `pytest_runtest_makereport` hook for a conftest: when a test fails, the tail of each log in
    `item.stash[LOG_KEY]` is attached to its report as a section `<label> (<log name>, tail)`."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
        outcome = yield
        report = outcome.get_result()
        if report.failed:
            for path in item.stash.get(LOG_KEY, []):
                report.sections.append((f"{label} ({path.name}, tail)", tail(path)))

    return pytest_runtest_makereport


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(url: str, **extra: str) -> dict[str, str]:
    """The environment of a service or CLI process on database `url`: no API key cache, plus `extra`."""
    return {**os.environ, "POINTS_DATABASE_URL": url, "POINTS_AUTH_CACHE_SECONDS": "0", **extra}


def run_cli(url: str, *args: str, timeout: float = 60, **extra: str) -> subprocess.CompletedProcess[str]:
    """`points-service <args>` on database `url` (environment: `server_env(url, **extra)`)."""
    return subprocess.run(
        [str(EXE), *args], check=False, env=server_env(url, **extra), capture_output=True, text=True, timeout=timeout
    )


def make_keys(url: str, prefix: str) -> dict[str, str]:
    """One key per role, written straight into the database, named `<prefix>-<role>`."""

    async def main() -> dict[str, str]:
        db = Database.from_settings(Settings(database_url=url))
        try:
            keys = {}
            for role in ROLES:
                created = await db.write(CreateKey(role=role, name=f"{prefix}-{role}", now=datetime.now(UTC)))
                keys[role] = created.secret
            return keys
        finally:
            await db.dispose()

    return asyncio.run(main())


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def serve_argv(url: str) -> list[str]:
    """`points-service serve` on loopback (no `--port`): one worker on SQLite, two on PostgreSQL."""
    workers = "2" if is_postgres(url) else "1"
    return [str(EXE), "serve", "--host", "127.0.0.1", "--workers", workers]


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL for the whole process group if it outstays STOP_TIMEOUT."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT)
    # uvicorn's worker processes, should any outlive their supervisor
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(STOP_TIMEOUT)


@dataclass
class Server:
    """A running service process."""

    base_url: str
    url: str  # the database
    keys: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def client(self, max_connections: int = 64) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        return httpx.AsyncClient(base_url=self.base_url, timeout=REQUEST_TIMEOUT, limits=limits)

    def stop(self) -> None:
        stop_process(self.process)


def spawn(url: str, argv: list[str], log: Path, keys: dict[str, str], env: Mapping[str, str] | None = None) -> Server:
    """Start `argv + ['--port', <free>]` on database `url` (environment: `env`, by default
    `server_env(url)`), its output appended to `log`; wait until /readyz answers 200 and return it.

    The process gets its own process group, so that stopping it reaches its workers. A port taken
    between choosing and binding it is retried with another one.
    """
    for _attempt in range(3):
        port = free_port()
        with log.open("ab") as out:
            out.write(f"\n=== starting on port {port} ===\n".encode())
            out.flush()
            process = subprocess.Popen(
                [*argv, "--port", str(port)],
                env=dict(env) if env is not None else server_env(url),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(base_url=f"http://127.0.0.1:{port}", url=url, keys=keys, process=process, log=log)
        deadline = time.monotonic() + READY_TIMEOUT
        with httpx.Client(timeout=2.0) as http:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    if http.get(f"{server.base_url}/readyz").status_code == 200:
                        return server
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        server.stop()
        if "address already in use" not in log.read_text(errors="replace").lower():
            break
    pytest.fail(f"the server did not become ready within {READY_TIMEOUT:.0f} s:\n{tail(log)}")
