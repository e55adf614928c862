"""The scripted account the page tests read: two packs, tickets opened, adjusted, resolved, refunded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conftest import Api


async def scripted(api: Api, account_id: str = "acme", closed: int = 3) -> dict[str, Any]:
    """`closed` resolved tickets (one of them refunded: a software bug), two in progress; returns
    the tickets by role in the story."""
    await api.account(account_id)
    await api.buy(account_id, "points-1200")
    await api.buy(account_id, "points-300")
    for _ in range(closed // 40):  # 25 points a ticket
        await api.buy(account_id, "points-1200")
    done = []
    for n in range(closed):
        api.clock.advance(timedelta(hours=1))
        t = await api.open(account_id, "store-problem", ref=f"C-{n:03d}", subject=f"closed ticket {n}")
        r = await api.post(f"/v1/tickets/{t['id']}/resolve", {}, role="helpdesk")
        assert r.status_code == 200, r.text
        done.append(t)
    api.clock.advance(timedelta(hours=1))
    bug = done[0]
    r = await api.post(f"/v1/tickets/{bug['id']}/refund", {"reason": "software_bug"}, role="helpdesk")
    assert r.status_code == 200, r.text
    api.clock.advance(timedelta(hours=1))
    waiting = await api.open(account_id, "store-problem", ref="P-1", subject="in progress")
    r = await api.post(
        f"/v1/tickets/{waiting['id']}/adjust", {"points": 40, "reason": "more work than thought"}, role="helpdesk"
    )
    assert r.status_code == 200, r.text
    api.clock.advance(timedelta(hours=1))
    second = await api.open(account_id, "store-problem", ref="P-2", subject="<b>bold</b> & friends")
    r = await api.post(
        f"/v1/accounts/{account_id}/adjustments", {"points": -15, "reason": "goodwill correction"}, role="admin"
    )
    assert r.status_code in (200, 201), r.text
    return {"closed": done, "bug": bug, "in_progress": [waiting, second]}
