"""`points-service statement`: the three-part view of one account, run as a real process."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from points_service.cli import app
from points_service.domain.clock import add_years
from points_service.services import accounts, grants, tickets
from points_service.services.context import Context
from points_service.services.uow import Database
from points_service.settings import Settings

from support.servers import EXE


class StepClock:
    """Starts at a given instant and moves one minute on each reading, so every step is later."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        self.current += timedelta(minutes=1)
        return self.current


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def env(template_db: Path, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "points.db"
    shutil.copy(template_db, path)
    return {**os.environ, "POINTS_DATABASE_URL": f"sqlite:///{path}"}


async def _arrange(url: str) -> dict[str, str]:
    """Account `acme`, written in the past so that a lot has expired since, unwritten.

    * 60 points bought 2 years + 10 days ago (lot A: expired 10 days ago, its expiry not written);
    * 30 days ago: 120 points bought, +15 adjusted ("goodwill"), then T-1 opened (store-problem,
      25, still open), T-2 opened and resolved (consultation, 10), T-3 opened and refunded
      (small-mod, 25, withdrawn). The tickets took their points from lot A (it expired first).

    Now: available = 120 + 15 (A's 25 left expired, pending), held 25 (held points do not
    expire), deducted 10.
    """
    now = datetime.now(UTC)
    db = Database.from_settings(Settings(database_url=url))
    clock = StepClock(add_years(now - timedelta(days=10), -2))
    ctx = Context(actor="test", role="admin", clock=clock, return_grace=timedelta(days=30))
    try:
        await db.write(accounts.PutAccount(ctx=ctx, account_id="acme"))
        await db.write(accounts.PutAccount(ctx=ctx, account_id="empty"))
        await db.write(grants.Purchase(ctx=ctx, account_id="acme", plan="points-60", payment_id="pay-old"))
        clock.current = now - timedelta(days=30)
        await db.write(grants.Purchase(ctx=ctx, account_id="acme", plan="points-120", payment_id="pay-new"))
        await db.write(grants.AdjustPoints(ctx=ctx, account_id="acme", points=15, reason="goodwill"))

        def opening(ref: str, category: str) -> tickets.OpenTicket:
            return tickets.OpenTicket(ctx=ctx, account_id="acme", external_ref=ref, category=category)

        t1 = await db.write(opening("T-1", "store-problem"))
        t2 = await db.write(opening("T-2", "consultation"))
        await db.write(tickets.ResolveTicket(ctx=ctx, account_id="acme", ticket_id=t2.ticket.id))
        t3 = await db.write(opening("T-3", "small-mod"))
        await db.write(tickets.RefundTicket(ctx=ctx, account_id="acme", ticket_id=t3.ticket.id, reason="withdrawn"))
        return {"T-1": t1.ticket.id, "T-2": t2.ticket.id, "T-3": t3.ticket.id}
    finally:
        await db.dispose()


@pytest.fixture
def acme(env: dict[str, str]) -> dict[str, str]:
    return asyncio.run(_arrange(env["POINTS_DATABASE_URL"]))


def _csv_rows(env: dict[str, str], *args: str) -> list[dict[str, str]]:
    result = run(env, "statement", "acme", "--csv", *args)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout, newline="")))


class TestText:
    def test_shows_the_balance_and_the_three_parts(self, env, acme):
        result = run(env, "statement", "acme")
        assert result.returncode == 0, result.stderr
        out = result.stdout
        assert out.startswith("Account acme, as of ")
        lines = out.splitlines()
        header = lines.index("  available  held  deducted")
        assert lines[header + 1].split() == ["135", "25", "10"]

        part1 = out.index("1. Balance modifications")
        part2 = out.index("2. Tickets in progress")
        part3 = out.index("3. Closed tickets")
        assert part1 < part2 < part3
        mods, open_, closed = out[part1:part2], out[part2:part3], out[part3:]

        kinds = [m.group(1) for m in re.finditer(r"Z  (\w+(?: \(pending\))?)\s+([+-]\d+)", mods)]
        assert kinds == ["expiry (pending)", "adjustment", "purchase", "purchase"]
        assert re.search(r"expiry \(pending\)\s+-25\b", mods)
        assert re.search(r"adjustment\s+\+15\s+goodwill", mods)
        assert re.search(r"purchase\s+\+120\b", mods) and re.search(r"purchase\s+\+60\b", mods)
        assert "total +170" in mods
        # tickets never appear among the modifications
        assert "capture" not in mods and "deduction" not in mods and "T-" not in mods

        assert re.search(r"T-1\s+store-problem\s+25\s+\d{4}-", open_)
        assert "T-2" not in open_ and "T-3" not in open_
        assert "total captured 25" in open_

        assert re.search(r"T-3\s+small-mod\s+refunded\s+25\s+25\s+0\s+\d{4}-", closed)
        assert re.search(r"T-2\s+consultation\s+resolved\s+10\s+0\s+10\s+\d{4}-", closed)
        assert closed.index("T-3") < closed.index("T-2")  # newest first
        assert "total taken 10" in closed
        # the parts reconcile: 170 - 25 - 10 = 135

    def test_columns_are_aligned(self, env, acme):
        out = run(env, "statement", "acme").stdout
        section = out[out.index("3. Closed tickets") :].splitlines()[1:4]
        header, *rows = section
        # right-aligned figures end in the same column as their header
        for name in ("charged", "returned", "taken"):
            end = header.index(name) + len(name)
            assert all(row[end - 1].isdigit() and row[end] == " " for row in rows), section

    def test_an_account_with_nothing(self, env, acme):
        result = run(env, "statement", "empty")
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("(none)") == 3
        assert result.stdout.splitlines()[3].split() == ["0", "0", "0"]

    def test_limit_keeps_the_newest_rows_and_says_so(self, env, acme):
        out = run(env, "statement", "acme", "--limit", "1").stdout
        mods = out[out.index("1. Balance") : out.index("2. Tickets")]
        assert "expiry (pending)" in mods and "purchase" not in mods
        assert "only the newest 1 are shown" in mods
        closed = out[out.index("3. Closed") :]
        assert "T-3" in closed and "T-2" not in closed
        assert "total" not in mods and "total taken" not in closed  # totals of a partial list would mislead


class TestCsv:
    def test_one_document_with_exactly_the_expected_rows(self, env, acme):
        rows = _csv_rows(env)
        assert [r["part"] for r in rows] == [
            "balance",
            "modification",
            "modification",
            "modification",
            "modification",
            "in_progress",
            "closed",
            "closed",
        ]
        balance = rows[0]
        assert (balance["account_id"], balance["available"], balance["held"], balance["deducted"]) == (
            "acme",
            "135",
            "25",
            "10",
        )
        as_of = datetime.fromisoformat(balance["as_of"])
        assert as_of.utcoffset() == timedelta(0) and abs(datetime.now(UTC) - as_of) < timedelta(minutes=1)

        mods = rows[1:5]
        assert [(m["kind"], m["points"], m["pending"], m["reason"]) for m in mods] == [
            ("expiry", "-25", "true", ""),
            ("adjustment", "15", "false", "goodwill"),
            ("purchase", "120", "false", ""),
            ("purchase", "60", "false", ""),
        ]
        assert mods[0]["seq"] == "" and [int(m["seq"]) for m in mods[1:]] == sorted(
            (int(m["seq"]) for m in mods[1:]), reverse=True
        )
        # a pending expiry happened at the lot's expiry, 10 days ago; purchases when they were bought
        expired_at = datetime.fromisoformat(mods[0]["when"])
        assert timedelta(days=9) < datetime.now(UTC) - expired_at < timedelta(days=12)
        assert add_years(datetime.fromisoformat(mods[3]["when"]), 2) == expired_at  # the 60 points' lot

        (open_,) = [r for r in rows if r["part"] == "in_progress"]
        assert (open_["ticket_id"], open_["external_ref"], open_["category"], open_["captured_points"]) == (
            acme["T-1"],
            "T-1",
            "store-problem",
            "25",
        )
        assert open_["opened_at"] and open_["closed_at"] == "" and open_["status"] == ""

        closed = [r for r in rows if r["part"] == "closed"]
        assert [
            tuple(
                c[k]
                for k in ("external_ref", "category", "status", "charged_points", "returned_points", "points_taken")
            )
            for c in closed
        ] == [
            ("T-3", "small-mod", "refunded", "25", "25", "0"),
            ("T-2", "consultation", "resolved", "10", "0", "10"),
        ]
        assert all(c["closed_at"] and c["captured_points"] == "" for c in closed)

        # the parts reconcile (docs/design.md §6)
        taken = sum(int(c["points_taken"]) for c in closed)
        assert sum(int(m["points"]) for m in mods) - int(open_["captured_points"]) - taken == int(balance["available"])
        assert taken == int(balance["deducted"])

    def test_only_the_relevant_fields_are_filled(self, env, acme):
        rows = _csv_rows(env)
        filled = {part: set() for part in ("balance", "modification", "in_progress", "closed")}
        for row in rows:
            filled[row["part"]] |= {k for k, v in row.items() if v and k != "part"}
        assert filled["balance"] == {"account_id", "available", "held", "deducted", "as_of"}
        assert filled["modification"] == {"seq", "when", "recorded_at", "kind", "points", "reason", "pending"}
        assert filled["in_progress"] == {"ticket_id", "external_ref", "category", "captured_points", "opened_at"}
        assert filled["closed"] == {
            "ticket_id",
            "external_ref",
            "category",
            "status",
            "charged_points",
            "returned_points",
            "points_taken",
            "opened_at",
            "closed_at",
        }

    def test_limit_applies_to_each_part_and_is_reported_on_stderr(self, env, acme):
        result = run(env, "statement", "acme", "--csv", "--limit", "1")
        assert result.returncode == 0
        rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
        assert [r["part"] for r in rows] == ["balance", "modification", "in_progress", "closed"]
        assert rows[1]["pending"] == "true" and rows[3]["external_ref"] == "T-3"
        assert "modification, closed" in result.stderr and "--limit" in result.stderr

    def test_an_account_with_nothing_has_only_the_balance_row(self, env, acme):
        result = run(env, "statement", "empty", "--csv")
        assert result.returncode == 0 and result.stderr == ""
        rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
        assert len(rows) == 1 and rows[0]["part"] == "balance" and rows[0]["available"] == "0"


class TestErrors:
    @pytest.mark.parametrize("fmt", [[], ["--csv"]])
    def test_an_unknown_account_exits_1_with_a_message_on_stderr(self, env, acme, fmt):
        result = run(env, "statement", "nobody", *fmt)
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.strip() == "points-service: account 'nobody' does not exist"

    def test_usage_errors_exit_2(self, env):
        assert run(env, "statement").returncode == 2
        assert run(env, "statement", "acme", "--limit", "0").returncode == 2


def _all_commands() -> list[list[str]]:
    """Every command path of the CLI, groups included (`[]` is the top level)."""
    found: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        found.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


class TestHelp:
    def test_every_command_has_a_docstring(self):
        missing = []
        for info in app.registered_commands:
            if not (info.callback.__doc__ or "").strip():
                missing.append(info.name or info.callback.__name__)
        for group in app.registered_groups:
            for info in group.typer_instance.registered_commands:
                if not (info.callback.__doc__ or "").strip():
                    missing.append(f"{group.name} {info.name or info.callback.__name__}")
        assert missing == []

    def test_every_command_answers_help(self):
        # In-process (CliRunner): a dozen interpreter start-ups would cost half a minute here.
        commands = _all_commands()
        assert ["statement"] in commands and ["keys", "create"] in commands
        root = typer.main.get_command(app)
        runner = CliRunner()
        for path in commands:
            result = runner.invoke(app, [*path, "--help"], prog_name="points-service")
            assert result.exit_code == 0 and "Usage" in result.output, (path, result.output)
            command = root
            for name in path:
                command = command.commands[name]  # type: ignore[attr-defined]  # a click Group here, not a Command
            # the first words of the command's description appear in its help
            first = " ".join((command.help or "").split()[:3])
            assert first and first in " ".join(result.output.split()), (path, first)

    def test_statement_help_describes_it(self, env):
        out = " ".join(run(env, "statement", "--help").stdout.split())
        for words in ("ACCOUNT", "--csv", "--limit", "balance modifications", "tickets in progress", "closed tickets"):
            assert words in out, words
