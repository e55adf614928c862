"""A PostgreSQL server that stops answering without closing its connections (PostgreSQL only).

Every process of the test cluster is stopped with SIGSTOP: its sockets stay open and its kernel
still acknowledges what the service sends, so neither TCP nor the driver notices anything — the
case a frozen VM, a stuck storage layer or a long stop-the-world pause give. The service must:

* hold no request longer than POINTS_DB_STATEMENT_TIMEOUT (2 s here, plus a margin for the HTTP
  round trip), answering 503 `database-busy` meanwhile; a write that was under way when the wait
  ran out says `outcome_unknown`;
* recover by itself once the server answers again (SIGCONT), with no restart;
* have applied each write at most once: the writes with an Idempotency-Key, repeated with it until
  answered, are each applied exactly once; a write without one that was answered plain 503 (it
  never left the writers' queue) is never applied; and the ledger verifies.

(A write with an Idempotency-Key first reads whether its key was answered before, so while the
server is frozen it is answered at that read; the writes without a key reach the writers.)

The cluster is frozen whole (the postmaster too, so no new connection can be made either), which is
why this test lives with the crash tests: they run one at a time, never beside other tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

TIMEOUT = 2.0  # POINTS_DB_STATEMENT_TIMEOUT for this test's service
MARGIN = 1.5  # the HTTP round trip and the event loop's own scheduling
FROZEN_FOR = 6.0  # well past the timeout, so every request meets it
WRITES = 8
UNKEYED = 8
READS = 16


def _postmaster(data_dir: str) -> int:
    return int(Path(data_dir, "postmaster.pid").read_text().splitlines()[0])


def _family(postmaster: int) -> list[int]:
    """The postmaster and every process below it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    family, frontier = {postmaster}, [postmaster]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in family:
                family.add(pid)
                frontier.append(pid)
    return sorted(family)


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2]


def _freeze(postmaster: int) -> list[int]:
    """SIGSTOP the postmaster (so no backend is started any more), then every process below it, and
    wait until each is stopped (a signal is delivered asynchronously: a backend could still answer
    a statement sent the moment after kill() returned). Returns the processes stopped."""
    _signal_all([postmaster], signal.SIGSTOP)
    while _state(postmaster) not in ("T", "t"):
        time.sleep(0.005)
    pids = _family(postmaster)
    _signal_all(pids, signal.SIGSTOP)
    deadline = time.monotonic() + 5
    while any(_state(pid) not in (None, "T", "t") for pid in pids):
        assert time.monotonic() < deadline, "the cluster did not stop"
        time.sleep(0.01)
    return pids


async def test_a_frozen_database_holds_no_request_past_the_timeout_and_the_service_recovers(crash_cluster: Any) -> None:
    data_dir = os.environ.get("POINTS_TEST_PG_DATA")
    if not data_dir:
        pytest.skip("POINTS_TEST_PG_DATA is not set: the cluster is not scripts/with_postgres.py's to freeze")
    # A key remembered for a second lets writes get past its look-up to the writers while frozen.
    crash_cluster.settings.update({"POINTS_DB_STATEMENT_TIMEOUT": str(TIMEOUT), "POINTS_AUTH_CACHE_SECONDS": "1"})
    await asyncio.to_thread(crash_cluster.stop)
    await asyncio.to_thread(crash_cluster.start)
    admin = crash_cluster.auth("admin")
    async with httpx.AsyncClient(base_url=crash_cluster.base_url, headers=admin, timeout=30.0) as http:
        assert (await http.put("/v1/accounts/frozen", json={})).status_code == 201

        async def write(n: int) -> tuple[int, float, dict[str, Any]]:
            started = time.monotonic()
            r = await http.post(
                "/v1/accounts/frozen/adjustments",
                json={"points": 10, "reason": f"write {n}"},
                headers={"Idempotency-Key": f"frozen-{n}"},
            )
            return r.status_code, time.monotonic() - started, r.json()

        async def unkeyed(n: int) -> tuple[int, float, dict[str, Any]]:
            started = time.monotonic()
            r = await http.post("/v1/accounts/frozen/adjustments", json={"points": 10, "reason": f"unkeyed {n}"})
            return r.status_code, time.monotonic() - started, r.json()

        async def read() -> tuple[int, float, dict[str, Any]]:
            started = time.monotonic()
            r = await http.get("/v1/accounts/frozen/balance")
            return r.status_code, time.monotonic() - started, r.json()

        # The account's existence and the key are remembered now, so writes without a key get past
        # the access checks to the writers while the server is frozen.
        warm_up = await http.post("/v1/accounts/frozen/adjustments", json={"points": 10, "reason": "warm-up"})
        assert warm_up.status_code == 201, warm_up.text
        await read()
        pids = _freeze(_postmaster(data_dir))
        try:
            answers = await asyncio.gather(
                *(write(n) for n in range(WRITES)),
                *(unkeyed(n) for n in range(UNKEYED)),
                *(read() for _ in range(READS)),
            )
            await asyncio.sleep(max(0.0, FROZEN_FOR - TIMEOUT - MARGIN))
        finally:
            _signal_all(pids, signal.SIGCONT)

        slowest = max(seconds for _, seconds, _ in answers)
        assert slowest <= TIMEOUT + MARGIN, f"a request was held {slowest:.2f} s"
        statuses = Counter(status for status, _, _ in answers)
        assert statuses == {503: WRITES + UNKEYED + READS}, answers
        assert all(body["type"] == "/problems/database-busy" for _, _, body in answers)
        unkeyed_answers = answers[WRITES : WRITES + UNKEYED]
        unknown = sum(bool(body.get("outcome_unknown")) for _, _, body in unkeyed_answers)
        assert not any(body.get("outcome_unknown") for _, _, body in answers[WRITES + UNKEYED :]), (
            "a read changed nothing"
        )

        # Recovered by itself: within a few seconds every request works again.
        deadline = time.monotonic() + 30
        while True:
            status, _, _ = await read()
            if status == 200:
                break
            assert time.monotonic() < deadline, "the service did not recover after the server answered again"
            await asyncio.sleep(0.2)

        # Each write, repeated with its key until answered, is applied exactly once.
        for n in range(WRITES):
            for _ in range(50):
                status, _, _ = await write(n)
                if status in (200, 201):
                    break
                await asyncio.sleep(0.2)
            assert status in (200, 201), status
        ledger = (await http.get("/v1/accounts/frozen/ledger", params={"kind": "adjustment", "limit": 500})).json()
        reasons = Counter(entry["reason"] for entry in ledger["items"])
        assert all(reasons[f"write {n}"] == 1 for n in range(WRITES)), reasons
        for n, (_, _, body) in enumerate(unkeyed_answers):
            applied = reasons[f"unkeyed {n}"]
            assert applied <= 1, reasons
            if not body.get("outcome_unknown"):
                assert applied == 0, f"unkeyed {n} was answered as not applied, yet it was"
        status, _, balance = await read()
        applied_unkeyed = sum(reasons[f"unkeyed {n}"] for n in range(UNKEYED))
        assert (status, balance["available"]) == (200, 10 * (1 + WRITES + applied_unkeyed)), balance
        verify = await http.get("/v1/admin/verify")
        assert verify.json()["ok"], verify.json()
    print(
        f"\nfrozen for ~{FROZEN_FOR:.0f} s: {dict(statuses)}, slowest answer {slowest:.2f} s; writes without a key: "
        f"{unknown} outcome_unknown, {applied_unkeyed} applied"
    )
