"""Idle tickets: the list of open tickets unchanged for a while, and `ticket.idle` from the sweep,
once per idle period, with a clock the test controls."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest


async def idle(api: Any, idle_for: str, role: str = "helpdesk", **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"idle_for": idle_for, "limit": 2, **params, **({"cursor": cursor} if cursor else {})}
        r = await api.get("/v1/tickets", role=role, params=query)
        assert r.status_code == 200, r.text
        found += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return found


async def told(api: Any) -> list[str]:
    r = await api.get("/v1/events", params={"type": "ticket.idle", "limit": 100})
    return [e["data"]["id"] for e in r.json()["items"]]


async def test_the_list_shows_open_tickets_unchanged_for_that_long_oldest_first(api):
    await api.account()
    await api.account("other")
    await api.buy()
    await api.buy("other")
    first = await api.open()
    api.clock.advance(timedelta(days=1))
    second = await api.open("other")
    resolved = await api.open()
    await api.post(f"/v1/tickets/{resolved['id']}/resolve", {}, role="helpdesk")
    api.clock.advance(timedelta(days=2))
    touched = await api.open()
    api.clock.advance(timedelta(days=12))
    await api.post(f"/v1/tickets/{touched['id']}/adjust", {"points": 30, "reason": "more"}, role="helpdesk")
    # now: first unchanged 15 days, second 14 days, touched changed just now, resolved is closed
    assert [t["id"] for t in await idle(api, "P14D")] == [first["id"], second["id"]]
    assert [t["id"] for t in await idle(api, "P14DT1H")] == [first["id"]]
    assert [t["id"] for t in await idle(api, "PT1H", status="open")] == [first["id"], second["id"]]


@pytest.mark.parametrize("idle_for", ["PT59M", "P1100D", "P14", "soon", "-P1D"])
async def test_an_idle_for_outside_one_hour_to_three_years_is_refused(api, idle_for):
    r = await api.get("/v1/tickets", params={"idle_for": idle_for})
    assert r.status_code == 422, r.text


async def test_only_admin_and_helpdesk_list_idle_tickets(api):
    for role, status in (("admin", 200), ("helpdesk", 200), ("billing", 403), ("viewer", 403)):
        r = await api.get("/v1/tickets", role=role, params={"idle_for": "P14D"})
        assert r.status_code == status, (role, r.text)


async def test_the_sweep_tells_an_idle_ticket_once_per_idle_period(api):
    await api.account()
    await api.buy()
    ticket = await api.open()
    api.clock.advance(timedelta(days=13, hours=23))
    assert (await api.post("/v1/admin/expire")).json()["idle_tickets"] == 0
    api.clock.advance(timedelta(hours=1))  # 14 days unchanged
    assert (await api.post("/v1/admin/expire")).json()["idle_tickets"] == 1
    assert (await api.post("/v1/admin/expire")).json()["idle_tickets"] == 0, "once per idle period"
    assert await told(api) == [ticket["id"]]
    api.clock.advance(timedelta(days=20))
    assert (await api.post("/v1/admin/expire")).json()["idle_tickets"] == 0, "still the same period"
    await api.post(f"/v1/tickets/{ticket['id']}/adjust", {"points": 30, "reason": "back on it"}, role="helpdesk")
    api.clock.advance(timedelta(days=14))  # a new idle period
    assert (await api.post("/v1/admin/expire")).json()["idle_tickets"] == 1
    assert await told(api) == [ticket["id"]], "the new period's (the first one's is past the retention)"
    await api.post(f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk")
    api.clock.advance(timedelta(days=30))
    assert (await api.post("/v1/admin/expire")).json()["idle_tickets"] == 0, "a closed ticket is never idle"
