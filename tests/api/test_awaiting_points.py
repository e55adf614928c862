"""Tickets that wait for points: opened with `when_insufficient: wait`, captured strictly first
come, first served when a lot arrives, in the transaction of its arrival."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from support.figures import figures


async def funded(api: Any, points: int, account_id: str = "acme") -> None:
    await api.account(account_id)
    if points:
        r = await api.post(f"/v1/accounts/{account_id}/adjustments", {"points": points, "reason": "start"})
        assert r.status_code == 201, r.text


async def wait_open(api: Any, points: int, account_id: str = "acme", **extra: Any) -> Any:
    body = {"external_ref": f"W-{api.serial()}", "category": "other", "estimated_points": points, **extra}
    return await api.post(f"/v1/accounts/{account_id}/tickets", {"when_insufficient": "wait", **body}, role="helpdesk")


async def ticket(api: Any, ticket_id: str) -> dict[str, Any]:
    r = await api.get(f"/v1/tickets/{ticket_id}")
    assert r.status_code == 200, r.text
    return r.json()


async def test_waiting_tickets_are_captured_first_come_first_served(api):
    await funded(api, 10)
    a = await wait_open(api, 40)
    b = await wait_open(api, 50)
    assert (a.status_code, b.status_code) == (202, 202), (a.text, b.text)
    assert a.json()["status"] == "awaiting_points" and a.json()["captured_points"] == 0
    balance = await api.balance()
    assert figures(balance) == (10, 0, 0) and balance["awaiting_points"] == {"count": 2, "points": 90}

    await api.buy(plan="points-60")  # 70: A (40) is captured, B (50) waits
    assert (await ticket(api, a.json()["id"]))["status"] == "open"
    assert (await ticket(api, b.json()["id"]))["status"] == "awaiting_points"
    assert figures(await api.balance()) == (30, 40, 0)

    c = await wait_open(api, 20)  # fits now: captured at once, even while B waits
    assert c.status_code == 201 and c.json()["status"] == "open"
    assert figures(await api.balance()) == (10, 60, 0)

    await api.buy(plan="points-120")  # 130: B is captured
    captured_b = await ticket(api, b.json()["id"])
    assert captured_b["status"] == "open" and captured_b["captured_points"] == 50
    assert [h["action"] for h in captured_b["history"]] == ["opened", "captured"]
    balance = await api.balance()
    assert figures(balance) == (80, 110, 0) and balance["awaiting_points"] == {"count": 0, "points": 0}


async def test_a_small_ticket_never_overtakes_a_big_one_that_waited_longer(api):
    await funded(api, 0)
    big = await wait_open(api, 500)
    small = await wait_open(api, 5)
    await api.buy(plan="points-60")
    assert (await ticket(api, big.json()["id"]))["status"] == "awaiting_points"
    assert (await ticket(api, small.json()["id"]))["status"] == "awaiting_points"
    assert figures(await api.balance()) == (60, 0, 0)


async def test_every_kind_of_arrival_captures(api):
    await funded(api, 0)
    for arrival in ("license", "import", "adjustment", "purchase"):
        waiting = await wait_open(api, (await api.balance())["available"] + 5)  # each arrival brings ≥ 5
        assert waiting.status_code == 202
        if arrival == "license":
            r = await api.post(
                "/v1/accounts/acme/licenses", {"license_key": f"L-{api.serial()}", "product": "default"}, role="billing"
            )
        elif arrival == "import":
            body = {"points": 10, "granted_at": api.clock.now().isoformat(), "external_ref": f"I-{api.serial()}"}
            r = await api.post("/v1/accounts/acme/imports", {**body, "reason": "moved"})
        elif arrival == "adjustment":
            r = await api.post("/v1/accounts/acme/adjustments", {"points": 10, "reason": "goodwill"})
        else:
            r = await api.post(
                "/v1/accounts/acme/purchases", {"plan": "points-60", "payment_id": f"p-{api.serial()}"}, role="billing"
            )
        assert r.status_code in (200, 201), r.text
        assert (await ticket(api, waiting.json()["id"]))["status"] == "open", arrival


async def test_a_returned_lot_captures_a_waiting_ticket(api):
    """A refund whose points go to a reissued lot (the old lot expired) is an arrival."""
    await funded(api, 0)
    bought = await api.buy(plan="points-60")
    opened = await api.open(category="other", estimated_points=60)
    r = await api.post(f"/v1/tickets/{opened['id']}/resolve", {}, role="helpdesk")
    assert r.status_code == 200
    api.clock.set(api.clock.now() + timedelta(days=740))  # the lot expired
    assert bought["lot"]["expires_at"] < api.clock.now().isoformat()
    waiting = await wait_open(api, 60)
    assert waiting.status_code == 202
    r = await api.post(f"/v1/tickets/{opened['id']}/refund", {"reason": "software_bug"}, role="helpdesk")
    assert r.status_code == 200, r.text
    assert (await ticket(api, waiting.json()["id"]))["status"] == "open"


async def test_a_waiting_ticket_can_be_adjusted_or_refunded_not_resolved_or_credited(api):
    await funded(api, 0)
    w = (await wait_open(api, 40)).json()
    r = await api.post(f"/v1/tickets/{w['id']}/adjust", {"points": 30, "reason": "smaller"}, role="helpdesk")
    assert r.status_code == 200 and r.json()["estimated_points"] == 30 and r.json()["captured_points"] == 0
    assert (await api.balance())["awaiting_points"] == {"count": 1, "points": 30}
    for action, body in (("resolve", {}), ("credit", {"points": 1, "reason": "x"})):
        r = await api.post(f"/v1/tickets/{w['id']}/{action}", body, role="helpdesk")
        assert r.status_code == 409 and r.json()["type"].endswith("/invalid-state"), r.text
    r = await api.post(f"/v1/tickets/{w['id']}/refund", {"reason": "withdrawn"}, role="helpdesk")
    assert r.status_code == 200 and r.json()["status"] == "refunded" and r.json()["returned_points"] == 0
    assert (await api.balance())["awaiting_points"] == {"count": 0, "points": 0}
    await api.buy(plan="points-60")  # nothing waits any more
    assert figures(await api.balance()) == (60, 0, 0)


async def test_without_wait_an_open_is_still_refused(api):
    await funded(api, 10)
    r = await api.post(
        "/v1/accounts/acme/tickets", {"external_ref": "R", "category": "other", "estimated_points": 40}, role="helpdesk"
    )
    assert r.status_code == 409 and r.json()["type"].endswith("/insufficient-points")


async def test_the_statement_shows_waiting_tickets_in_part_two_and_events_tell_the_story(api):
    await funded(api, 0)
    w = (await wait_open(api, 40)).json()
    statement = (await api.get("/v1/accounts/acme/statement")).json()
    assert [(t["id"], t["status"], t["captured_points"]) for t in statement["in_progress"]["items"]] == [
        (w["id"], "awaiting_points", 0)
    ]
    assert statement["balance"]["awaiting_points"] == {"count": 1, "points": 40}
    await api.buy(plan="points-60")
    r = await api.get("/v1/events", params={"account_id": "acme", "limit": 50})
    told = [e["type"] for e in reversed(r.json()["items"])]
    assert told[-3:] == ["ticket.awaiting_points", "points.granted", "ticket.opened"], told


async def test_expiry_and_revocation_never_touch_a_waiting_ticket(api):
    await funded(api, 0)
    bought = await api.buy(plan="points-60")
    w = (await wait_open(api, 100)).json()
    r = await api.post(f"/v1/lots/{bought['lot']['id']}/revoke", {"reason": "charged back"}, role="billing")
    assert r.status_code == 200
    api.clock.advance(timedelta(days=800))
    await api.post("/v1/admin/expire")
    after = await ticket(api, w["id"])
    assert (after["status"], after["captured_points"], after["allocations"]) == ("awaiting_points", 0, [])


async def test_many_concurrent_waits_then_purchases_capture_in_opened_order(api):
    """64 concurrent opens with `wait` (10 points each) on 100 points; then purchases arrive
    concurrently. Every point is accounted for (`verify` at teardown), and the tickets are
    captured in the order they were opened."""
    await funded(api, 100)
    opened = await asyncio.gather(*(wait_open(api, 10) for _ in range(64)))
    assert sorted(r.status_code for r in opened) == [201] * 10 + [202] * 54
    await asyncio.gather(*(api.buy(plan="points-60") for _ in range(8)))  # 480 more: 48 captured
    tickets = [await ticket(api, r.json()["id"]) for r in opened]
    waiting = sorted(
        (t for t in tickets if t["history"][0]["reason"] == "awaiting points"), key=lambda t: (t["opened_at"], t["id"])
    )
    captured = [t["status"] == "open" for t in waiting]
    assert captured == [True] * 48 + [False] * 6, "first come, first served"
    balance = await api.balance()
    assert figures(balance) == (0, 580, 0) and balance["awaiting_points"] == {"count": 6, "points": 60}
