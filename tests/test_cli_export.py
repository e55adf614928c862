"""`points-service export`: the ledger export of a period, run as a real process, to stdout or a file."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from points_service.services import accounts, grants, tickets
from points_service.services.context import Context
from points_service.services.export import CSV_COLUMNS
from points_service.services.uow import Database
from points_service.settings import Settings

from support.servers import EXE

START = datetime(2026, 3, 1, tzinfo=UTC)
PERIOD = ("--from", "2026-03-01T00:00:00Z", "--to", "2026-03-02T00:00:00Z")


class HourClock:
    """Starts at START and moves an hour on each reading."""

    def __init__(self) -> None:
        self.current = START - timedelta(hours=1)

    def now(self) -> datetime:
        self.current += timedelta(hours=1)
        return self.current


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, timeout=60, check=False)


async def _arrange(url: str) -> None:
    """acme, created at 2026-03-01T00:00Z (no entry), buys 120 points at 01:00, opens a store
    problem at 02:00 and resolves it for 30 at 03:00 (a capture_increase and a deduction)."""
    db = Database.from_settings(Settings(database_url=url))
    ctx = Context(actor="test", role="admin", clock=HourClock(), return_grace=timedelta(days=30))
    try:
        await db.write(accounts.PutAccount(ctx=ctx, account_id="acme"))
        await db.write(grants.Purchase(ctx=ctx, account_id="acme", plan="points-120", payment_id="pay-1"))
        opened = await db.write(
            tickets.OpenTicket(ctx=ctx, account_id="acme", external_ref="T-1", category="store-problem")
        )
        await db.write(tickets.ResolveTicket(ctx=ctx, account_id="acme", ticket_id=opened.ticket.id, points=30))
    finally:
        await db.dispose()


@pytest.fixture
def env(template_db: Path, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "points.db"
    shutil.copy(template_db, path)
    environment = {**os.environ, "POINTS_DATABASE_URL": f"sqlite:///{path}"}
    asyncio.run(_arrange(environment["POINTS_DATABASE_URL"]))
    return environment


class TestExportCommand:
    def test_ndjson_to_stdout_and_csv_to_a_file_hold_the_same_entries(self, env, tmp_path):
        ndjson = run(env, "export", *PERIOD)
        target = tmp_path / "ledger.csv"
        as_csv = run(env, "export", *PERIOD, "--csv", "--output", str(target))

        assert ndjson.returncode == 0, ndjson.stderr
        entries = [json.loads(line) for line in ndjson.stdout.splitlines()]
        assert [(e["seq"], e["kind"]) for e in entries] == [
            (1, "purchase"),
            (2, "capture"),
            (3, "capture_increase"),
            (4, "deduction"),
        ]
        assert [e["created_at"] for e in entries] == sorted(e["created_at"] for e in entries)
        assert as_csv.returncode == 0, as_csv.stderr
        assert as_csv.stdout == "" and "4 entries written" in as_csv.stderr
        rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert [r["id"] for r in rows] == [e["id"] for e in entries for _ in e["postings"]]
        assert not list(tmp_path.glob("*.partial"))

    def test_the_period_is_half_open(self, env):
        result = run(env, "export", "--from", "2026-03-01T01:00:00Z", "--to", "2026-03-01T02:00:00Z")

        assert [json.loads(line)["kind"] for line in result.stdout.splitlines()] == ["purchase"]

    def test_a_bad_period_is_a_usage_error_and_writes_nothing(self, env, tmp_path):
        """(The other bad periods are domain.clock.period_error's, tested with it.)"""
        target = tmp_path / "out.ndjson"

        result = run(env, "export", "--from", "2026-03-02T00:00:00Z", "--to", "2026-03-01T00:00:00Z", "-o", str(target))

        assert result.returncode == 2 and "--from must not be after to" in result.stderr, result.stderr
        assert not target.exists()
