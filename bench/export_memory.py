"""The ledger export at 1,000,000 entries: peak memory and rows per second (docs/performance.md).

    .venv/bin/python bench/export_memory.py                 # 1,000,000 entries in a new SQLite file
    .venv/bin/python bench/export_memory.py --entries 200000 --csv

Writes the entries straight into a migrated SQLite database (tests/support/bulk_ledger.py: 100
accounts, one entry a second, one posting each), then exports all of them twice:

* through the app, as uvicorn drives it (ASGI 2.3, each part of the body counted and dropped, as a
  socket would pass it on), in this process: the peak resident memory during the export (Linux's
  VmHWM, reset before it) and what was resident before;
* with `points-service export --output FILE` in a process of its own: its peak resident memory
  (its VmHWM, polled) and its wall time.

Not part of `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from points_service.app import create_app
from points_service.db.engine import create_engine
from points_service.db.migrate import upgrade
from points_service.db.schema import api_keys
from points_service.services.keys import hash_key
from points_service.services.uow import Database
from points_service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.bulk_ledger import fill  # noqa: E402  # the tests' helper: importable once tests/ is on the path

START = datetime(2025, 1, 1, tzinfo=UTC)
KEY = "pts_bench_export_key_0123456789abcdef"
MiB = 1024 * 1024


def _memory() -> tuple[int, int]:
    status = Path("/proc/self/status").read_text()
    found = {name: int(re.search(rf"{name}:\s+(\d+) kB", status).group(1)) for name in ("VmRSS", "VmHWM")}
    return found["VmRSS"] * 1024, found["VmHWM"] * 1024


async def _export(app: Any, query: bytes, accept: bytes) -> tuple[int, int]:
    lines, size = 0, 0
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal lines, size
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message
        elif message["type"] == "http.response.body":
            lines += message.get("body", b"").count(b"\n")
            size += len(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/ledger/export",
        "raw_path": b"/v1/ledger/export",
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"accept", accept), (b"authorization", f"Bearer {KEY}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return lines, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--csv", action="store_true", help="export CSV rather than NDJSON")
    args = parser.parse_args()
    where = Path(tempfile.mkdtemp(prefix="export-bench-"))
    try:
        path = where / "points.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        engine = create_engine(Settings(database_url=url), connections=1)
        with engine.connect() as conn:
            row = {
                "id": "key_bench",
                "name": "bench",
                "role": "billing",
                "key_hash": hash_key(KEY),
                "created_at": START,
            }
            conn.execute(insert(api_keys), [row])
        engine.dispose()
        began = time.perf_counter()
        fill(path, entries=args.entries, start=START)
        took = time.perf_counter() - began
        print(f"wrote {args.entries:,} entries in {took:.1f} s ({path.stat().st_size / MiB:.0f} MiB)")
        end = START + timedelta(seconds=args.entries)
        query = f"from={START.isoformat()}&to={end.isoformat()}".replace("+", "%2B").encode()
        accept = b"text/csv" if args.csv else b"application/x-ndjson"

        settings = Settings(database_url=url, dispatch=False, sweep_interval=timedelta(0))

        async def through_the_app() -> tuple[int, int, float, int, int]:
            db = Database.from_settings(settings)
            app = create_app(settings, database=db)
            try:
                before, _ = _memory()
                Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
                began = time.perf_counter()
                lines, size = await _export(app, query, accept)
                took = time.perf_counter() - began
                _, peak = _memory()
                return lines, size, took, before, peak
            finally:
                await db.dispose()

        lines, size, took, before, peak = asyncio.run(through_the_app())
        print(
            f"app:  {lines:,} lines, {size / MiB:.0f} MiB in {took:.1f} s = {args.entries / took:,.0f} entries/s; "
            f"resident {before / MiB:.0f} MiB before, peak {peak / MiB:.0f} MiB (+{(peak - before) / MiB:.1f})"
        )

        out = where / "export.out"
        command = [str(ROOT / ".venv/bin/points-service"), "export", "--from", START.isoformat()]
        command += ["--to", end.isoformat(), "--output", str(out), *(["--csv"] if args.csv else [])]
        began = time.perf_counter()
        child = subprocess.Popen(command, env={**os.environ, "POINTS_DATABASE_URL": url}, stdout=subprocess.DEVNULL)
        # Its own peak (VmHWM of the program it became): a child's ru_maxrss would also count the
        # pages it shared with this large process between the fork and the exec.
        child_peak = 0
        while child.poll() is None:
            try:
                status = Path(f"/proc/{child.pid}/status").read_text()
                child_peak = max(child_peak, int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024)
            except (OSError, AttributeError):
                pass
            time.sleep(0.05)
        took = time.perf_counter() - began
        assert child.returncode == 0, child.returncode
        print(
            f"cli:  {out.stat().st_size / MiB:.0f} MiB in {took:.1f} s = {args.entries / took:,.0f} entries/s "
            f"(process start included); peak RSS {child_peak / MiB:.0f} MiB"
        )
    finally:
        shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
