"""Concurrent billing webhook deliveries against a live server: one payment, one purchase."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid
from datetime import UTC, datetime

import pytest

from support.webhooks import signed_headers

SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()


@pytest.fixture(autouse=True)
def _webhook_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set before the live server starts: it reads its secrets from the environment."""
    monkeypatch.setenv("POINTS_WEBHOOK_SECRETS", SECRET)


def signed(webhook_id: str, event: dict) -> tuple[str, dict[str, str]]:
    body = json.dumps(event)
    return body, signed_headers(body, webhook_id, SECRET)


def payment(payment_id: str) -> dict:
    return {
        "type": "payment.succeeded",
        "data": {
            "payment_id": payment_id,
            "account_id": "cust-live",
            "plan": "points-120",
            "amount": "68.50",
            "currency": "USD",
            "paid_at": datetime.now(UTC).isoformat(),
        },
    }


async def purchases(live) -> list[dict]:
    return await live.pages("/v1/accounts/cust-live/ledger", kind="purchase")


async def test_20_concurrent_deliveries_of_one_event_make_one_purchase(live_server, live):
    body, headers = signed(f"evt_{uuid.uuid4().hex}", payment("pay-live-1"))
    responses = await asyncio.gather(
        *(live.http.post("/v1/webhooks/billing", content=body, headers=headers) for _ in range(20))
    )
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses if r.status_code != 200]
    assert {r.json()["outcome"] for r in responses} == {"applied"}
    assert sum(not r.json()["replayed"] for r in responses) == 1
    assert len(await purchases(live)) == 1
    assert (await live.balance("cust-live"))["available"] == 120


async def test_20_deliveries_of_one_payment_under_new_ids_make_one_purchase(live_server, live):
    deliveries = [signed(f"evt_{uuid.uuid4().hex}", payment("pay-live-2")) for _ in range(20)]
    responses = await asyncio.gather(
        *(live.http.post("/v1/webhooks/billing", content=body, headers=headers) for body, headers in deliveries)
    )
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses if r.status_code != 200]
    assert {r.json()["outcome"] for r in responses} == {"applied"}
    assert len(await purchases(live)) == 1
    assert (await live.balance("cust-live"))["available"] == 120
