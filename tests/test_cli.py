"""The `points-service` command, run as a real process."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from support.figures import expired
from support.servers import EXE


@pytest.fixture
def env(template_db: Path, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "points.db"
    shutil.copy(template_db, path)
    return {**os.environ, "POINTS_DATABASE_URL": f"sqlite:///{path}"}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, timeout=60)


def db_path(env: dict[str, str]) -> str:
    return env["POINTS_DATABASE_URL"].removeprefix("sqlite:///")


class TestKeys:
    def test_create_prints_the_key_alone_and_stores_only_its_hash(self, env):
        created = run(env, "keys", "create", "--role", "billing", "--name", "billing-1")
        assert created.returncode == 0, created.stderr
        secret = created.stdout.strip()
        assert created.stdout.count("\n") == 1 and secret.startswith("pts_") and len(secret) >= 40
        with sqlite3.connect(db_path(env)) as conn:
            stored = conn.execute("SELECT key_hash FROM api_keys WHERE name = 'billing-1'").fetchone()[0]
            dump = "\n".join(conn.iterdump())
        assert secret not in dump and len(stored) == 64

    def test_list_and_revoke_never_print_secrets(self, env):
        secret = run(env, "keys", "create", "--role", "helpdesk", "--name", "hd").stdout.strip()
        assert run(env, "keys", "revoke", "hd").returncode == 0
        listed = run(env, "keys", "list", "--json")
        assert listed.returncode == 0
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        assert rows[0]["name"] == "hd" and rows[0]["revoked_at"] is not None
        assert secret not in listed.stdout

    def test_names_are_never_reused(self, env):
        assert run(env, "keys", "create", "--role", "admin", "--name", "ops").returncode == 0
        assert run(env, "keys", "revoke", "ops").returncode == 0
        again = run(env, "keys", "create", "--role", "admin", "--name", "ops")
        assert again.returncode == 1 and "never reused" in again.stderr and again.stdout == ""

    def test_a_viewer_key_needs_an_account(self, env):
        refused = run(env, "keys", "create", "--role", "viewer", "--name", "v")
        assert refused.returncode == 1 and "viewer" in refused.stderr

    def test_revoking_an_unknown_key_fails(self, env):
        assert run(env, "keys", "revoke", "nobody").returncode == 1

    def test_init_creates_one_admin_key_once(self, env):
        first = run(env, "keys", "init")
        assert first.returncode == 0 and "pts_" in first.stdout and "curl" in first.stdout
        second = run(env, "keys", "init")
        assert second.returncode == 0 and "pts_" not in second.stdout


class TestVerifyAndExpire:
    def test_verify_is_clean_on_a_fresh_database(self, env):
        result = run(env, "verify")
        assert result.returncode == 0
        assert json.loads(result.stdout)["ok"] is True

    def test_verify_exits_1_on_a_tampered_balance(self, env):
        with sqlite3.connect(db_path(env)) as conn:
            conn.execute(
                "INSERT INTO accounts (id, metadata, available, held, deducted, last_seq, created_at, updated_at)"
                " VALUES ('acme', '{}', 5, 0, 0, 0, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')"
            )
        result = run(env, "verify")
        assert result.returncode == 1
        report = json.loads(result.stdout)
        assert report["ok"] is False
        assert {d["check"] for d in report["disagreements"]} >= {"entries sum to counters"}

    def test_expire_prints_what_it_expired(self, env):
        result = run(env, "expire")
        assert result.returncode == 0
        printed = json.loads(result.stdout)
        assert expired(printed) == {"expired_lots": 0, "expired_points": 0, "accounts": []}
        purges = {k: printed[k] for k in ("purged_events", "purged_idempotency_keys", "purged_sessions")}
        assert purges == {"purged_events": 0, "purged_idempotency_keys": 0, "purged_sessions": 0}


class TestServe:
    def test_several_workers_on_sqlite_is_refused(self, env):
        result = run(env, "serve", "--workers", "2")
        assert result.returncode == 2 and "SQLite" in result.stderr

    def test_help_is_available_everywhere(self, env):
        for args in ([], ["keys"], ["serve"], ["keys", "create"], ["verify"], ["expire"], ["migrate"]):
            result = run(env, *args, "--help")
            assert result.returncode == 0 and "Usage" in result.stdout


class TestUnreachableDatabase:
    def test_serve_exits_with_a_one_line_error(self, env):
        unreachable = {**env, "POINTS_DATABASE_URL": "postgresql+psycopg://points@127.0.0.1:1/points"}
        result = run(unreachable, "serve", "--port", "1")
        assert result.returncode == 69
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith("points-service: cannot migrate the database")


# Every command that works on an existing database; `serve`, `migrate` and `keys init` make one.
ON_AN_EXISTING_DATABASE = [
    ["keys", "create", "--role", "admin", "--name", "ops"],
    ["keys", "list"],
    ["keys", "revoke", "ops"],
    ["expire"],
    ["purge"],
    ["verify"],
    ["statement", "acme"],
    ["export", "--from", "2026-01-01T00:00:00Z", "--to", "2026-02-01T00:00:00Z"],
    ["report", "finance", "--from", "2026-01-01T00:00:00Z", "--to", "2026-02-01T00:00:00Z"],
]


class TestMissingDatabase:
    @pytest.mark.parametrize("args", ON_AN_EXISTING_DATABASE, ids=lambda args: " ".join(args[:2]))
    def test_a_missing_sqlite_file_is_named_and_nothing_is_created(self, tmp_path, args):
        where = tmp_path / "elsewhere"
        where.mkdir()
        env = {k: v for k, v in os.environ.items() if k != "POINTS_DATABASE_URL"}  # the default, var/points.db
        result = subprocess.run([str(EXE), *args], env=env, cwd=where, capture_output=True, text=True, timeout=60)
        assert result.returncode == 69, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
        message = result.stderr
        assert f"no database at {where / 'var' / 'points.db'}" in message, message
        assert "POINTS_DATABASE_URL" in message and "make run" in message and "migrate" in message
        assert list(where.iterdir()) == []  # no var/, no empty database

    def test_a_database_without_its_schema_says_to_migrate(self, tmp_path):
        path = tmp_path / "empty.db"
        sqlite3.connect(path).close()
        result = run({**os.environ, "POINTS_DATABASE_URL": f"sqlite:///{path}"}, "keys", "list")
        assert result.returncode == 69 and "points-service migrate" in result.stderr, result.stderr

    def test_keys_init_creates_the_database(self, tmp_path):
        path = tmp_path / "var" / "points.db"
        result = run({**os.environ, "POINTS_DATABASE_URL": f"sqlite:///{path}"}, "keys", "init")
        assert result.returncode == 0, result.stderr
        assert path.exists() and result.stdout.strip()


class TestKeysInit:
    def test_the_first_run_prints_the_key_with_the_service_s_address(self, tmp_path):
        env = {**os.environ, "POINTS_DATABASE_URL": f"sqlite:///{tmp_path / 'points.db'}"}
        first = run(env, "keys", "init", "--url", "http://127.0.0.1:8080")
        assert first.returncode == 0, first.stderr
        assert (
            "curl -s -H 'Authorization: Bearer pts_" in first.stdout
            and "http://127.0.0.1:8080/v1/plans" in first.stdout
        )

    def test_a_later_run_says_how_to_make_another_admin_key(self, tmp_path):
        env = {**os.environ, "POINTS_DATABASE_URL": f"sqlite:///{tmp_path / 'points.db'}"}
        assert run(env, "keys", "init").returncode == 0
        # run from elsewhere (the program is named by its absolute path); from the checkout it is .venv/bin/…
        again = subprocess.run(
            [str(EXE), "keys", "init"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert again.returncode == 0, again.stderr
        assert "pts_" not in again.stdout
        [command] = [line.strip() for line in again.stdout.splitlines() if "keys create" in line]
        assert command == f"{EXE} keys create --role admin --name admin-2"
        # the command shown works as printed, and the name it suggests is free
        made = subprocess.run(command.split(), env=env, capture_output=True, text=True, timeout=60)
        assert made.returncode == 0 and made.stdout.startswith("pts_"), made.stderr
        [command] = [line.strip() for line in run(env, "keys", "init").stdout.splitlines() if "keys create" in line]
        assert command.endswith("--name admin-3")
