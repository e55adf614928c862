"""The ledger export holds constant memory whatever the period holds (docs/design.md §14).

A ledger of 100,000 entries, one a second, written straight into SQLite, is exported through the
app as a server drives it (ASGI, every part of the body passed on and dropped, as a socket would):
its first 25,000 entries, then all 100,000. The process's peak resident memory during each export
(Linux's VmHWM, reset before it) above what it held before must stay small, and not grow with
the rows: four times the entries, (nearly) the same peak. Figures, never a timing.
bench/export_memory.py does the same with 1,000,000 entries and reports rows per second too.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from points_service.app import create_app
from points_service.services.uow import Database
from points_service.settings import Settings

from support.bulk_ledger import fill
from testkeys import TEST_KEYS

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self (Linux)")

START = datetime(2025, 1, 1, tzinfo=UTC)
ENTRIES = 100_000
MiB = 1024 * 1024


def _period(entries: int) -> bytes:
    """The period holding the first `entries` entries (one a second from START)."""
    end = START + timedelta(seconds=entries)
    return f"from={START.isoformat()}&to={end.isoformat()}".replace("+", "%2B").encode()


def _memory() -> tuple[int, int]:
    """(resident bytes now, peak resident bytes since the last reset)."""
    status = Path("/proc/self/status").read_text()
    kib = {name: int(re.search(rf"{name}:\s+(\d+) kB", status).group(1)) for name in ("VmRSS", "VmHWM")}
    return kib["VmRSS"] * 1024, kib["VmHWM"] * 1024


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS


async def export_through_the_app(app: Any, accept: bytes, period: bytes) -> tuple[int, int, int]:
    """(status, lines, bytes) of one export, driven as uvicorn drives the app; each part of the
    body is counted and dropped."""
    status, lines, size = 0, 0, 0
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client never hangs up
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, lines, size
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            lines += body.count(b"\n")
            size += len(body)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/ledger/export",
        "raw_path": b"/v1/ledger/export",
        "query_string": period,
        "root_path": "",
        "headers": [
            (b"host", b"test"),
            (b"accept", accept),
            (b"authorization", f"Bearer {TEST_KEYS['billing']}".encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return status, lines, size


@pytest.fixture(scope="module")
def bulk_db(tmp_path_factory: pytest.TempPathFactory, keyed_template_db: Path) -> Path:
    path = tmp_path_factory.mktemp("bulk") / "bulk.db"
    shutil.copy(keyed_template_db, path)
    fill(path, entries=ENTRIES, start=START)
    return path


@pytest.fixture
async def bulk_app(bulk_db: Path) -> AsyncIterator[Any]:
    settings = Settings(database_url=f"sqlite:///{bulk_db}", auth_cache_seconds=0, dispatch=False)
    db = Database.from_settings(settings)
    yield create_app(settings, database=db)
    await db.dispose()


async def _peak(app: Any, accept: bytes, entries: int) -> tuple[int, int]:
    """(lines exported, the peak resident memory during the export above what was resident before)."""
    before, _ = _memory()
    _reset_peak()
    status, lines, _ = await export_through_the_app(app, accept, _period(entries))
    _, peak = _memory()
    assert status == 200
    return lines, peak - before


async def test_peak_memory_of_an_export_is_small_and_does_not_grow_with_the_rows(bulk_app: Any) -> None:
    # The first export also fills what a process keeps once: threads, connections, statement caches,
    # and each long reader connection's SQLite page cache (2 MiB each, 2 long readers): bounded, measured here.
    lines, first = await _peak(bulk_app, b"application/x-ndjson", ENTRIES // 4)
    assert lines == ENTRIES // 4
    assert first < 24 * MiB, f"{first / MiB:.1f} MiB above the resident memory before, at the peak"
    small_lines, small = await _peak(bulk_app, b"application/x-ndjson", ENTRIES // 4)
    lines, large = await _peak(bulk_app, b"application/x-ndjson", ENTRIES)

    print(f"peaks above resident (MiB): {first / MiB:.1f} first, {small / MiB:.1f} then, {large / MiB:.1f} at 4x")
    assert (small_lines, lines) == (ENTRIES // 4, ENTRIES)
    assert large < small + 4 * MiB, (
        f"peak {small / MiB:.1f} MiB for {small_lines} entries, {large / MiB:.1f} MiB for {lines}"
    )


async def test_csv_is_as_frugal(bulk_app: Any) -> None:
    lines, peak = await _peak(bulk_app, b"text/csv", ENTRIES // 4)

    assert lines == ENTRIES // 4 + 1  # and the header
    assert peak < 24 * MiB, f"{peak / MiB:.1f} MiB at the peak"
