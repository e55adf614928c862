"""The outbox and the pull API: every change's event, in the change's transaction, numbered
gaplessly per account, showing what the change's response showed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from points_service.db import schema as t
from points_service.services.accounts import PutAccount
from points_service.services.context import Context
from points_service.services.tickets import OpenTicket

GRACE = timedelta(days=30)


async def events(api: Any, role: str = "admin", **params: Any) -> list[dict[str, Any]]:
    """Every event the list gives, page after page (newest first)."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = await api.get(
            "/v1/events", role=role, params={**params, "limit": 3, **({"cursor": cursor} if cursor else {})}
        )
        assert r.status_code == 200, r.text
        found += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return found


async def of_account(api: Any, account_id: str = "acme") -> list[dict[str, Any]]:
    """The account's events, oldest first."""
    return sorted(await events(api, account_id=account_id), key=lambda e: e["seq"])


async def test_a_scenario_tells_every_change_once_in_order_with_the_responses_data(api):
    r = await api.put("/v1/accounts/acme", {"display_name": "ACME"})
    assert r.status_code == 201
    created = r.json()
    bought = await api.buy(plan="points-120")
    ticket = await api.open()
    adjusted = (await api.post(f"/v1/tickets/{ticket['id']}/adjust", {"points": 40, "reason": "more work"})).json()
    resolved = (await api.post(f"/v1/tickets/{ticket['id']}/resolve", {})).json()
    refunded = (await api.post(f"/v1/tickets/{ticket['id']}/refund", {"reason": "software_bug"})).json()
    written_off = await api.post("/v1/accounts/acme/adjustments", {"points": -5, "reason": "cleanup"})
    assert written_off.status_code == 200, written_off.text
    revoked = await api.post(f"/v1/lots/{bought['lot']['id']}/revoke", {"reason": "charged back"}, role="billing")
    assert revoked.status_code == 200, revoked.text
    expires = (api.clock.now() + timedelta(days=1)).isoformat()
    second = await api.post(
        "/v1/accounts/acme/adjustments", {"points": 30, "reason": "goodwill", "expires_at": expires}
    )
    assert second.status_code == 201, second.text
    api.clock.advance(timedelta(days=2))  # past the goodwill lot's expiry (well within the events' retention)
    sweep = await api.post("/v1/admin/expire")
    assert sweep.status_code == 200 and sweep.json()["expired_lots"] == 1

    told = await of_account(api)
    assert [e["seq"] for e in told] == list(range(1, len(told) + 1)), "gapless, from 1"
    assert [e["type"] for e in told] == [
        "account.created",
        "points.granted",
        "ticket.opened",
        "ticket.adjusted",
        "ticket.resolved",
        "ticket.refunded",
        "points.written_off",
        "points.revoked",
        "points.granted",
        "points.expired",
    ]
    data = [e["data"] for e in told]
    assert data[0] == created
    assert data[1] == bought["lot"]
    assert data[2] == ticket
    assert data[3] == adjusted
    assert data[4] == resolved
    assert data[5] == refunded
    assert data[6]["kind"] == "adjustment" and data[6]["available_delta"] == -5
    assert data[7]["kind"] == "revocation" and data[7]["lot_id"] == bought["lot"]["id"]
    assert data[8] == second.json()["lot"]
    assert data[9]["kind"] == "expiry" and data[9]["lot_id"] == second.json()["lot"]["id"]
    for e in told:
        r = await api.get(f"/v1/events/{e['id']}")
        assert r.status_code == 200 and r.json() == e


async def test_a_refused_command_leaves_no_event_and_no_gap(api):
    await api.account()
    await api.buy(plan="points-60")
    before = await of_account(api)
    r = await api.post(
        "/v1/accounts/acme/tickets", {"external_ref": "T-big", "category": "other", "estimated_points": 10_000}
    )
    assert r.status_code == 409, r.text
    await api.open()
    after = await of_account(api)
    assert after[: len(before)] == before
    assert [e["seq"] for e in after] == list(range(1, len(before) + 2))


async def test_a_command_that_fails_in_a_batch_leaves_no_event_its_neighbours_keep_theirs(api):
    """Group commit: three opens in one batch, the middle one refused; the batch's events are
    the other two's, numbered without a gap."""
    await api.account()
    await api.buy(plan="points-120")
    ctx = Context(actor="test", role="admin", clock=api.clock, return_grace=GRACE)
    opens = [
        OpenTicket(ctx=ctx, account_id="acme", external_ref=ref, category="other", estimated_points=points)
        for ref, points in (("A", 10), ("B", 100_000), ("C", 10))
    ]
    batches = api.db.batches
    results = await asyncio.gather(*(api.db.write(c) for c in opens), return_exceptions=True)
    assert api.db.batches <= batches + 2
    assert isinstance(results[1], Exception) and not isinstance(results[0], Exception)
    told = await of_account(api)
    assert [e["type"] for e in told[-2:]] == ["ticket.opened", "ticket.opened"]
    assert {e["data"]["external_ref"] for e in told[-2:]} == {"A", "C"}
    assert [e["seq"] for e in told] == list(range(1, len(told) + 1))


async def test_balance_low_and_recovered_once_per_crossing(api):
    await api.account()
    r = await api.put("/v1/accounts/acme", {"low_balance_threshold": 50})
    assert r.status_code == 200 and r.json()["low_balance_threshold"] == 50
    assert [e["type"] for e in await of_account(api)] == ["account.created", "balance.low"], "0 < 50 at once"
    await api.buy(plan="points-60")  # 60: recovered
    t1 = await api.open(category="other", estimated_points=20)  # 40: low
    await api.open(category="other", estimated_points=10)  # 30: still low, not told again
    await api.post(f"/v1/tickets/{t1['id']}/refund", {"reason": "withdrawn"})  # 50: recovered (at, not above)
    await api.put("/v1/accounts/acme", {"low_balance_threshold": None})  # off: nothing told
    await api.open(category="other", estimated_points=40)  # 10, no threshold: nothing
    types = [e["type"] for e in await of_account(api) if e["type"].startswith("balance.")]
    assert types == ["balance.low", "balance.recovered", "balance.low", "balance.recovered"]
    low = [e for e in await of_account(api) if e["type"] == "balance.low"][-1]
    assert low["data"]["available"] == 40 and low["data"]["account_id"] == "acme"


async def test_an_expiry_can_cross_the_threshold(api):
    await api.account()
    await api.put("/v1/accounts/acme", {"low_balance_threshold": 10})
    await api.buy(plan="points-60")
    api.clock.advance(timedelta(days=800))
    await api.post("/v1/admin/expire")
    types = [e["type"] for e in await of_account(api)]
    assert types[-2:] == ["points.expired", "balance.low"]


async def test_expiry_notices_at_30_and_7_days_once_each_with_the_sweep_twice_and_late(api):
    await api.account()
    lot = (await api.buy(plan="points-60"))["lot"]
    expires = lot["expires_at"]
    api.clock.advance(timedelta(days=690))  # 40 days before expiry (2 years = 730/731 days)
    await api.post("/v1/admin/expire")
    await api.post("/v1/admin/expire")
    assert [e for e in await of_account(api) if e["type"] == "lot.expiring_soon"] == []

    from support.times import ts

    end = ts(expires)
    api.clock.set(end - timedelta(days=30))  # exactly 30 days left
    first = (await api.post("/v1/admin/expire")).json()
    second = (await api.post("/v1/admin/expire")).json()
    assert (first["expiry_notices"], second["expiry_notices"]) == (1, 0)
    api.clock.set(end - timedelta(days=6, hours=1))  # late for the 7-day notice
    assert (await api.post("/v1/admin/expire")).json()["expiry_notices"] == 1
    assert (await api.post("/v1/admin/expire")).json()["expiry_notices"] == 0
    notices = [e["data"] for e in await of_account(api) if e["type"] == "lot.expiring_soon"]
    assert [(n["notice_days"], n["days_left"], n["points"]) for n in notices] == [(30, 30, 60), (7, 6, 60)]
    assert notices[0]["lot"]["id"] == lot["id"]


async def test_a_lot_found_late_gets_only_the_smallest_notice(api):
    await api.account()
    lot = (await api.buy(plan="points-60"))["lot"]
    from support.times import ts

    api.clock.set(ts(lot["expires_at"]) - timedelta(days=3))
    assert (await api.post("/v1/admin/expire")).json()["expiry_notices"] == 1
    notices = [e["data"] for e in await of_account(api) if e["type"] == "lot.expiring_soon"]
    assert [(n["notice_days"], n["days_left"]) for n in notices] == [(7, 3)]


async def test_an_empty_lot_gets_no_notice(api):
    await api.account()
    lot = (await api.buy(plan="points-60"))["lot"]
    await api.open(category="other", estimated_points=60)
    from support.times import ts

    api.clock.set(ts(lot["expires_at"]) - timedelta(days=3))
    assert (await api.post("/v1/admin/expire")).json()["expiry_notices"] == 0


async def test_the_list_filters_by_type_account_and_time_and_pages_newest_first(api):
    await api.account()
    await api.account("other")
    await api.buy()
    middle = api.clock.now()
    api.clock.advance(timedelta(minutes=1))
    await api.buy("other")
    await api.open()
    everything = await events(api)
    stamps = [(e["created_at"], e["id"]) for e in everything]
    assert stamps == sorted(stamps, reverse=True), "newest first"
    assert {e["type"] for e in await events(api, type="points.granted")} == {"points.granted"}
    both = await events(api, type=["points.granted", "ticket.opened"])
    assert sorted(e["type"] for e in both) == ["points.granted", "points.granted", "ticket.opened"]
    assert {e["account_id"] for e in await events(api, account_id="other")} == {"other"}
    later = await events(api, created_after=middle.isoformat())
    assert sorted(e["type"] for e in later) == ["points.granted", "ticket.opened"]
    r = await api.get("/v1/events", params={"type": "points.granted", "limit": 1})
    cursor = r.json()["next_cursor"]
    r = await api.get("/v1/events", params={"type": "ticket.opened", "cursor": cursor})
    assert r.status_code == 422, "a cursor is valid only with its filters"
    r = await api.get("/v1/events", params={"type": "nope"})
    assert r.status_code == 422


async def test_roles_viewer_sees_only_its_account(api):
    await api.account()
    await api.account("other")
    await api.buy("other")
    await api.buy()
    mine = await events(api, role="viewer")
    assert mine and {e["account_id"] for e in mine} == {"acme"}
    r = await api.get("/v1/events", role="viewer", params={"account_id": "other"})
    assert r.status_code == 404
    other = (await events(api, account_id="other"))[0]
    r = await api.get(f"/v1/events/{other['id']}", role="viewer")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    for role in ("billing", "helpdesk"):
        assert len(await events(api, role=role)) == len(await events(api))
    assert (await api.get("/v1/events/evt_nope")).status_code == 404
    assert (await api.get("/v1/events", role="")).status_code == 401


async def test_events_older_than_the_retention_are_purged_by_the_sweep(api):
    await api.account()
    await api.buy()
    api.clock.advance(timedelta(days=29))
    await api.open()
    api.clock.advance(timedelta(days=2))  # the first two events are 31 days old
    r = await api.post("/v1/admin/expire")
    assert r.json()["purged_events"] == 2
    assert [e["type"] for e in await of_account(api)] == ["ticket.opened"]


@pytest.mark.parametrize("threshold", [-1, 1.5, "10"])
async def test_a_threshold_must_be_whole_points(api, threshold):
    r = await api.put("/v1/accounts/acme", {"low_balance_threshold": threshold})
    assert r.status_code == 422


async def test_put_account_keeps_the_account_sequence(api):
    ctx = Context(actor="test", role="admin", clock=api.clock, return_grace=GRACE)
    await api.db.write(PutAccount(ctx=ctx, account_id="acme", display_name="x"))
    await api.buy()

    def count(conn: Any) -> tuple[int, int]:
        n = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
        seq = conn.execute(select(t.accounts.c.event_seq).where(t.accounts.c.id == "acme")).scalar_one()
        return n, seq

    assert await api.db.read(count) == (2, 2)
