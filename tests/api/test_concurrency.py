"""Concurrent requests on one account never overdraw it (SQLite, one process)."""

from __future__ import annotations

import asyncio


async def test_64_concurrent_opens_of_30_on_100_points_let_exactly_3_through(api):
    await api.account("acme")
    r = await api.post("/v1/accounts/acme/adjustments", {"points": 100, "reason": "starting balance"})
    assert r.status_code == 201, r.text

    async def open_one(i: int):
        body = {"external_ref": f"race-{i}", "category": "other", "estimated_points": 30}
        return await api.post("/v1/accounts/acme/tickets", body, role="helpdesk")

    responses = await asyncio.gather(*(open_one(i) for i in range(64)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 3
    assert statuses.count(409) == 61
    assert all(r.json()["type"] == "/problems/insufficient-points" for r in responses if r.status_code == 409)
    balance = await api.balance()
    assert (balance["available"], balance["held"]) == (10, 90)
    verify = await api.get("/v1/admin/verify")
    assert verify.json()["ok"] is True, verify.json()
