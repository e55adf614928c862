"""`points-service report finance`: the finance report, run as a real process."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from points_service.services import accounts, grants, tickets
from points_service.services.context import Context
from points_service.services.uow import Database
from points_service.settings import Settings

from support.servers import EXE


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, timeout=60, check=False)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


async def _arrange(url: str, at: datetime) -> None:
    """120 points bought for 68.50, then a store problem (25) resolved."""
    db = Database.from_settings(Settings(database_url=url))
    ctx = Context(actor="test", role="admin", clock=FixedClock(at), return_grace=timedelta(days=30))
    try:
        await db.write(accounts.PutAccount(ctx=ctx, account_id="acme"))
        await db.write(grants.Purchase(ctx=ctx, account_id="acme", plan="points-120", payment_id="pay-1"))
        opened = await db.write(
            tickets.OpenTicket(ctx=ctx, account_id="acme", external_ref="T-1", category="store-problem")
        )
        await db.write(tickets.ResolveTicket(ctx=ctx, account_id="acme", ticket_id=opened.ticket.id))
    finally:
        await db.dispose()


@pytest.fixture
def env(template_db: Path, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "points.db"
    shutil.copy(template_db, path)
    env = {**os.environ, "POINTS_DATABASE_URL": f"sqlite:///{path}"}
    asyncio.run(_arrange(env["POINTS_DATABASE_URL"], datetime.now(UTC) - timedelta(days=2)))
    return env


def _period() -> tuple[str, str]:
    now = datetime.now(UTC)
    return (now - timedelta(days=5)).isoformat(), now.isoformat()


class TestReportFinance:
    def test_text_shows_the_figures(self, env):
        start, end = _period()
        result = run(env, "report", "finance", "--from", start, "--to", end)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert "USD" in lines
        assert ["granted", "120", "68.50"] in [line.split() for line in lines]
        assert ["recognized", "25", "14.27"] in [line.split() for line in lines]
        assert ["closing", "95", "54.23"] in [line.split() for line in lines]

    def test_csv_grouped_by_account_parses(self, env):
        start, end = _period()
        result = run(env, "report", "finance", "--from", start, "--to", end, "--csv", "--group-by", "account")
        assert result.returncode == 0, result.stderr
        (row,) = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
        assert (row["currency"], row["account_id"], row["closing_points"], row["closing_amount"]) == (
            "USD",
            "acme",
            "95",
            "54.23",
        )

    def test_a_period_that_ends_before_it_starts_is_refused(self, env):
        start, end = _period()
        result = run(env, "report", "finance", "--from", end, "--to", start)
        assert result.returncode == 2
        assert "--from: must not be after to" in result.stderr


class TestReportExpiryForecast:
    def test_csv_lists_every_month_and_the_points_left(self, env):
        # Bought two days ago: expires in the month two years on, 24 or 25 months from now.
        result = run(env, "report", "expiry-forecast", "--months", "26", "--csv")
        assert result.returncode == 0, result.stderr
        rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
        assert len(rows) == 26 and {row["currency"] for row in rows} == {"USD"}
        (due,) = [row for row in rows if row["points"] != "0"]
        assert (due["points"], due["amount"], due["accounts"]) == ("95", "54.23", "1")

    def test_text_shows_the_month_that_expires(self, env):
        result = run(env, "report", "expiry-forecast", "--months", "26")
        assert result.returncode == 0, result.stderr
        lines = [line.split() for line in result.stdout.splitlines()]
        assert ["USD"] in lines
        assert [line[1:] for line in lines if len(line) == 4 and line[1] != "0" and line[0] != "month"] == [
            ["95", "54.23", "1"]
        ]
