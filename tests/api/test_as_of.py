"""As of an instant (docs/design.md §15): the statement, balance, lots, ledger and tickets read live
at instants through a scripted year, then asked again later with `?as_of=` those instants, are equal
field by field (cursors aside: they are bound to the instant they page, so each listing is compared
whole, page after page, and each statement part with its continuation)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from support.problems import invalid, problem
from support.times import T0, iso

DAY = timedelta(days=1)


async def _all_pages(api, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await api.get(path, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


READS: list[tuple[str, dict[str, Any]]] = [
    ("/v1/accounts/acme/lots", {"limit": 2}),
    ("/v1/accounts/acme/lots", {"limit": 2, "include_empty": "true"}),
    ("/v1/accounts/acme/ledger", {"limit": 3}),
    ("/v1/accounts/acme/ledger", {"limit": 2, "view": "modifications"}),
    ("/v1/accounts/acme/ledger", {"limit": 50, "kind": ["expiry", "capture"]}),
    ("/v1/accounts/acme/tickets", {"limit": 2}),
    ("/v1/accounts/acme/tickets", {"limit": 1, "status": ["awaiting_points", "open"]}),
    ("/v1/accounts/acme/tickets", {"limit": 2, "status": ["resolved", "refunded"]}),
    ("/v1/accounts/acme/tickets", {"limit": 50, "status": "refunded"}),
    ("/v1/accounts/acme/tickets", {"external_ref": "W-1"}),
]
# The statement's parts and where each continues.
PARTS = {
    "modifications": ("/v1/accounts/acme/ledger", {"view": "modifications"}),
    "in_progress": ("/v1/accounts/acme/tickets", {"status": ["awaiting_points", "open"]}),
    "closed": ("/v1/accounts/acme/tickets", {"status": ["resolved", "refunded"]}),
}


async def _statement(api, **params: Any) -> dict[str, Any]:
    """The statement with each part listed whole: its page, then its continuation's pages."""
    r = await api.get("/v1/accounts/acme/statement", params={"limit": 2, **params})
    assert r.status_code == 200, r.text
    body = r.json()
    whole: dict[str, Any] = {"balance": body["balance"]}
    for name, (path, filters) in PARTS.items():
        items, cursor = list(body[name]["items"]), body[name]["next_cursor"]
        while cursor is not None:
            page = await api.get(path, params={**filters, **params, "limit": 2, "cursor": cursor})
            assert page.status_code == 200, page.text
            items += page.json()["items"]
            cursor = page.json()["next_cursor"]
        whole[name] = {"first_page": len(body[name]["items"]), "items": items}
    return whole


async def _capture(api) -> dict[str, Any]:
    seen: dict[str, Any] = {
        "balance": (await api.get("/v1/accounts/acme/balance")).json(),
        "statement": await _statement(api),
    }
    for n, (path, params) in enumerate(READS):
        seen[f"{n}"] = await _all_pages(api, path, **params)
    return seen


async def _asked_as_of(api, at: str) -> dict[str, Any]:
    r = await api.get("/v1/accounts/acme/balance", params={"as_of": at})
    assert r.status_code == 200, r.text
    seen: dict[str, Any] = {"balance": r.json(), "statement": await _statement(api, as_of=at)}
    for n, (path, params) in enumerate(READS):
        seen[f"{n}"] = await _all_pages(api, path, **params, as_of=at)
    return seen


class Snapshots:
    """Reads taken live at instants (`take`), each asked again later `as_of` its instant."""

    def __init__(self, api) -> None:
        self.api = api
        self.taken: dict[str, dict[str, Any]] = {}

    async def take(self) -> None:
        self.taken[iso(self.api.clock.now())] = await _capture(self.api)

    async def asked_again_as_of_their_instants(self) -> None:
        """Every read equal, field by field, to what it showed live."""
        for at, live in self.taken.items():
            asked = await _asked_as_of(self.api, at)
            for part in live:
                assert asked[part] == live[part], (at, part)


async def _post(api, path: str, body: dict[str, Any], role: str, status: int = 200) -> dict[str, Any]:
    r = await api.post(path, body, role=role)
    assert r.status_code == status, r.text
    return r.json()


async def test_reads_taken_live_equal_the_same_reads_asked_later_as_of_their_instant(api):
    snapshots = Snapshots(api)
    snap = snapshots.take

    await api.account()
    await snap()  # an account with nothing yet
    first = (await api.buy(plan="points-120"))["lot"]
    revoked = (await api.buy(plan="points-60"))["lot"]
    # Imported points that expire on day 100, with nobody writing on the account then.
    await _post(
        api,
        "/v1/accounts/acme/imports",
        {
            "points": 40,
            "granted_at": iso(T0 - 400 * DAY),
            "expires_at": iso(T0 + 100 * DAY),
            "external_ref": "old-1",
            "reason": "migration",
        },
        "admin",
        201,
    )
    await snap()  # same instant as the writes: they count (inclusive)
    api.clock.advance(10 * DAY)
    adjusted = await api.open(category="store-problem")
    await _post(
        api,
        f"/v1/tickets/{adjusted['id']}/adjust",
        {"points": 35, "reason": "more work", "category": "small-mod"},
        "helpdesk",
    )
    resolved = await api.open(category="consultation")
    await _post(api, f"/v1/tickets/{resolved['id']}/resolve", {}, "helpdesk")
    await snap()
    api.clock.advance(20 * DAY)
    refunded = await api.open(category="code-debugging")
    await _post(api, f"/v1/tickets/{refunded['id']}/refund", {"reason": "software_bug"}, "helpdesk")
    await _post(api, f"/v1/tickets/{adjusted['id']}/resolve", {"points": 30}, "helpdesk")
    await _post(api, f"/v1/tickets/{adjusted['id']}/credit", {"points": 5, "reason": "goodwill"}, "helpdesk")
    held = await api.open(category="consultation")
    forfeits = await api.open(category="other", estimated_points=100)
    await snap()
    api.clock.advance(30 * DAY)
    await _post(api, f"/v1/lots/{revoked['id']}/revoke", {"reason": "chargeback"}, "billing")
    await _post(api, f"/v1/tickets/{forfeits['id']}/refund", {"reason": "withdrawn"}, "helpdesk")
    waiting = await _post(
        api,
        "/v1/accounts/acme/tickets",
        {"external_ref": "W-1", "category": "installation", "when_insufficient": "wait"},
        "helpdesk",
        202,
    )
    await snap()
    api.clock.set(T0 + 100 * DAY)  # the import expires now: pending, nobody writes
    await snap()
    api.clock.advance(DAY)
    await snap()
    api.clock.advance(30 * DAY)
    dispute = await _post(api, f"/v1/tickets/{resolved['id']}/disputes", {"reason": "not fixed"}, "helpdesk", 201)
    await _post(api, f"/v1/disputes/{dispute['id']}/accept", {"note": "agreed", "points": 4}, "helpdesk")
    await _post(api, f"/v1/tickets/{waiting['id']}/adjust", {"points": 120, "reason": "smaller"}, "helpdesk")
    await snap()
    api.clock.advance(60 * DAY)
    await api.buy(plan="points-300")  # the waiting ticket is captured
    await _post(api, f"/v1/tickets/{held['id']}/adjust", {"points": 5, "reason": "less"}, "helpdesk")
    await snap()
    api.clock.set(T0 + 365 * DAY)
    await _post(api, "/v1/admin/expire", {}, "admin")
    await snap()
    assert first["id"]

    api.clock.advance(DAY)
    for at, live in snapshots.taken.items():
        # The finance report's periods are [from, to): its closing at `to` is the liability as of
        # the microsecond before `to` (as_of is inclusive).
        to = datetime.fromisoformat(at) + timedelta(microseconds=1)
        report = await api.get("/v1/reports/finance", params={"from": iso(T0 - DAY), "to": iso(to)})
        closing = sum(row["points"]["closing"] for row in report.json()["rows"])
        assert closing == live["balance"]["available"] + live["balance"]["held"], at
    await snapshots.asked_again_as_of_their_instants()


async def test_as_of_refusals_and_roles(api):
    await api.account()
    await api.buy()
    now = iso(api.clock.now())
    for path in ("balance", "lots", "ledger", "statement", "tickets"):
        future = await api.get(
            f"/v1/accounts/acme/{path}", params={"as_of": iso(api.clock.now() + timedelta(seconds=1))}
        )
        invalid(future, "#/query/as_of")
        before = await api.get(f"/v1/accounts/acme/{path}", params={"as_of": iso(T0 - timedelta(microseconds=1))})
        problem(before, 404, "not-found")
        problem(await api.get(f"/v1/accounts/nobody/{path}", params={"as_of": now}), 404, "not-found")
        invalid(await api.get(f"/v1/accounts/acme/{path}", params={"as_of": "10000-01-01T00:00:00Z"}), "#/query/as_of")
        for role in ("admin", "billing", "helpdesk", "viewer"):
            r = await api.get(f"/v1/accounts/acme/{path}", params={"as_of": now}, role=role)
            assert r.status_code == 200, (role, r.text)


async def test_a_cursor_holds_to_its_instant(api):
    await api.account()
    for _ in range(3):
        await api.buy(plan="points-60")
    at = iso(api.clock.now())
    page = (await api.get("/v1/accounts/acme/ledger", params={"as_of": at, "limit": 1})).json()
    api.clock.advance(DAY)
    await api.buy(plan="points-60")
    live_cursor = (await api.get("/v1/accounts/acme/ledger", params={"limit": 1})).json()["next_cursor"]
    invalid(await api.get("/v1/accounts/acme/ledger", params={"cursor": page["next_cursor"]}), "#/query/cursor")
    invalid(await api.get("/v1/accounts/acme/ledger", params={"cursor": live_cursor, "as_of": at}), "#/query/cursor")
    rest = await api.get("/v1/accounts/acme/ledger", params={"cursor": page["next_cursor"], "as_of": at, "limit": 9})
    assert [e["seq"] for e in rest.json()["items"]] == [2, 1]


async def test_lot_states_and_waiting_tickets_at_the_edges(api):
    """What migration 0012's running states and `tickets.waited` must get right: a lot moved twice
    in one entry (a refund undoing two capture steps from it), a lot used up then given points back,
    a lot expired by the instant (pending, then written), a ticket opened and resolved at the very
    instant asked, and a ticket that waited and was captured later — each read live, then as of its
    instant, equal."""
    snapshots = Snapshots(api)
    snap = snapshots.take

    await api.account()
    pack = (await api.buy(plan="points-60"))["lot"]
    twice = await api.open(category="consultation")  # 10 points from the pack
    await _post(api, f"/v1/tickets/{twice['id']}/adjust", {"points": 60, "reason": "all of it"}, "helpdesk")
    await snap()  # the pack used up by two capture steps
    api.clock.advance(DAY)
    await _post(api, f"/v1/tickets/{twice['id']}/resolve", {}, "helpdesk")
    waiting = await _post(
        api,
        "/v1/accounts/acme/tickets",
        {"external_ref": "W-1", "category": "consultation", "when_insufficient": "wait"},
        "helpdesk",
        202,
    )
    await snap()
    api.clock.advance(DAY)
    # Both capture steps come back to the pack in one entry: two postings of one lot.
    await _post(api, f"/v1/tickets/{twice['id']}/refund", {"reason": "software_bug"}, "helpdesk")
    await api.buy(plan="points-60")  # points arrive: the waiting ticket is captured
    assert (await api.get(f"/v1/tickets/{waiting['id']}")).json()["status"] == "open"
    instant = await api.open(category="consultation")
    await _post(api, f"/v1/tickets/{instant['id']}/resolve", {}, "helpdesk")
    await snap()  # opened and resolved at this very instant
    api.clock.set(datetime.fromisoformat(pack["expires_at"]))
    await snap()  # the pack's points are due: pending
    api.clock.advance(DAY)
    await _post(api, "/v1/admin/expire", {}, "admin")
    await snap()

    api.clock.advance(DAY)
    await snapshots.asked_again_as_of_their_instants()
    first = await api.get("/v1/accounts/acme/balance", params={"as_of": next(iter(snapshots.taken))})
    assert first.json()["available"] == 0


async def test_tickets_in_progress_at_the_bounds_of_their_span_classes(api):
    """Tickets in progress at an instant are found per span class, as the tickets closed within the
    class's bound after it (migration 0013): tickets staying in progress for exactly an hour (the
    bound of class 0), an hour and a microsecond (class 1), three days, forty days, a waiting ticket
    refunded after ten days, and one open for four years (the last class, unbounded) — each read
    live at its opening, a microsecond before its closing and at its closing, then as of those
    instants, equal."""
    snapshots = Snapshots(api)
    snap = snapshots.take

    await api.account()
    await api.buy(plan="points-120")
    start = api.clock.now()
    years = await api.open(category="other", estimated_points=20)
    hour, hour_and_a_bit, days, weeks = [await api.open(category="consultation") for _ in range(4)]
    waits = await _post(
        api,
        "/v1/accounts/acme/tickets",
        {"external_ref": "W-1", "category": "other", "estimated_points": 100, "when_insufficient": "wait"},
        "helpdesk",
        202,
    )
    await snap()
    us = timedelta(microseconds=1)
    closings = [
        (timedelta(hours=1), f"/v1/tickets/{hour['id']}/resolve", {}),
        (timedelta(hours=1) + us, f"/v1/tickets/{hour_and_a_bit['id']}/resolve", {}),
        (3 * DAY, f"/v1/tickets/{days['id']}/resolve", {}),
        (10 * DAY, f"/v1/tickets/{waits['id']}/refund", {"reason": "withdrawn"}),
        (40 * DAY, f"/v1/tickets/{weeks['id']}/refund", {"reason": "software_bug"}),
        (4 * 365 * DAY, f"/v1/tickets/{years['id']}/resolve", {}),
    ]
    for after, path, body in closings:
        api.clock.set(start + after - us)
        await snap()
        api.clock.set(start + after)
        await _post(api, path, body, "helpdesk")
        await snap()

    api.clock.advance(DAY)
    await snapshots.asked_again_as_of_their_instants()
    classes = {k["id"]: k for k in await _all_pages(api, "/v1/accounts/acme/tickets")}
    assert len(classes) == 6
    with api.db.engine.connect() as conn:
        spans = dict(conn.execute(text("SELECT id, span_class FROM tickets")).all())
    assert [spans[k["id"]] for k in (hour, hour_and_a_bit, days, waits, weeks, years)] == [0, 1, 7, 8, 10, 16]


async def test_verify_finds_a_span_class_that_disagrees_with_its_ticket(api):
    await api.account()
    await api.buy()
    ticket = await api.open(category="consultation")
    api.clock.advance(3 * DAY)
    await _post(api, f"/v1/tickets/{ticket['id']}/resolve", {}, "helpdesk")
    assert (await api.get("/v1/admin/verify")).json()["ok"]
    with api.db.engine.begin() as conn:  # too short a class: as-of reads would miss it in progress
        conn.execute(text("UPDATE tickets SET span_class = 2 WHERE id = :id"), {"id": ticket["id"]})
    report = (await api.get("/v1/admin/verify")).json()
    assert [(d["check"], d["expected"], d["found"]) for d in report["disagreements"]] == [
        (f"ticket {ticket['id']} span class", 7, 2)
    ]
    with api.db.engine.begin() as conn:
        conn.execute(text("UPDATE tickets SET span_class = 7 WHERE id = :id"), {"id": ticket["id"]})


async def test_lots_holding_points_at_the_bounds_of_their_span_classes(api):
    """The lots holding points at an instant are those holding points now and, per span class,
    those emptied within the class's bound after it (migration 0013): a pack used up two hours after
    it was bought (class 1), given back three days later (it holds points again: no class), used up
    again after forty days (class 10), and a pack that expires unused two years on (the last
    emptying is its expiry, written a day late) — each read live at and around each change, then as
    of those instants, equal."""
    snapshots = Snapshots(api)
    snap = snapshots.take

    await api.account()
    start = api.clock.now()
    pack = (await api.buy(plan="points-60"))["lot"]
    await snap()
    us = timedelta(microseconds=1)
    api.clock.set(start + timedelta(hours=1) - us)
    await snap()
    api.clock.set(start + timedelta(hours=1))
    first = await api.open(category="other", estimated_points=60)  # the pack's points held: not empty
    await snap()
    api.clock.set(start + timedelta(hours=2))
    await _post(api, f"/v1/tickets/{first['id']}/resolve", {}, "helpdesk")  # deducted: the pack is empty
    await snap()
    api.clock.set(start + 3 * DAY)
    later = (await api.buy(plan="points-120"))["lot"]  # a second lot, holding points for two years
    await _post(api, f"/v1/tickets/{first['id']}/refund", {"reason": "software_bug"}, "helpdesk")
    await snap()  # the pack holds points again
    api.clock.set(start + 40 * DAY - us)
    await snap()
    api.clock.set(start + 40 * DAY)
    second = await api.open(category="other", estimated_points=60)  # the pack first: it expires first
    await _post(api, f"/v1/tickets/{second['id']}/resolve", {}, "helpdesk")
    await snap()
    with api.db.engine.connect() as conn:
        emptied = dict(conn.execute(text("SELECT id, emptied_class FROM lots")).all())
    assert (emptied[pack["id"]], emptied[later["id"]]) == (10, None)
    expiry = datetime.fromisoformat(later["expires_at"])
    api.clock.set(expiry - us)
    await snap()
    api.clock.set(expiry)
    await snap()  # due: pending
    api.clock.advance(DAY)
    await _post(api, "/v1/admin/expire", {}, "admin")  # written a day late
    await snap()

    api.clock.advance(DAY)
    await snapshots.asked_again_as_of_their_instants()
    with api.db.engine.connect() as conn:
        emptied = dict(conn.execute(text("SELECT id, emptied_class FROM lots")).all())
    assert (emptied[pack["id"]], emptied[later["id"]]) == (10, 15)  # two years and a day: (2**14, 2**15] hours


async def test_verify_finds_an_emptied_lot_that_disagrees_with_its_postings(api):
    await api.account()
    lot = (await api.buy(plan="points-60"))["lot"]
    api.clock.advance(DAY)
    ticket = await api.open(category="other", estimated_points=60)
    await _post(api, f"/v1/tickets/{ticket['id']}/resolve", {}, "helpdesk")  # the pack is empty
    assert (await api.get("/v1/admin/verify")).json()["ok"]
    with api.db.engine.begin() as conn:  # emptied a day early: as-of reads would miss it holding points
        conn.execute(
            text("UPDATE lots SET emptied_at = created_at, emptied_class = 0 WHERE id = :id"), {"id": lot["id"]}
        )
    report = (await api.get("/v1/admin/verify")).json()
    assert [(d["check"], d["expected"][1], d["found"][1]) for d in report["disagreements"]] == [
        (f"lot {lot['id']} emptied at and class", 5, 0)
    ]
    with api.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE lots SET emptied_at = :at, emptied_class = 5 WHERE id = :id"),
            {"id": lot["id"], "at": report["disagreements"][0]["expected"][0]},
        )
    assert (await api.get("/v1/admin/verify")).json()["ok"]
