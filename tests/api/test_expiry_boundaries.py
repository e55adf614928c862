"""Expiry boundaries end to end: lots at t0, t0 + 1 day and t0 + 400 days; the clock at
2 years − 1 s, exactly 2 years and 2 years + 1 s; sweeps run twice and concurrently with a
capture → exactly one expiry entry per lot, expired points never spendable, held points never
expired."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from support.times import T0

TWO_YEARS = T0.replace(year=T0.year + 2) - T0
SECOND = timedelta(seconds=1)


async def expiry_entries(api) -> list[dict]:
    r = await api.get("/v1/accounts/acme/ledger", params={"kind": "expiry", "limit": 500})
    assert r.status_code == 200, r.text
    return [e for e in r.json()["items"] if not e["pending"]]


async def open_points(api, points: int) -> object:
    body = {"external_ref": f"T-{api.serial()}", "category": "other", "estimated_points": points}
    return await api.post("/v1/accounts/acme/tickets", body, role="helpdesk")


async def test_three_lots_across_their_expiry_boundaries(api):
    assert api.clock.now() == T0
    await api.account()
    first = (await api.buy(plan="points-120"))["lot"]
    api.clock.set(T0 + timedelta(days=1))
    second = (await api.buy(plan="points-60"))["lot"]
    api.clock.set(T0 + timedelta(days=400))
    third = (await api.buy(plan="points-300"))["lot"]
    held = await open_points(api, 20)  # taken from the first lot: it expires soonest
    assert held.status_code == 201 and held.json()["allocations"][0]["lot_id"] == first["id"]

    api.clock.set(T0 + TWO_YEARS - SECOND)
    assert (await api.balance())["available"] == 100 + 60 + 300

    for moment in (T0 + TWO_YEARS, T0 + TWO_YEARS + SECOND):
        api.clock.set(moment)
        balance = await api.balance()
        assert (balance["available"], balance["held"]) == (60 + 300, 20)
        refused = await open_points(api, 361)
        assert refused.status_code == 409 and refused.json()["available"] == 360

    # Two sweeps and a capture at once: one expiry entry, and the capture skips the expired lot.
    sweep_a, sweep_b, capture = await asyncio.gather(
        api.post("/v1/admin/expire"), api.post("/v1/admin/expire"), open_points(api, 30)
    )
    assert sweep_a.status_code == sweep_b.status_code == 200
    assert capture.status_code == 201
    assert {a["lot_id"] for a in capture.json()["allocations"]} == {second["id"]}
    assert sweep_a.json()["expired_points"] + sweep_b.json()["expired_points"] in (0, 100)
    entries = await expiry_entries(api)
    assert [(e["lot_id"], e["available_delta"]) for e in entries] == [(first["id"], -100)]
    assert (await api.post("/v1/admin/expire")).json()["expired_lots"] == 0

    # The held points never expired: resolving deducts them from the first lot.
    r = await api.post(f"/v1/tickets/{held.json()['id']}/resolve", {}, role="helpdesk")
    assert r.status_code == 200 and r.json()["deducted_points"] == 20
    lots = {lot["id"]: lot for lot in (await api.get("/v1/accounts/acme/lots?include_empty=true")).json()["items"]}
    assert (lots[first["id"]]["expired"], lots[first["id"]]["deducted"]) == (100, 20)

    # The second lot at its own boundary, a day later; the third is untouched until day 400 + 2y.
    api.clock.set(T0 + timedelta(days=1) + TWO_YEARS - SECOND)
    assert (await api.balance())["available"] == 30 + 300
    api.clock.set(T0 + timedelta(days=1) + TWO_YEARS)
    assert (await api.balance())["available"] == 300
    await asyncio.gather(api.post("/v1/admin/expire"), api.post("/v1/admin/expire"))
    entries = await expiry_entries(api)
    assert sorted(e["lot_id"] for e in entries) == sorted([first["id"], second["id"]])
    assert lots[third["id"]]["available"] == 300
