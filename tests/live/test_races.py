"""Races against the real service: `points-service serve` in a subprocess, real TCP, real concurrency.

SQLite runs one service process (plus CLI processes beside it), PostgreSQL two worker processes.
Every test ends with a clean `GET /v1/admin/verify`, and the `live_server` fixture runs
`points-service verify` after the server has stopped.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from support.live import open_race
from support.servers import EXE, server_env

INSUFFICIENT = "/problems/insufficient-points"
INVALID_STATE = "/problems/invalid-state"
PRECONDITION = "/problems/precondition-failed"


def problem_type(r: httpx.Response) -> str:
    return r.json().get("type", "")


async def gather_bounded(*aws: Any, timeout: float = 90) -> list[Any]:
    return list(await asyncio.wait_for(asyncio.gather(*aws), timeout=timeout))


# --------------------------------------------------------------------------- (a) overdraft


async def test_a_64_concurrent_opens_of_30_on_100_points_let_exactly_3_through(live):
    await live.account("acme")
    await live.grant("acme", 100)

    responses = await open_race([live], "acme")

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 3, 409: 61}, statuses
    assert all(problem_type(r) == INSUFFICIENT for r in responses if r.status_code == 409)
    balance = await live.balance("acme")
    assert (balance["available"], balance["held"], balance["deducted"]) == (10, 90, 0)
    opened = [r.json() for r in responses if r.status_code == 201]
    assert sorted(t["captured_points"] for t in opened) == [30, 30, 30]
    captures = await live.pages("/v1/accounts/acme/ledger", kind="capture")
    assert len(captures) == 3 and [e["available_after"] for e in sorted(captures, key=lambda e: e["seq"])] == [
        70,
        40,
        10,
    ]
    await live.assert_verified()


# --------------------------------------------------------------------------- ticket model


@dataclass
class TicketModel:
    """The ticket's points and status, as the spec defines them; replayed from successful calls."""

    captured: int
    status: str = "open"
    charged: int = 0
    deducted: int = 0
    returned: int = 0
    version: int = 1

    def adjust(self, points: int) -> None:
        assert self.status == "open"
        self.captured = points
        self.version += 1

    def resolve(self, points: int | None = None) -> None:
        assert self.status == "open"
        if points is not None:
            self.captured = points
        self.charged = self.deducted = self.captured
        self.captured = 0
        self.status = "resolved"
        self.version += 1

    def refund(self) -> int:
        """Points moved by the refund."""
        if self.status == "open":
            moved = self.charged = self.captured
        else:
            assert self.status == "resolved"
            moved = self.deducted - self.returned
        self.returned += moved
        self.captured = 0
        self.status = "refunded"
        self.version += 1
        return moved

    def credit(self, points: int) -> None:
        assert self.status == "resolved" and 1 <= points <= self.deducted - self.returned
        self.returned += points
        self.version += 1

    def figures(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "captured_points": self.captured,
            "charged_points": self.charged,
            "deducted_points": self.deducted,
            "returned_points": self.returned,
            "version": self.version,
        }


def ticket_figures(ticket: dict[str, Any]) -> dict[str, Any]:
    """A ticket's figures as the service shows them, to compare with `TicketModel.figures()`."""
    return {
        k: ticket[k]
        for k in ("status", "captured_points", "charged_points", "deducted_points", "returned_points", "version")
    }


def made_by_adjust(ticket: dict[str, Any], version: int) -> bool:
    """Whether the ticket's `version` came from an adjust (history has one entry per version)."""
    history = ticket["history"]
    return len(history) >= version and history[version - 1]["action"] == "adjusted"


def etag_version(r: httpx.Response) -> int:
    etag = r.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"'), etag
    version = int(etag.strip('"'))
    assert version == r.json()["version"], (etag, r.json()["version"])
    return version


# --------------------------------------------------------------------------- (b) one ticket


async def test_b_40_concurrent_calls_on_one_ticket_replay_in_version_order(live):
    await live.account("acme")
    await live.grant("acme", 300)
    opened = await live.open("acme", 30)
    tid = opened["id"]
    rng = random.Random(4321)

    calls: list[tuple[str, dict[str, Any], dict[str, str]]] = []
    for _ in range(40):
        action = rng.choices(["adjust", "resolve", "refund"], weights=[8, 1, 1])[0]
        body: dict[str, Any] = (
            {}
            if action == "resolve"
            else {"reason": "withdrawn"}
            if action == "refund"
            else {"points": rng.choice([0, 10, 30, 45, 60, 120, 250, 300, 400]), "reason": "r"}
        )
        # A few calls carry If-Match with a version that may or may not be current.
        headers = {"If-Match": f'"{rng.randint(1, 4)}"'} if rng.random() < 0.2 else {}
        calls.append((action, body, headers))

    async def call(action: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return await live.post(f"/v1/tickets/{tid}/{action}", body, role="helpdesk", headers=headers)

    responses = await gather_bounded(*(call(*c) for c in calls))

    assert all(r.status_code < 500 for r in responses), [
        (r.status_code, r.text) for r in responses if r.status_code >= 500
    ]
    by_version: dict[int, tuple[str, dict[str, Any], dict[str, Any]]] = {}
    for (action, body, _), r in zip(calls, responses, strict=True):
        if r.status_code == 200:
            ticket = r.json()
            version = etag_version(r)
            if action == "adjust":
                assert ticket["captured_points"] == body["points"] and ticket["status"] == "open", ticket
                if not made_by_adjust(ticket, version) or version in by_version:
                    # An adjust to the amount the ticket already had changed nothing and answered
                    # the current version, made by the open or by an adjust to the same amount.
                    assert version == 1 or by_version.get(version, ("adjust",))[0] == "adjust"
                    continue
            assert version not in by_version, (version, action, by_version.get(version))
            by_version[version] = (action, body, ticket)
        elif r.status_code == 409:
            assert problem_type(r) in (INVALID_STATE, INSUFFICIENT), r.text
            if problem_type(r) == INSUFFICIENT:
                assert action == "adjust", r.text
        elif r.status_code == 412:
            assert problem_type(r) == PRECONDITION and r.json()["current_version"] >= 1, r.text
        else:
            raise AssertionError(f"{action} {body}: unexpected {r.status_code} {r.text}")

    # Each successful version-changing call owns one version: 2, 3, …, in commit order.
    changed = sorted((v, *rest) for v, rest in by_version.items())
    assert [c[0] for c in changed] == list(range(2, len(changed) + 2)), [c[0] for c in changed]
    actions = [c[1] for c in changed]
    assert actions.count("resolve") <= 1 and actions.count("refund") <= 1, actions
    if "resolve" in actions and "refund" in actions:
        assert actions.index("resolve") < actions.index("refund")

    model = TicketModel(captured=30)
    for version, action, body, ticket in changed:
        if action == "adjust":
            model.adjust(body["points"])
        elif action == "resolve":
            model.resolve()
        else:
            model.refund()
        assert model.version == version
        assert ticket_figures(ticket) == model.figures(), (action, body)

    final = await live.ticket(tid)
    assert ticket_figures(final) == model.figures()
    # One history entry per version: the opening, then one per successful version-changing call.
    history = [(h["action"], h.get("version", i + 1)) for i, h in enumerate(final["history"])]
    expected = [("opened", 1)] + [
        ({"adjust": "adjusted", "resolve": "resolved", "refund": "refunded"}[a], v) for v, a, _, _ in changed
    ]
    assert history == expected

    balance = await live.balance("acme")
    kept = model.charged - model.returned
    assert (balance["available"], balance["held"], balance["deducted"]) == (
        300 - model.captured - kept,
        model.captured,
        kept,
    )
    await live.assert_verified()


# --------------------------------------------------------------------------- (c) mixed load

ACCOUNTS = [f"load-{i:02d}" for i in range(20)]
PLANS = {"points-60": 60, "points-120": 120, "points-300": 300}
PROBLEM = "/problems/"


def openings(rng: random.Random) -> tuple[str, dict[str, Any], int]:
    """A random category with what its opening body needs, and the points it should capture."""
    k = rng.choice([0, 5, 30, 75, 200])
    n = rng.randint(1, 2)
    return rng.choice(
        [
            ("general-question", {}, 0),
            ("consultation", {}, 10),
            ("store-problem", {}, 25),
            ("store-server-problem", {}, 40),
            ("code-debugging", {}, 80),
            ("medium-mod", {}, 50),
            ("installation", {}, 150),
            ("other", {"estimated_points": k}, k),
            ("sales-n-stats-transfer", {"estimated_points": 90}, 90),
            ("third-party-install", {}, 100),
            ("aspe-transfer", {"quantity": n}, 120 + 60 * n),
            ("security-audit", {"quantity": 0}, 150),
        ]
    )


@dataclass
class Tally:
    """What the clients saw succeed, and anything they did not expect."""

    purchased: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACCOUNTS, 0))
    purchases: list[tuple[str, int]] = field(default_factory=list)  # (account, points)
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> the opened ticket
    ticket_ids: list[str] = field(default_factory=list)
    # ticket id -> version -> (action, body, ticket as answered)
    changes: dict[str, dict[int, tuple[str, dict[str, Any], dict[str, Any]]]] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)

    def note_change(self, tid: str, action: str, body: dict[str, Any], r: httpx.Response) -> None:
        ticket, version = r.json(), etag_version(r)
        seen = self.changes.setdefault(tid, {})
        if action == "adjust" and (not made_by_adjust(ticket, version) or version in seen):
            return  # adjusted to the amount it had: nothing changed
        if version in seen:
            self.unexpected.append(
                f"{action} on {tid} answered version {version}, which {seen[version][0]} had answered"
            )
        seen[version] = (action, body, ticket)


def expected_status(action: str, r: httpx.Response) -> bool:
    slug = problem_type(r).removeprefix(PROBLEM) if r.status_code >= 400 else ""
    allowed = {
        "purchase": {(201, "")},
        "open": {(201, ""), (409, "insufficient-points")},
        "adjust": {(200, ""), (409, "invalid-state"), (409, "insufficient-points")},
        "resolve": {(200, ""), (409, "invalid-state"), (409, "insufficient-points")},
        "refund": {(200, ""), (409, "invalid-state")},
        "credit": {(200, ""), (409, "invalid-state"), (422, "validation-error")},
    }.get(action, {(200, "")})
    return (r.status_code, slug) in allowed


def check_chain(account_id: str, entries: list[dict[str, Any]]) -> None:
    """A complete ledger (newest first): seq gapless down to 1, each `*_after` = previous + delta."""
    entries = sorted(entries, key=lambda e: e["seq"])
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1)), account_id
    after = {"available": 0, "held": 0, "deducted": 0}
    for e in entries:
        for state in after:
            after[state] += e[f"{state}_delta"]
            assert e[f"{state}_after"] == after[state], (account_id, e["seq"], state)


def check_statement(statement: dict[str, Any]) -> None:
    """The three parts of one snapshot reconcile with its balance (when each fits in one page)."""
    if any(statement[part]["next_cursor"] for part in ("modifications", "in_progress", "closed")):
        return
    balance = statement["balance"]
    part1 = sum(e["available_delta"] for e in statement["modifications"]["items"])
    part2 = sum(t["captured_points"] for t in statement["in_progress"]["items"])
    part3 = sum(t["charged_points"] - t["returned_points"] for t in statement["closed"]["items"])
    assert (balance["available"], balance["held"], balance["deducted"]) == (part1 - part2 - part3, part2, part3)


async def client_run(live: Any, tally: Tally, client: int, rng: random.Random, operations: int) -> None:
    for i in range(operations):
        action = rng.choices(
            ["purchase", "open", "adjust", "resolve", "refund", "credit", "read"], weights=[7, 22, 14, 10, 6, 7, 34]
        )[0]
        if action in ("adjust", "resolve", "refund", "credit") and not tally.ticket_ids:
            action = "read"
        account = rng.choice(ACCOUNTS)
        body: dict[str, Any] = {}
        if action == "purchase":
            plan = rng.choice(list(PLANS))
            body = {"plan": plan, "payment_id": f"pay-c{client}-{i}"}
            r = await live.post(f"/v1/accounts/{account}/purchases", body, role="billing")
            if r.status_code == 201:
                assert r.json()["lot"]["points"] == PLANS[plan]
                tally.purchased[account] += PLANS[plan]
                tally.purchases.append((account, PLANS[plan]))
        elif action == "open":
            category, extra, points = openings(rng)
            body = {"external_ref": f"c{client}-t{i}", "category": category, **extra}
            r = await live.post(f"/v1/accounts/{account}/tickets", body, role="helpdesk")
            if r.status_code == 201:
                ticket = r.json()
                assert (ticket["captured_points"], ticket["version"], etag_version(r)) == (points, 1, 1), (body, ticket)
                tally.tickets[ticket["id"]] = ticket
                tally.ticket_ids.append(ticket["id"])
        elif action == "read":
            kind = rng.choice(["balance", "statement", "ledger", "ticket"])
            if kind == "ticket" and tally.ticket_ids:
                r = await live.get(f"/v1/tickets/{rng.choice(tally.ticket_ids)}")
            elif kind == "ticket" or kind == "balance":
                r = await live.get(f"/v1/accounts/{account}/balance")
            elif kind == "statement":
                r = await live.get(f"/v1/accounts/{account}/statement", params={"limit": 500})
                if r.status_code == 200:
                    check_statement(r.json())
            else:
                r = await live.get(f"/v1/accounts/{account}/ledger", params={"limit": 500})
                if r.status_code == 200 and r.json()["next_cursor"] is None:
                    check_chain(account, r.json()["items"])
        else:
            # Recent tickets are picked more often: they are more likely still open.
            ids = tally.ticket_ids
            tid = ids[min(len(ids) - 1, int(len(ids) * rng.random() ** 0.3))]
            if action == "adjust":
                body = {"points": rng.choice([0, 5, 10, 25, 40, 80, 150, 400]), "reason": "r"}
            elif action == "resolve":
                body = {"points": rng.choice([0, 15, 60, 300])} if rng.random() < 0.4 else {}
            elif action == "refund":
                body = {"reason": rng.choice(["software_bug", "withdrawn", "duplicate", "other"])}
            else:
                body = {"points": rng.choice([1, 5, 20, 60]), "reason": "goodwill"}
            r = await live.post(f"/v1/tickets/{tid}/{action}", body, role="helpdesk")
            if r.status_code == 200:
                tally.note_change(tid, action, body, r)
        tally.statuses[(action, r.status_code)] += 1
        if not expected_status(action, r):
            tally.unexpected.append(f"{action} {body}: {r.status_code} {r.text[:300]}")


Entry = tuple[str, str | None, str, int, int, int]  # account, ticket, kind, Δavailable, Δheld, Δdeducted


def replay(tally: Tally) -> tuple[list[Entry], dict[str, TicketModel]]:
    """The ledger entries the successful calls imply, and each ticket's final figures."""
    expected: list[Entry] = [(account, None, "purchase", points, 0, 0) for account, points in tally.purchases]
    models: dict[str, TicketModel] = {}
    for tid, opened in tally.tickets.items():
        acct = opened["account_id"]
        model = models[tid] = TicketModel(captured=opened["captured_points"])
        if model.captured:
            expected.append((acct, tid, "capture", -model.captured, model.captured, 0))
        changes = tally.changes.get(tid, {})
        assert sorted(changes) == list(range(2, len(changes) + 2)), (tid, sorted(changes))
        for version in sorted(changes):
            action, body, answered = changes[version]
            before = model.captured
            if action in ("adjust", "resolve") and body.get("points") is not None and body["points"] != before:
                delta = body["points"] - before
                kind = "capture_increase" if delta > 0 else "capture_decrease"
                expected.append((acct, tid, kind, -delta, delta, 0))
            if action == "adjust":
                model.adjust(body["points"])
            elif action == "resolve":
                model.resolve(body.get("points"))
                if model.deducted:
                    expected.append((acct, tid, "deduction", 0, -model.deducted, model.deducted))
            elif action == "refund":
                was_open = model.status == "open"
                moved = model.refund()
                if moved:
                    expected.append((acct, tid, "return", moved, -moved if was_open else 0, 0 if was_open else -moved))
            else:
                model.credit(body["points"])
                expected.append((acct, tid, "return", body["points"], 0, -body["points"]))
            assert model.version == version and ticket_figures(answered) == model.figures(), (
                tid,
                version,
                action,
                body,
            )
    return expected, models


async def test_c_mixed_load_every_entry_explained_by_a_success_and_vice_versa(live):
    master = random.Random(1234)
    tally = Tally()
    for account in ACCOUNTS:
        await live.account(account)
        bought = await live.buy(account, "points-120")
        tally.purchased[account] += 120
        tally.purchases.append((account, 120))
        assert bought["lot"]["points"] == 120

    clients = [client_run(live, tally, c, random.Random(master.getrandbits(64)), 200) for c in range(8)]
    await gather_bounded(*clients, timeout=120)

    assert not tally.unexpected, tally.unexpected[:20]
    assert not [k for k in tally.statuses if k[1] >= 500], tally.statuses
    await live.assert_verified()

    expected, models = replay(tally)
    found: list[Entry] = []
    for account in ACCOUNTS:
        entries = await live.pages(f"/v1/accounts/{account}/ledger")
        check_chain(account, entries)
        found += [
            (account, e["ticket_id"], e["kind"], e["available_delta"], e["held_delta"], e["deducted_delta"])
            for e in entries
        ]
    assert Counter(e[2] for e in found) == Counter(e[2] for e in expected)
    assert Counter(found) == Counter(expected)

    # Final ticket figures and balances are what the successful calls imply.
    listed = {}
    for account in ACCOUNTS:
        listed.update({t["id"]: t for t in await live.pages(f"/v1/accounts/{account}/tickets")})
    assert set(listed) == set(models)
    assert all(ticket_figures(listed[tid]) == model.figures() for tid, model in models.items())
    totals = {"available": 0, "held": 0, "deducted": 0}
    for account in ACCOUNTS:
        mine = [(models[tid], listed[tid]) for tid in models if listed[tid]["account_id"] == account]
        held = sum(m.captured for m, _ in mine)
        kept = sum(m.charged - m.returned for m, _ in mine if m.status != "open")
        balance = await live.balance(account)
        assert (balance["available"], balance["held"], balance["deducted"]) == (
            tally.purchased[account] - held - kept,
            held,
            kept,
        )
        for state in totals:
            totals[state] += balance[state]
    purchased = sum(tally.purchased.values())
    all_held = sum(m.captured for m in models.values())
    all_kept = sum(m.charged - m.returned for m in models.values() if m.status != "open")
    assert totals == {"available": purchased - all_held - all_kept, "held": all_held, "deducted": all_kept}
    print(f"mixed load: {sorted(tally.statuses.items())}", file=sys.stderr)


# --------------------------------------------------------------------------- (d) expiry sweeps

SWEPT_ONLY = [f"exp-{i:02d}" for i in range(16)]  # only the sweeps write here after the due time
BUSY = [f"exp-{i:02d}" for i in range(16, 28)]  # opens and sweeps race here


async def test_d_three_expiry_sweep_processes_beside_captures_expire_each_lot_once(live):
    """Lots due ~3 s after they are imported (the arranging takes part of that); once due, three
    `points-service expire` processes start together while four clients open tickets. The opens
    reach the BUSY accounts one after another over ~3 s, so the sweeps (which need ~1 s to start)
    race them there, and race each other on the SWEPT_ONLY accounts, which only a sweep can expire."""
    accounts = SWEPT_ONLY + BUSY

    async def prepare(account: str) -> None:
        await live.account(account)
        if account in BUSY:
            await live.buy(account, "points-120")  # never expires during the test: captures go on

    await gather_bounded(*(prepare(a) for a in accounts))

    # Lots due in ~3 s; on half the accounts a ticket takes part of the soonest-expiring lot first.
    expires_at = datetime.now(UTC) + timedelta(seconds=3)
    lots: dict[str, dict[str, Any]] = {}  # lot id -> the import's lot
    pre_opened: list[dict[str, Any]] = []

    async def arrange(i: int, account: str) -> None:
        for n in range(1 + i % 2):
            body = {
                "points": 50 - 10 * n,
                "granted_at": datetime.now(UTC).isoformat(),
                "expires_at": (expires_at + timedelta(milliseconds=100 * n)).isoformat(),
                "external_ref": f"legacy-{account}-{n}",
                "reason": "migrated",
            }
            r = await live.post(f"/v1/accounts/{account}/imports", body)
            assert r.status_code == 201, r.text
            lots[r.json()["lot"]["id"]] = r.json()["lot"]
        if i % 2 == 0:
            pre_opened.append(await live.open(account, 20))

    await gather_bounded(*(arrange(i, a) for i, a in enumerate(accounts)))
    while datetime.now(UTC) < expires_at + timedelta(milliseconds=300):  # the server reads the same clock
        await asyncio.sleep(0.05)

    opened: list[dict[str, Any]] = []
    rng = random.Random(77)
    queue = []  # each BUSY account's first open comes at a different time over ~3 s
    for account in rng.sample(BUSY, len(BUSY)):
        queue += [account, queue[rng.randrange(len(queue))] if queue else account]

    async def stream(worker: int) -> None:
        while queue:
            account = queue.pop(0)
            body = {"external_ref": f"s{worker}-{len(queue)}", "category": "consultation"}
            r = await live.post(f"/v1/accounts/{account}/tickets", body, role="helpdesk")
            assert r.status_code == 201, r.text
            opened.append(r.json())
            await asyncio.sleep(rng.uniform(0.2, 0.5))

    async def sweep() -> dict[str, Any]:
        process = await asyncio.create_subprocess_exec(
            str(EXE),
            "expire",
            env=server_env(live.server.url),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        except TimeoutError:
            process.kill()
            raise
        assert process.returncode == 0, err.decode()
        return json.loads(out)

    results = await gather_bounded(sweep(), sweep(), sweep(), *(stream(s) for s in range(4)))
    sweeps = results[:3]

    # Exactly one persisted expiry entry per lot, for the points nobody used.
    ledgers = await gather_bounded(*(live.pages(f"/v1/accounts/{a}/ledger", kind="expiry") for a in accounts))
    expiries = [e for entries in ledgers for e in entries]
    assert not [e for e in expiries if e["pending"]]
    assert Counter(e["lot_id"] for e in expiries) == dict.fromkeys(lots, 1), "one expiry entry per lot"
    swept_only_lots = {lid for lid, lot in lots.items() if lot["account_id"] in SWEPT_ONLY}
    assert len(swept_only_lots) <= sum(s["expired_lots"] for s in sweeps) <= len(lots), sweeps
    by_lot = {e["lot_id"]: e for e in expiries}
    pre_held: Counter[str] = Counter()
    for ticket in pre_opened:
        for a in ticket["allocations"]:
            pre_held[a["lot_id"]] += a["held"]
    listed = await gather_bounded(*(live.pages(f"/v1/accounts/{a}/lots", include_empty="true") for a in accounts))
    found = [lot for page in listed for lot in page if lot["id"] in lots]
    assert len(found) == len(lots)
    for lot in found:
        not_used = lot["points"] - lot["held"] - lot["deducted"]
        assert (lot["available"], lot["expired"]) == (0, not_used), lot
        assert lot["held"] == pre_held[lot["id"]] and lot["held"] in (0, 20), lot  # opened before the due time
        entry = by_lot[lot["id"]]
        assert (entry["available_delta"], entry["actor"]) == (-not_used, "system:expiry"), entry
        assert datetime.fromisoformat(entry["effective_at"]) == datetime.fromisoformat(lot["expires_at"])
    assert sum(lot_held for lid, lot_held in pre_held.items() if lid in lots) == 20 * len(accounts[::2])
    # Nothing captured after the due time came from an expired lot.
    assert not [a for t in opened for a in t["allocations"] if a["lot_id"] in lots]
    assert opened, "the captures went on"
    await live.assert_verified()
