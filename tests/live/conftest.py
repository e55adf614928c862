"""Live-server fixtures: the real `points-service` in a subprocess, spoken to over TCP.

`live_server` starts `points-service serve` on a free port against the test's fresh database
(`database_url`: SQLite with one worker, PostgreSQL with two), with keys for admin, billing and
helpdesk created directly in the database. At teardown it stops the server (SIGTERM, then
SIGKILL after a timeout) and runs `points-service verify` against the database, which must exit
0. The server's output goes to `server.log` in the test's tmp_path; when a test fails, the tail
of that log is attached to the report.

Helpers reach the test modules as fixtures, since with `--import-mode=importlib` a test module
cannot import this file: `live` (an async client on `live_server`), `start_server` (a factory for
servers the test starts itself), `race` (scenario (a), shared with the negative control) and
`live_tools` (the rest, for tests that manage their own servers).
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from points_service.services.keys import CreateKey
from points_service.services.uow import Database
from points_service.settings import Settings

BIN = Path(sys.executable).parent
EXE = BIN / "points-service"
HERE = Path(__file__).parent
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
REQUEST_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
ROLES = ("admin", "billing", "helpdesk")

LOG_KEY = pytest.StashKey[list[Path]]()


# --------------------------------------------------------------------------- failure reports


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for path in item.stash.get(LOG_KEY, []):
            report.sections.append((f"live server log ({path.name}, tail)", tail(path)))


def tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "POINTS_DATABASE_URL": url, "POINTS_AUTH_CACHE_SECONDS": "0", **extra}


def run_cli(url: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], env=server_env(url), capture_output=True, text=True, timeout=timeout)


def make_keys(url: str) -> dict[str, str]:
    """One key per role, written straight into the database."""

    async def main() -> dict[str, str]:
        db = Database.from_settings(Settings(database_url=url))
        try:
            keys = {}
            for role in ROLES:
                keys[role] = (await db.write(CreateKey(role=role, name=f"live-{role}", now=datetime.now(UTC)))).secret
            return keys
        finally:
            await db.dispose()

    return asyncio.run(main())


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
        """SIGTERM, then SIGKILL for the whole process group if it outstays STOP_TIMEOUT."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(STOP_TIMEOUT)
        # uvicorn's worker processes, should any outlive their supervisor
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)


def spawn(url: str, argv: list[str], log: Path, keys: dict[str, str]) -> Server:
    """Start `argv + ['--port', <free>]`, wait until /readyz answers 200, and return the server.

    A port taken between choosing and binding it is retried with another one.
    """
    for _attempt in range(3):
        port = free_port()
        with log.open("ab") as out:
            process = subprocess.Popen(
                [*argv, "--port", str(port)],
                env=server_env(url),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so teardown can reach its workers
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
                time.sleep(0.1)
        server.stop()
        if "address already in use" not in log.read_text(errors="replace").lower():
            break
    pytest.fail(f"the server did not become ready within {READY_TIMEOUT:.0f} s:\n{tail(log)}")


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


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


def serve_argv(url: str) -> list[str]:
    workers = "2" if is_postgres(url) else "1"
    return [str(EXE), "serve", "--host", "127.0.0.1", "--workers", workers]


@pytest.fixture
def live_server(database_url: str, start_server: Callable[..., Server]) -> Iterator[Server]:
    """`points-service serve` on the test's database; the ledger must verify clean afterwards."""
    server = start_server(database_url, serve_argv(database_url), make_keys(database_url))
    yield server
    server.stop()
    checked = run_cli(database_url, "verify")
    assert checked.returncode == 0, f"points-service verify failed:\n{checked.stdout}\n{checked.stderr}"


# --------------------------------------------------------------------------- talking to it


@dataclass
class Live:
    """An async client on a live server, with role-aware shortcuts.

    Every request is bounded by REQUEST_TIMEOUT; a transport error fails the test.
    """

    server: Server
    http: httpx.AsyncClient
    counter: dict[str, int] = field(default_factory=dict)

    async def request(self, method: str, path: str, role: str = "admin", **kwargs: Any) -> httpx.Response:
        headers = {**self.server.auth(role), **kwargs.pop("headers", {})}
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str, role: str = "admin", **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, role, **kwargs)

    async def post(self, path: str, json: Any = None, role: str = "admin", **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, role, json=json, **kwargs)

    async def put(self, path: str, json: Any = None, role: str = "admin", **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, role, json=json, **kwargs)

    def unique(self, prefix: str) -> str:
        self.counter[prefix] = self.counter.get(prefix, 0) + 1
        return f"{prefix}-{self.counter[prefix]}"

    # Arranging a scenario; each step must succeed.
    async def account(self, account_id: str) -> None:
        r = await self.put(f"/v1/accounts/{account_id}", {})
        assert r.status_code in (200, 201), r.text

    async def grant(self, account_id: str, points: int) -> None:
        r = await self.post(f"/v1/accounts/{account_id}/adjustments", {"points": points, "reason": "starting balance"})
        assert r.status_code == 201, r.text

    async def buy(self, account_id: str, plan: str = "points-120") -> dict[str, Any]:
        body = {"plan": plan, "payment_id": self.unique(f"pay-{account_id}")}
        r = await self.post(f"/v1/accounts/{account_id}/purchases", body, role="billing")
        assert r.status_code == 201, r.text
        return r.json()

    async def open(self, account_id: str, points: int, ref: str | None = None) -> dict[str, Any]:
        body = {"external_ref": ref or self.unique("T"), "category": "other", "estimated_points": points}
        r = await self.post(f"/v1/accounts/{account_id}/tickets", body, role="helpdesk")
        assert r.status_code == 201, r.text
        return r.json()

    async def balance(self, account_id: str) -> dict[str, Any]:
        r = await self.get(f"/v1/accounts/{account_id}/balance")
        assert r.status_code == 200, r.text
        return r.json()

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        r = await self.get(f"/v1/tickets/{ticket_id}")
        assert r.status_code == 200, r.text
        return r.json()

    async def pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list endpoint, following next_cursor."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
            r = await self.get(path, params=query)
            assert r.status_code == 200, r.text
            page = r.json()
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items

    async def assert_verified(self) -> None:
        r = await self.get("/v1/admin/verify")
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["ok"] is True, report["disagreements"]


@pytest.fixture
async def live(live_server: Server) -> Any:
    async with live_server.client() as http:
        yield Live(live_server, http)


@pytest.fixture
def live_tools() -> dict[str, Any]:
    """Module-level helpers for tests that manage their own servers (the negative control)."""
    return {
        "Live": Live,
        "make_keys": make_keys,
        "serve_argv": serve_argv,
        "run_cli": run_cli,
        "is_postgres": is_postgres,
        "server_env": server_env,
        "EXE": EXE,
        "HERE": HERE,
        "python": sys.executable,
    }


async def open_race(lives: list[Live], account_id: str, *, n: int = 64, points: int = 30) -> list[httpx.Response]:
    """Scenario (a): `n` concurrent opens of `points` on `account_id`, spread over `lives`."""

    async def open_one(i: int) -> httpx.Response:
        body = {"external_ref": f"race-{i}", "category": "other", "estimated_points": points}
        return await lives[i % len(lives)].post(f"/v1/accounts/{account_id}/tickets", body, role="helpdesk")

    return list(await asyncio.wait_for(asyncio.gather(*(open_one(i) for i in range(n))), timeout=60))


@pytest.fixture
def race() -> Callable[..., Any]:
    return open_race
