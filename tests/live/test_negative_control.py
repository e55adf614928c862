"""Negative control: proof that the overdraft race test (scenario (a)) can catch a race.

PostgreSQL only: SQLite serialises every writer with `BEGIN IMMEDIATE`, so there is no race there
to uncover with the account lock removed.

The service has two lines of defence against two transactions writing one account at once:

1. `lock_account` reads the account row `FOR UPDATE`, so writers of one account queue up;
2. the UNIQUE (account_id, seq) constraints on `ledger_entries` and on `events`: unlocked
   writers read the same `last_seq` (and `event_seq`), so all but one collide on the next `seq`,
   fail and are retried (and then see the other's points gone).

To show that scenario (a) detects a missing lock, the control database first drops the
constraints of 2 (`uq_ledger_entries_account_id`, `uq_events_account_id`), then:

* `test_without_the_account_lock_the_race_overdraws` serves it with four `unsafe_serve.py`
  processes, the real app with `lock_account` monkeypatched to read the account without
  `FOR UPDATE` and the group-commit writer's up-front account locks removed (the patches live
  only in tests/). Each unsafe transaction also waits 0.2 s between reading the account's lots
  and writing them, so unlocked transactions always overlap; without that wait, whether they
  overlapped was luck, and a busy CI machine once ran them one after the other (3 of 64 opens
  succeeded, no disagreement). Scenario (a), spread over the four, must then go wrong: more than
  3 opens of 30 succeed on 100 points, or the ledger check finds disagreements (lost updates of
  lot and account counters);
* `test_the_account_lock_alone_prevents_the_race` serves the same kind of database (constraint
  dropped) with the normal `points-service serve --workers 2`: exactly 3 opens succeed and the
  ledger verifies clean, so the lock alone is enough.
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from pgtools import libpq_dsn
from support.live import Live, open_race
from support.servers import is_postgres, make_keys, run_cli, serve_argv

DROP_SEQ_UNIQUE = (
    "ALTER TABLE ledger_entries DROP CONSTRAINT uq_ledger_entries_account_id",
    "ALTER TABLE events DROP CONSTRAINT uq_events_account_id",
)


@pytest.fixture
def control_db(database_url: str) -> tuple[str, dict[str, str]]:
    """The test's PostgreSQL database without the UNIQUE (account_id, seq) constraint, and keys."""
    if not is_postgres(database_url):
        pytest.skip("negative control runs on PostgreSQL: SQLite serialises writers with BEGIN IMMEDIATE")

    with psycopg.connect(libpq_dsn(database_url), autocommit=True) as conn:
        for statement in DROP_SEQ_UNIQUE:
            conn.execute(statement)
    return database_url, make_keys(database_url, "live")


async def test_without_the_account_lock_the_race_overdraws(control_db, start_server):
    url, keys = control_db
    # Several processes, several writers each: their batches read the same 100 points, unlocked,
    # and each captures them.
    launcher = [sys.executable, str(Path(__file__).parent / "unsafe_serve.py"), "--host", "127.0.0.1"]
    servers = [start_server(url, launcher, keys, name=f"unsafe-{i}") for i in range(4)]
    async with contextlib.AsyncExitStack() as stack:
        lives = [Live(s, await stack.enter_async_context(s.client())) for s in servers]
        live = lives[0]
        await live.account("acme")
        await live.grant("acme", 100)
        responses = await open_race(lives, "acme")
        verify = await live.get("/v1/admin/verify")
        balance = await live.balance("acme")

    statuses = Counter(r.status_code for r in responses)
    report = verify.json()
    overdrawn = statuses[201] > 3
    assert overdrawn or not report["ok"], (statuses, balance, report)
    # `points-service verify` sees the same disagreements and exits 1.
    if not report["ok"]:
        for s in servers:
            s.stop()
        assert run_cli(url, "verify").returncode == 1
    print(
        f"unsafe: {dict(statuses)}, balance {balance['available']}/{balance['held']}, "
        f"{len(report['disagreements'])} disagreements"
    )


async def test_the_account_lock_alone_prevents_the_race(control_db, start_server):
    url, keys = control_db
    server = start_server(url, serve_argv(url), keys)
    async with server.client() as http:
        live = Live(server, http)
        await live.account("acme")
        await live.grant("acme", 100)
        responses = await open_race([live], "acme")
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 3, 409: 61}, statuses
        assert all(r.json()["type"] == "/problems/insufficient-points" for r in responses if r.status_code == 409)
        balance = await live.balance("acme")
        assert (balance["available"], balance["held"]) == (10, 90)
        await live.assert_verified()
    server.stop()
    checked = run_cli(url, "verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr
