"""The generated Python client (clients/python/) and the example that uses it.

* The committed client is what `make client` generates from the committed OpenAPI document.
* examples/expiring_points_report.py, run against a live `points-service serve` filled over HTTP,
  prints exactly the accounts whose points expire in the next N days, as a table or CSV.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from support.servers import EXE, free_port, server_env, spawn
from testkeys import TEST_KEYS

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "clients" / "python"
GENERATE = ROOT / "scripts" / "generate_client.py"
EXAMPLE = ROOT / "examples" / "expiring_points_report.py"


# --------------------------------------------------------------------------- staleness


def _generated_files(root: Path) -> dict[str, bytes]:
    """The tree's files, without what installing or running it leaves behind (all git-ignored)."""

    def leftover(rel: Path) -> bool:
        return any(
            part in {"__pycache__", ".ruff_cache", "build", "dist"} or part.endswith((".egg-info", ".pyc"))
            for part in rel.parts
        )

    return {
        rel.as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not leftover(rel := path.relative_to(root))
    }


def test_committed_client_is_what_make_client_generates(tmp_path: Path) -> None:
    out = tmp_path / "python"
    done = subprocess.run([sys.executable, str(GENERATE), str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"generating the client failed:\n{done.stdout}\n{done.stderr}"

    fresh, committed = _generated_files(out), _generated_files(CLIENT)
    missing = sorted(fresh.keys() - committed.keys())
    extra = sorted(committed.keys() - fresh.keys())
    changed = sorted(name for name in fresh.keys() & committed.keys() if fresh[name] != committed[name])
    if missing or extra or changed:
        lines = [
            "clients/python/ is stale: run `make client`",
            f"missing: {missing}",
            f"extra: {extra}",
            f"changed: {changed}",
        ]
        if changed:
            diff = difflib.unified_diff(
                committed[changed[0]].decode(errors="replace").splitlines(),
                fresh[changed[0]].decode(errors="replace").splitlines(),
                f"committed/{changed[0]}", f"generated/{changed[0]}", lineterm="",
            )  # fmt: skip
            lines += list(diff)[:40]
        pytest.fail("\n".join(lines))


# --------------------------------------------------------------------------- a live service


@dataclass
class Service:
    base_url: str
    admin: httpx.Client
    now: datetime  # when it was filled, to whole seconds

    def expiry(self, days: int) -> str:
        """The report's rendering of `now + days`."""
        return (self.now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fill(admin: httpx.Client, now: datetime) -> None:
    """Accounts with imported lots expiring inside and outside the next 30 days."""

    def at(days: int) -> str:
        return (now + timedelta(days=days)).isoformat()

    accounts: dict[str, tuple[str | None, list[tuple[int, int | None]]]] = {
        # account: (display_name, [(points, expires in days, None: never)])
        "acme": ("ACME Corp", [(120, 10), (30, 20), (500, 45)]),
        "beta": ("Beta, Inc.", [(40, 3)]),
        "gamma": (None, [(25, 25)]),
        "later": ("Later Ltd", [(80, 90)]),
        "forever": ("Forever", [(10, None)]),
        "empty": ("Nothing", []),
    }
    for account_id, (name, lots) in accounts.items():
        r = admin.put(f"/v1/accounts/{account_id}", json={"display_name": name} if name else {})
        assert r.status_code == 201, r.text
        for n, (points, days) in enumerate(lots):
            body = {
                "points": points,
                "granted_at": at(-1),
                "expires_at": None if days is None else at(days),
                "external_ref": f"legacy-{account_id}-{n}",
                "reason": "balance from the old system",
            }
            r = admin.post(f"/v1/accounts/{account_id}/imports", json=body)
            assert r.status_code == 201, r.text
    # an account whose only lot has already expired
    r = admin.put("/v1/accounts/gone", json={"display_name": "Gone"})
    assert r.status_code == 201, r.text
    body = {"points": 60, "granted_at": at(-800), "expires_at": at(-1), "external_ref": "legacy-gone", "reason": "old"}
    r = admin.post("/v1/accounts/gone/imports", json=body)
    assert r.status_code == 201, r.text


@pytest.fixture(scope="module")
def service(keyed_template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`points-service serve` on a copy of the keyed template, filled through HTTP."""
    workdir = tmp_path_factory.mktemp("client")
    db = workdir / "points.db"
    shutil.copy(keyed_template_db, db)
    url = f"sqlite:///{db}"
    env = server_env(url, POINTS_SQLITE_SYNCHRONOUS="NORMAL")
    server = spawn(url, [str(EXE), "serve", "--host", "127.0.0.1"], workdir / "server.log", TEST_KEYS, env=env)
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        with httpx.Client(base_url=server.base_url, headers=server.auth("admin"), timeout=30) as admin:
            _fill(admin, now)
            yield Service(server.base_url, admin, now)
    finally:
        server.stop()


def report(service: Service, *args: str, token: str | None = TEST_KEYS["admin"]) -> subprocess.CompletedProcess[str]:
    """Run the example against the service, the key in POINTS_API_KEY."""
    if importlib.util.find_spec("points_service_client") is None:
        pytest.fail("points_service_client is not installed: `make install` (pip install -e clients/python)")
    env = {key: value for key, value in os.environ.items() if key != "POINTS_API_KEY"}
    if token is not None:
        env["POINTS_API_KEY"] = token
    return subprocess.run(
        [sys.executable, str(EXAMPLE), "--base-url", service.base_url, *args],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


# --------------------------------------------------------------------------- the example


def test_csv_lists_accounts_with_points_expiring_in_the_window(service: Service) -> None:
    # three accounts, two pages of two: next_cursor is followed
    done = report(service, "--days", "30", "--csv", "--page-size", "2")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines() == [
        "account_id,display_name,expiring_points,earliest_expiry",
        f'beta,"Beta, Inc.",40,{service.expiry(3)}',
        f"acme,ACME Corp,150,{service.expiry(10)}",  # not the 500 expiring in 45 days
        f"gamma,,25,{service.expiry(25)}",
    ]


def test_table_with_a_wider_window(service: Service) -> None:
    done = report(service, "--days", "60")
    assert done.returncode == 0, done.stderr
    e3, e10, e25 = service.expiry(3), service.expiry(10), service.expiry(25)
    assert done.stdout.splitlines() == [
        "account_id  display_name  expiring_points  earliest_expiry",
        "----------  ------------  ---------------  --------------------",
        f"beta        Beta, Inc.                 40  {e3}",
        f"acme        ACME Corp                 650  {e10}",
        f"gamma                                  25  {e25}",
        "",
        "3 accounts, 715 points expiring in the next 60 days.",
    ]


def test_token_option_and_an_empty_window(service: Service) -> None:
    done = report(service, "--days", "1", "--token", TEST_KEYS["helpdesk"], token=None)
    assert (done.returncode, done.stdout, done.stderr) == (0, "No points expire in the next 1 days.\n", "")
    done = report(service, "--days", "1", "--csv", "--token", TEST_KEYS["billing"], token="not-a-key")
    assert (done.returncode, done.stdout) == (0, "account_id,display_name,expiring_points,earliest_expiry\n")


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("unknown", "error: 401 Unauthorized: a valid API key is required\n"),
        ("viewer", "error: 403 Forbidden: "),
    ],
)
def test_problems_go_to_stderr_with_status_1(service: Service, role: str, message: str) -> None:
    done = report(service, "--csv", token=TEST_KEYS.get(role, "pts_not_a_key"))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith(message), done.stderr


def test_a_missing_key_is_a_usage_error(service: Service) -> None:
    done = report(service, token=None)
    assert done.returncode == 2
    assert "POINTS_API_KEY" in done.stderr


def test_an_unreachable_server_is_reported(service: Service) -> None:
    unreachable = Service(f"http://127.0.0.1:{free_port()}", service.admin, service.now)
    done = report(unreachable, "--csv")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith(f"error: {unreachable.base_url}: "), done.stderr
