"""Crash test: the live service (or its PostgreSQL) crashes under load and restarts; nothing acknowledged is lost.

On each backend (SQLite with one worker and `synchronous=FULL`, PostgreSQL with two workers), 8
async clients run seeded random sequences of operations over 4 accounts — purchases (each with its
own payment id), manual grants and write-offs, ticket opens, adjusts, resolves, refunds and
credits — each logical operation with its own `Idempotency-Key`. Every attempt is recorded:

* answered (any HTTP answer but 503 `database-busy` and 409 `idempotency-in-progress`, which are
  retried after a short pause): the operation is *acknowledged* with that status and body;
* connection refused (`failed`: the request never reached a server) or reset / timed out
  (`indeterminate`: it may or may not have committed): the client waits for the restarted server
  and sends the same request again — same key, same body, same headers — until it is answered.

A chaos task kills the server 5 times (SIGKILL to the uvicorn supervisor and its workers at once)
at seeded random moments of the load — after a seeded random share of the operations, plus a
seeded random delay of up to 30 ms, so that requests are in flight at the kill however fast the
machine is — and restarts it on the same database (a new port; the clients switch to it). After
the load the server is killed once more at rest (so the operations acknowledged after the 5th
kill have survived a SIGKILL too) and restarted to read the final state.

The second test crashes PostgreSQL instead, at the same moments: `pg_ctl restart -m immediate`
(the command scripts/with_postgres.py exports as POINTS_TEST_PG_RESTART; skipped without it),
while the service keeps running and its clients keep sending. Its connections die under reads,
batches and COMMITs, and for a moment none can be made; every such request must be answered 503
and is retried with the same key (like an indeterminate attempt, a 503 lets a replay through the
audit: its COMMIT's outcome may be unknown). Its database has `synchronous_commit=on`.

Then, with every marker unique to one operation (payment ids, external refs, reasons, notes):

* **lost = 0**: every acknowledged 2xx has its effect — a 201 purchase's lot exists with its one
  `purchase` ledger entry, a grant's `adjustment` entry exists, an opened ticket exists, and a
  ticket call whose answer shows its history entry has that entry in the ticket's history;
* **applied twice = 0**: no payment id has two lots, no lot two purchase entries, no reason two
  ledger entries, no marker two history entries; every ticket's history is one entry per
  version and holds nothing but the opening and the entries of acknowledged calls; the ledger has
  as many purchase entries as there are acknowledged purchases;
* **mismatched = 0**: an operation answered with an error left no effect, a retry answered
  fresh found no effect of its earlier attempt (a purchase answered 200 or an open answered 409
  `conflict` would mean the first attempt committed without its key), and only an operation with
  an indeterminate attempt may be answered with a replay;
* no 5xx, no `idempotency-key-reused`, no operation left unanswered;
* `points-service verify` exits 0, and on SQLite `PRAGMA integrity_check` answers `ok`.

The figures are printed (run with `-s` to see them; `make crash` does) and attached to the test
report as `user_properties`. Short by default (8 × 25 operations); `POINTS_CRASH_OPS=300` for the
long run; `POINTS_CRASH_SEED` changes the seed.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from points_service.domain import lots as lot_rules

from pgtools import admin_sql
from support.live import pages

OPS_PER_CLIENT = int(os.environ.get("POINTS_CRASH_OPS", "25"))
SEED = int(os.environ.get("POINTS_CRASH_SEED", "20260115"))
CLIENTS = 8
KILLS = 5
ACCOUNTS = ("crash-a", "crash-b", "crash-c", "crash-d")
STARTING_POINTS = 300
PLANS = ("points-60", "points-120", "points-300")
REFUND_REASONS = [reason.value for reason in lot_rules.REFUND_REASONS]
MIN_OPS_BETWEEN_KILLS = 3  # answered on the new server before it may be killed again
STUCK_AFTER = 90.0  # seconds an operation may stay unanswered (across restarts) before the test fails
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
READY_TIMEOUT = 40.0  # seconds a restart may take (the fixture gives up after 30)
LOAD_TIMEOUT = 60.0 + OPS_PER_CLIENT * 1.0 + KILLS * READY_TIMEOUT + STUCK_AFTER

BUSY = "/problems/database-busy"
IN_PROGRESS = "/problems/idempotency-in-progress"
KEY_REUSED = "/problems/idempotency-key-reused"
CONFLICT = "/problems/conflict"

# (kind, weight)
MIX = (("purchase", 14), ("grant", 6), ("open", 26), ("adjust", 16), ("resolve", 16), ("refund", 8), ("credit", 14))


# --------------------------------------------------------------------------- operations


@dataclass
class Op:
    """One logical operation: one Idempotency-Key, sent until it is answered."""

    id: str
    kind: str
    method: str
    path: str
    role: str
    body: dict[str, Any]
    headers: dict[str, str]
    account_id: str | None = None
    ticket_id: str | None = None
    marker: str | None = None  # payment id, external ref, reason or note unique to this operation
    attempts: list[str] = field(default_factory=list)
    status: int | None = None
    answer: Any = None
    replayed: bool = False
    busy: int = 0  # 503 / 409 in-progress answers, retried

    @property
    def first(self) -> str:
        """acknowledged | failed | indeterminate | busy: what the first attempt got."""
        return self.attempts[0].split(" ", 1)[0] if self.attempts else "unsent"

    @property
    def transport_failures(self) -> int:
        return sum(a.startswith(("failed", "indeterminate")) for a in self.attempts)

    @property
    def maybe_committed_before(self) -> bool:
        """An earlier attempt may have reached the database (reset or timed out after sending)."""
        return any(a.startswith(("indeterminate", "busy")) for a in self.attempts[:-1])

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def problem_type(self) -> str:
        return self.answer.get("type", "") if isinstance(self.answer, dict) else ""


def history_markers(ticket: dict[str, Any]) -> list[str]:
    return [m for h in ticket.get("history", []) for m in (h.get("reason"), h.get("note")) if m]


@dataclass
class Shared:
    """What the clients know of the tickets (from their answers; possibly stale, for planning only)."""

    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def learn(self, op: Op) -> None:
        if op.ok and op.kind in ("open", "adjust", "resolve", "refund", "credit") and isinstance(op.answer, dict):
            known = self.tickets.get(op.answer["id"])
            if known is None or known["version"] <= op.answer["version"]:
                self.tickets[op.answer["id"]] = op.answer

    def pick(self, rng: random.Random, kind: str) -> dict[str, Any] | None:
        def fits(t: dict[str, Any]) -> bool:
            if kind in ("adjust", "resolve"):
                return t["status"] == "open"
            if kind == "refund":
                return t["status"] in ("open", "resolved")
            return t["status"] == "resolved" and t["deducted_points"] - t["returned_points"] >= 1  # credit

        candidates = sorted((t for t in self.tickets.values() if fits(t)), key=lambda t: t["id"])
        return rng.choice(candidates) if candidates else None


def plan(client: int, n: int, rng: random.Random, shared: Shared) -> Op:
    """The client's n-th operation, drawn from its seeded generator."""
    kind = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
    op_id = f"c{client}-{n}"
    key = {"Idempotency-Key": f"crash-{op_id}"}
    account = rng.choice(ACCOUNTS)
    ticket = shared.pick(rng, kind) if kind in ("adjust", "resolve", "refund", "credit") else None
    if kind in ("adjust", "resolve", "refund", "credit") and ticket is None:
        kind = "open"
    marker = f"op {op_id}"
    if kind == "purchase":
        marker = f"pay-{op_id}"
        body = {"plan": rng.choice(PLANS), "payment_id": marker}
        return Op(
            op_id, kind, "POST", f"/v1/accounts/{account}/purchases", "billing", body, key, account, marker=marker
        )
    if kind == "grant":
        points = rng.randint(10, 80) if rng.random() < 0.8 else -rng.randint(5, 40)
        body = {"points": points, "reason": marker}
        return Op(
            op_id, kind, "POST", f"/v1/accounts/{account}/adjustments", "admin", body, key, account, marker=marker
        )
    if kind == "open":
        marker = f"T-{op_id}"
        body = {"external_ref": marker, "category": "other", "estimated_points": rng.randint(5, 60)}
        return Op(op_id, kind, "POST", f"/v1/accounts/{account}/tickets", "helpdesk", body, key, account, marker=marker)
    assert ticket is not None
    if rng.random() < 0.25:  # sometimes with If-Match: a replay is answered before it is looked at
        key = {**key, "If-Match": f'"{ticket["version"]}"'}
    if kind == "adjust":
        points = ticket["captured_points"] if rng.random() < 0.1 else rng.randint(0, 70)
        body = {"points": points, "reason": marker}
    elif kind == "resolve":
        body = {"note": marker, **({"points": rng.randint(0, 70)} if rng.random() < 0.3 else {})}
    elif kind == "refund":
        body = {"reason": rng.choice(REFUND_REASONS), "note": marker}
    else:
        body = {"points": rng.randint(1, ticket["deducted_points"] - ticket["returned_points"]), "reason": marker}
    path = f"/v1/tickets/{ticket['id']}/{kind}"
    return Op(op_id, kind, "POST", path, "helpdesk", body, key, ticket["account_id"], ticket["id"], marker)


# --------------------------------------------------------------------------- chaos


@dataclass(frozen=True)
class Strike:
    """What the chaos task crashes and restarts: `run(cluster)` (blocking) does both."""

    name: str  # as the figures print it
    stops_service: bool  # the service's port goes away (the clients wait for the new one)
    run: Callable[[Any], None]


def _kill_and_start_service(cluster: Any) -> None:
    cluster.kill()
    cluster.start()


SIGKILL_SERVICE = Strike("SIGKILLs of the service", stops_service=True, run=_kill_and_start_service)


def database_restart(command: list[str]) -> Strike:
    """PostgreSQL stopped in immediate mode (as if it crashed: recovery from the WAL at start) and
    started again, while the service keeps running and its clients keep sending."""

    def run(_cluster: Any) -> None:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, timeout=READY_TIMEOUT)

    return Strike("restarts of PostgreSQL in immediate mode", stops_service=False, run=run)


class Chaos:
    """The server the clients talk to, and the task that crashes and restarts the service or its
    database (`strike`)."""

    def __init__(self, cluster: Any, rng: random.Random, total_ops: int, strike: Strike) -> None:
        self.cluster = cluster
        self.rng = rng
        self.total_ops = total_ops
        self.strike = strike
        self.up = asyncio.Event()
        self.up.set()
        self.generation = 0
        self.answered = 0  # operations answered, all clients together
        self.answered_since_start = 0
        self.in_flight = 0  # requests sent and not yet answered or failed
        self.kills: list[dict[str, Any]] = []
        self.load_done = False

    @property
    def base_url(self) -> str:
        return str(self.cluster.base_url)

    async def kill_and_restart(self, during_load: bool) -> None:
        if self.strike.stops_service:
            self.up.clear()  # before the kill: a client whose request fails sees that a restart is coming
        self.kills.append({"at_op": self.answered, "in_flight": self.in_flight, "during_load": during_load})
        await asyncio.to_thread(self.strike.run, self.cluster)
        self.generation += 1
        self.answered_since_start = 0
        self.up.set()

    async def run(self) -> None:
        """Kill after a seeded share of the operations (one in each sixth, jittered), plus 0–30 ms."""
        shares = [(k + 1 + self.rng.uniform(-0.35, 0.35)) / (KILLS + 1) for k in range(KILLS)]
        for share in shares:
            while not self.load_done and (
                self.answered < share * self.total_ops or self.answered_since_start < MIN_OPS_BETWEEN_KILLS
            ):
                await asyncio.sleep(0.002)
            await asyncio.sleep(self.rng.uniform(0, 0.03))
            await self.kill_and_restart(during_load=not self.load_done)


async def send(http: httpx.AsyncClient, chaos: Chaos, keys: dict[str, str], op: Op) -> None:
    """Send `op` until it is answered: same key, body and headers on every attempt."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STUCK_AFTER
    while loop.time() < deadline:
        try:  # the server is being restarted: wait for it (but not forever)
            await asyncio.wait_for(chaos.up.wait(), timeout=max(0.01, deadline - loop.time()))
        except TimeoutError:
            break
        generation, url = chaos.generation, chaos.base_url + op.path
        headers = {"Authorization": f"Bearer {keys[op.role]}", **op.headers}
        chaos.in_flight += 1
        try:
            r = await http.request(op.method, url, json=op.body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            op.attempts.append(f"failed ({type(exc).__name__})")  # never reached a server
        except httpx.TransportError as exc:
            op.attempts.append(f"indeterminate ({type(exc).__name__})")  # reset or timed out after sending
        else:
            try:
                answer: Any = r.json()
            except ValueError:
                answer = r.text
            kind = answer.get("type", "") if isinstance(answer, dict) else ""
            if r.status_code == 503 or (r.status_code == 409 and kind == IN_PROGRESS):
                unknown = r.status_code == 503 and isinstance(answer, dict) and answer.get("outcome_unknown") is True
                op.attempts.append(f"busy {r.status_code} {kind}{' outcome-unknown' if unknown else ''}")
                op.busy += 1
                await asyncio.sleep(0.05)
                continue
            replayed = r.headers.get("Idempotent-Replayed") == "true"
            op.attempts.append(f"acknowledged {r.status_code}{' replayed' if replayed else ''}")
            op.status, op.answer, op.replayed = r.status_code, answer, replayed
            return
        finally:
            chaos.in_flight -= 1
        if chaos.generation == generation and chaos.up.is_set():
            await asyncio.sleep(0.05)  # not (yet) a known kill: back off a little and try again
    op.attempts.append("stuck")


async def client(i: int, chaos: Chaos, keys: dict[str, str], shared: Shared, ops: list[Op]) -> None:
    rng = random.Random(f"{SEED}:client:{i}")
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as http:
        for n in range(OPS_PER_CLIENT):
            op = plan(i, n, rng, shared)
            ops.append(op)
            await send(http, chaos, keys, op)
            chaos.answered += 1
            chaos.answered_since_start += 1
            shared.learn(op)
            await asyncio.sleep(rng.uniform(0, 0.01))


async def run_load(chaos: Chaos, clients: Any) -> None:
    """Run the clients with the chaos task beside them; the first failure of either ends both."""
    load = asyncio.ensure_future(asyncio.gather(*clients))
    killer = asyncio.ensure_future(chaos.run())
    try:
        await asyncio.wait({load, killer}, timeout=LOAD_TIMEOUT, return_when=asyncio.FIRST_EXCEPTION)
        chaos.load_done = True  # kills still due (none, normally) happen at rest, and are flagged so
        if load.done() and load.exception() is None:
            await asyncio.wait_for(asyncio.shield(killer), timeout=READY_TIMEOUT * KILLS)
        for task in (killer, load):
            if task.done():
                task.result()  # raises the failure
        if not load.done():
            pytest.fail(f"the load did not finish within {LOAD_TIMEOUT:.0f} s")
    finally:
        chaos.load_done = True
        for task in (load, killer):
            task.cancel()
        await asyncio.gather(load, killer, return_exceptions=True)


# --------------------------------------------------------------------------- the final state


@dataclass
class State:
    lots: list[dict[str, Any]]
    entries: list[dict[str, Any]]
    tickets: dict[str, dict[str, Any]]  # with history


async def read_state(base_url: str, admin: dict[str, str]) -> State:
    async with httpx.AsyncClient(base_url=base_url, headers=admin, timeout=TIMEOUT) as http:
        lots, entries, tickets = [], [], {}
        for account in ACCOUNTS:
            lots += await pages(http, f"/v1/accounts/{account}/lots", include_empty="true")
            entries += [e for e in await pages(http, f"/v1/accounts/{account}/ledger") if not e["pending"]]
            for t in await pages(http, f"/v1/accounts/{account}/tickets"):
                r = await http.get(f"/v1/tickets/{t['id']}")
                assert r.status_code == 200, r.text
                tickets[t["id"]] = r.json()
        r = await http.get("/v1/admin/verify")
        assert r.status_code == 200 and r.json()["ok"] is True, r.text
    return State(lots, entries, tickets)


def audit(ops: list[Op], state: State, setup_grants: int) -> tuple[Counter[str], list[str]]:
    """Count lost, applied-twice and mismatched operations; each finding also as a line of text."""
    found: Counter[str] = Counter()
    notes: list[str] = []

    def bad(what: str, op: Op | None, detail: str) -> None:
        found[what] += 1
        label = f"{op.id} {op.kind} {op.path} {op.body} attempts={op.attempts} → {op.status}" if op else "-"
        notes.append(f"{what}: {label}: {detail}")

    lots_by_payment = Counter(lot["payment_id"] for lot in state.lots if lot["payment_id"])
    purchase_entries = Counter(e["lot_id"] for e in state.entries if e["kind"] == "purchase")
    adjustment_entries = Counter(e["reason"] for e in state.entries if e["kind"] == "adjustment")
    tickets_by_ref = Counter((t["account_id"], t["external_ref"]) for t in state.tickets.values())
    markers = Counter(m for t in state.tickets.values() for m in history_markers(t))
    marker_ticket = {m: t["id"] for t in state.tickets.values() for m in history_markers(t)}

    expected_markers: set[str] = set()
    for op in ops:
        if op.status is None:
            bad("unanswered", op, "no answer before the deadline")
            continue
        if op.status >= 500:
            bad("server errors", op, f"{op.status} {op.answer}")
        if op.problem_type() == KEY_REUSED:
            bad("mismatched", op, "idempotency-key-reused for the same request")
        if op.replayed and not op.maybe_committed_before:
            bad("mismatched", op, "replayed, but no earlier attempt can have reached the database")
        assert op.marker is not None
        if op.kind == "purchase":
            lots = lots_by_payment[op.marker]
            if op.status == 201:
                lot_id = op.answer["lot"]["id"]
                if lots == 0 or purchase_entries[lot_id] == 0:
                    bad("lost", op, f"{lots} lots, {purchase_entries[lot_id]} purchase entries")
                if lots > 1 or purchase_entries[lot_id] > 1:
                    bad("applied twice", op, f"{lots} lots, {purchase_entries[lot_id]} purchase entries")
            elif op.ok:  # 200: the payment was already recorded, by an earlier attempt of this very operation
                bad("mismatched", op, f"answered {op.status} (replayed={op.replayed}): recorded without its key")
            elif lots:
                bad("mismatched", op, f"answered {op.status} but {lots} lots exist")
        elif op.kind == "grant":
            n = adjustment_entries[op.marker]
            if op.ok and n == 0:
                bad("lost", op, "no adjustment entry")
            elif n > 1:
                bad("applied twice", op, f"{n} adjustment entries")
            elif not op.ok and n:
                bad("mismatched", op, f"answered {op.status} but the adjustment entry exists")
        elif op.kind == "open":
            n = tickets_by_ref[(op.account_id, op.marker)]
            if op.status == 201:
                if n == 0 or op.answer["id"] not in state.tickets:
                    bad("lost", op, "the ticket does not exist")
                elif n > 1:
                    bad("applied twice", op, f"{n} tickets with this external_ref")
                else:
                    expected_markers.add(f"opened:{op.answer['id']}")
            elif op.problem_type() == CONFLICT:
                bad("mismatched", op, "409 conflict: an earlier attempt opened it without its key")
            elif n:
                bad("mismatched", op, f"answered {op.status} but {n} tickets with this external_ref exist")
        else:  # a ticket call: its marker is in the history iff its answer shows it there
            expected = int(op.ok and op.marker in history_markers(op.answer))
            n = markers[op.marker]
            if expected:
                expected_markers.add(op.marker)
            if n < expected:
                bad("lost", op, "its history entry is missing")
            elif n > 1:
                bad("applied twice", op, f"{n} history entries")
            elif n > expected:
                bad("mismatched", op, f"answered {op.status} without the change, but the history has it")
            elif n and marker_ticket[op.marker] != op.ticket_id:
                bad("mismatched", op, f"its history entry is on {marker_ticket[op.marker]}")

    # Whole-state checks: nothing but acknowledged operations, each once, one version per change.
    for t in state.tickets.values():
        history = t["history"]
        if [h["version"] for h in history] != list(range(1, len(history) + 1)) or t["version"] != len(history):
            bad(
                "applied twice",
                None,
                f"ticket {t['id']}: version {t['version']}, history versions {[h['version'] for h in history]}",
            )
        if f"opened:{t['id']}" not in expected_markers:
            bad("applied twice", None, f"ticket {t['id']} ({t['external_ref']}) was opened by no acknowledged open")
        for h in history[1:]:
            if not ({h["reason"], h["note"]} & expected_markers):
                bad("applied twice", None, f"ticket {t['id']}: history entry {h} of no acknowledged call")
    purchases = sum(op.kind == "purchase" and op.status == 201 for op in ops)
    if sum(purchase_entries.values()) != purchases:
        bad(
            "applied twice",
            None,
            f"{sum(purchase_entries.values())} purchase entries for {purchases} acknowledged purchases",
        )
    grants = sum(op.kind == "grant" and op.ok for op in ops) + setup_grants
    if sum(adjustment_entries.values()) != grants:
        bad(
            "applied twice",
            None,
            f"{sum(adjustment_entries.values())} adjustment entries for {grants} acknowledged grants",
        )
    return found, notes


def integrity_check(url: str) -> str:
    path = make_url(url).database
    assert path
    with sqlite3.connect(path) as conn:
        return ", ".join(str(row[0]) for row in conn.execute("PRAGMA integrity_check"))


# --------------------------------------------------------------------------- the test


async def test_sigkill_under_load_loses_nothing_acknowledged_and_applies_nothing_twice(
    crash_cluster: Any, request: pytest.FixtureRequest
) -> None:
    await run_chaos(crash_cluster, SIGKILL_SERVICE, request)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_database_crash_under_load_loses_nothing_acknowledged_and_applies_nothing_twice(
    crash_cluster: Any, request: pytest.FixtureRequest
) -> None:
    """The same load and audit, but PostgreSQL is what crashes: the service keeps running while its
    connections die under batches, reads and COMMITs, and the server is down for a moment.

    The test cluster runs with `synchronous_commit=off` (fast, and a crash of the server loses its
    last commits), so this test's database turns it back on, as a production server has it, and
    the service is restarted so that every connection it opens has it. It restarts with its API
    keys remembered for a second, so that writes get past the key's look-up to the writer while
    the database is down."""
    command = os.environ.get("POINTS_TEST_PG_RESTART")
    if not command:
        pytest.skip("POINTS_TEST_PG_RESTART is not set: the cluster is not scripts/with_postgres.py's to restart")
    admin_sql(f'ALTER DATABASE "{make_url(crash_cluster.url).database}" SET synchronous_commit = on')
    crash_cluster.settings["POINTS_AUTH_CACHE_SECONDS"] = "1"
    await asyncio.to_thread(crash_cluster.stop)
    await asyncio.to_thread(crash_cluster.start)
    await run_chaos(crash_cluster, database_restart(json.loads(command)), request)


async def run_chaos(cluster: Any, strike: Strike, request: pytest.FixtureRequest) -> None:
    began = time.monotonic()

    # Arrange, before any chaos: the accounts, each with a starting balance.
    async with httpx.AsyncClient(base_url=cluster.base_url, headers=cluster.auth("admin"), timeout=TIMEOUT) as http:
        for account in ACCOUNTS:
            r = await http.put(f"/v1/accounts/{account}", json={})
            assert r.status_code in (200, 201), r.text
            r = await http.post(
                f"/v1/accounts/{account}/adjustments", json={"points": STARTING_POINTS, "reason": "crash setup"}
            )
            assert r.status_code == 201, r.text

    # The load, and the chaos during it.
    total = CLIENTS * OPS_PER_CLIENT
    chaos = Chaos(cluster, random.Random(f"{SEED}:chaos"), total, strike)
    shared = Shared()
    ops: list[Op] = []
    load_began = time.monotonic()
    await run_load(chaos, (client(i, chaos, cluster.keys, shared, ops) for i in range(CLIENTS)))
    load_seconds = time.monotonic() - load_began

    # One more crash at rest: the operations acknowledged after the last one must survive one too.
    await chaos.kill_and_restart(during_load=False)
    checks_began = time.monotonic()
    state = await read_state(cluster.base_url, cluster.auth("admin"))
    found, notes = audit(ops, state, setup_grants=len(ACCOUNTS))
    cluster.stop()
    verified = cluster.cli("verify")
    integrity = integrity_check(cluster.url) if cluster.backend == "sqlite" else "n/a (PostgreSQL)"
    checks_seconds = time.monotonic() - checks_began

    firsts = Counter(op.first for op in ops)
    retried = [op for op in ops if op.transport_failures]
    figures = {
        "backend": cluster.backend,
        "strike": strike.name,
        "seed": SEED,
        "clients": CLIENTS,
        "operations": len(ops),
        "acknowledged": firsts["acknowledged"],
        "failed": firsts["failed"],
        "indeterminate": firsts["indeterminate"],
        "retried": len(retried),
        "retried_replayed": sum(op.replayed for op in retried),
        "retried_fresh": sum(not op.replayed for op in retried),
        "retry_attempts": sum(op.transport_failures for op in ops),
        "busy_retries": sum(op.busy for op in ops),
        "outcome_unknown": sum(a.endswith("outcome-unknown") for op in ops for a in op.attempts),
        "answers": dict(sorted(Counter(str(op.status) for op in ops).items())),
        "lost": found["lost"],
        "applied_twice": found["applied twice"],
        "mismatched": found["mismatched"],
        "server_errors": found["server errors"],
        "unanswered": found["unanswered"],
        "kills_during_load": sum(k["during_load"] for k in chaos.kills),
        "kills_total": len(chaos.kills),
        "in_flight_at_kills": [k["in_flight"] for k in chaos.kills],
        "kill_at_op": [k["at_op"] for k in chaos.kills],
        "verify_exit": verified.returncode,
        "integrity_check": integrity,
        "lots": len(state.lots),
        "ledger_entries": len(state.entries),
        "tickets": len(state.tickets),
        "start_seconds": [round(s, 2) for s in cluster.starts],
        "load_seconds": round(load_seconds, 1),
        "checks_seconds": round(checks_seconds, 1),
        "total_seconds": round(time.monotonic() - began, 1),
    }
    request.node.user_properties.append(("crash_figures", figures))
    print(
        f"\ncrash test [{cluster.backend}], seed {SEED}: {len(ops)} operations by {CLIENTS} clients, "
        f"{figures['kills_during_load']} {strike.name} during the load + "
        f"{len(chaos.kills) - figures['kills_during_load']} at rest\n"
        f"  first attempt: acknowledged {figures['acknowledged']}, failed (refused) {figures['failed']}, "
        f"indeterminate {figures['indeterminate']}, busy {firsts['busy']}\n"
        f"  retried {figures['retried']} (answered as a replay {figures['retried_replayed']}, "
        f"fresh {figures['retried_fresh']}; "
        f"{figures['retry_attempts']} failed attempts, {figures['busy_retries']} busy answers retried, "
        f"{figures['outcome_unknown']} of them outcome-unknown)\n"
        f"  answers {figures['answers']}\n"
        f"  requests in flight at each kill {figures['in_flight_at_kills']}, at operation {figures['kill_at_op']}\n"
        f"  LOST {figures['lost']}, APPLIED TWICE {figures['applied_twice']}, mismatched {figures['mismatched']}, "
        f"server errors {figures['server_errors']}, unanswered {figures['unanswered']}\n"
        f"  verify exit {verified.returncode}, PRAGMA integrity_check: {integrity}; "
        f"{figures['lots']} lots, {figures['ledger_entries']} ledger entries, {figures['tickets']} tickets\n"
        f"  starts {figures['start_seconds']} s, load {figures['load_seconds']} s, "
        f"checks {figures['checks_seconds']} s, "
        f"total {figures['total_seconds']} s"
    )
    for line in notes[:40]:
        print("  " + line)

    assert not notes, "\n".join(notes[:40])
    assert figures["kills_during_load"] == KILLS, chaos.kills
    assert verified.returncode == 0, f"points-service verify failed:\n{verified.stdout}\n{verified.stderr}"
    assert integrity in ("ok", "n/a (PostgreSQL)")


# --------------------------------------------------------------------------- the audit itself


def test_the_audit_counts_what_it_must_catch() -> None:
    """Negative control for `audit`, without a server: losses, doubles and mismatches are counted."""

    def op(op_id: str, kind: str, status: int, answer: Any, marker: str, *attempts: str, **extra: Any) -> Op:
        made = Op(op_id, kind, "POST", f"/{kind}", "admin", {}, {}, "crash-a", marker=marker, **extra)
        made.attempts = [*attempts, f"acknowledged {status}{' replayed' if made.replayed else ''}"]
        made.status, made.answer = status, answer
        return made

    def event(version: int, action: str, reason: str | None = None, note: str | None = None) -> dict[str, Any]:
        return {"version": version, "action": action, "reason": reason, "note": note}

    ticket = {
        "id": "tkt1",
        "account_id": "crash-a",
        "external_ref": "T-c0-2",
        "version": 3,
        "history": [event(1, "opened"), event(2, "adjusted", "op c0-3"), event(3, "resolved", note="op c0-4")],
    }
    adjusted = {"id": "tkt1", "history": ticket["history"][:2]}
    ops = [
        op("c0-0", "purchase", 201, {"lot": {"id": "lot1"}}, "pay-c0-0"),
        op("c0-1", "grant", 201, {}, "op c0-1", "indeterminate (ReadError)"),
        op("c0-2", "open", 201, {"id": "tkt1"}, "T-c0-2"),
        op("c0-3", "adjust", 200, adjusted, "op c0-3", ticket_id="tkt1"),
        op("c0-4", "resolve", 409, {"type": "/problems/invalid-state"}, "op c0-4", ticket_id="tkt1"),
        op("c0-5", "purchase", 200, {"lot": {"id": "lot5"}}, "pay-c0-5", "indeterminate (ReadError)"),
        op("c0-6", "grant", 201, {}, "op c0-6", replayed=True),
    ]
    entries = [
        {"kind": "adjustment", "reason": "crash setup", "lot_id": "lot0"},
        {"kind": "adjustment", "reason": "op c0-1", "lot_id": "lot2"},
        {"kind": "adjustment", "reason": "op c0-1", "lot_id": "lot3"},
        {"kind": "adjustment", "reason": "op c0-6", "lot_id": "lot6"},
        {"kind": "purchase", "reason": None, "lot_id": "lot5"},
    ]
    lots = [{"id": "lot5", "payment_id": "pay-c0-5"}]
    found, notes = audit(ops, State(lots, entries, {"tkt1": ticket}), setup_grants=1)
    # lost: c0-0 (no lot); applied twice: c0-1 (two entries), the adjustment total (4 entries for 3 grants), and tkt1's
    # resolution, which no acknowledged call made; mismatched: c0-4 (answered 409, yet in the history), c0-5 (a fresh
    # 200: its earlier attempt recorded the payment without its key), c0-6 (a replay no earlier attempt can explain)
    assert found == {"lost": 1, "applied twice": 3, "mismatched": 3}, notes

    clean = [op("c1-0", "grant", 201, {}, "op c1-0", "indeterminate (RemoteProtocolError)", replayed=True)]
    entries = [{"kind": "adjustment", "reason": "op c1-0", "lot_id": "lot1"}]
    assert audit(clean, State([], entries, {}), setup_grants=0) == (Counter(), [])
