"""Billing webhooks over HTTP (docs/design.md §8 "Billing webhooks" and errors; `GET /v1/admin/webhook-events`).

Requests are signed here as an independent sender would sign them, with the `standardwebhooks`
reference library and secrets the service only knows from its settings. The signature check runs
on the real wall clock (not on `api.clock`), so every `webhook-timestamp` is `time.time()` based;
the ledger's own instants (`received_at`, `created_at`) come from the frozen `api.clock`.
Every number is exact; every test's ledger is verified by the `api` fixture at teardown.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import os
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import standardwebhooks.webhooks as sw
from standardwebhooks.webhooks import Webhook

from points_service.api.routers.webhooks import _verified
from points_service.app import create_app
from points_service.settings import Settings

from support.figures import LOT_STATES, figures, states
from support.problems import problem_without_traceback
from support.times import T0, iso, ts
from support.webhooks import signed_headers

URL = "/v1/webhooks/billing"
ACTOR = "webhook:billing"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


SECRET = new_secret()  # the current secret
OLD_SECRET = new_secret()  # the one being rotated out: still accepted
WRONG_SECRET = new_secret()  # never configured


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Two configured secrets at once (rotation), separated as the README documents."""
    return Settings(database_url=database_url, auth_cache_seconds=0, webhook_secrets=f"{SECRET}, {OLD_SECRET}")


# ---- helpers ---------------------------------------------------------------------------------


def new_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def signed(body: str, msg_id: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`, signed by `secret` at `timestamp` (unix s)."""
    return signed_headers(body, msg_id, secret, timestamp=timestamp)


async def send(api: Any, body: str, headers: dict[str, str]) -> httpx.Response:
    """POST the exact body bytes with the given headers, and no Authorization header."""
    return await api.client.post(URL, content=body.encode(), headers=headers)


async def deliver(
    api: Any, event: dict[str, Any], msg_id: str | None = None, *, secret: str = SECRET
) -> httpx.Response:
    body = json.dumps(event)
    return await send(api, body, signed(body, msg_id or new_id(), secret=secret))


def ack(r: httpx.Response, outcome: str, *, replayed: bool = False) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["outcome"] == outcome, body
    assert body["replayed"] is replayed, body
    return body


def payment(
    payment_id: str,
    account_id: str = "cust-42",
    plan: str = "points-120",
    amount: str = "68.50",
    paid_at: datetime = T0 - timedelta(days=10),
    **extra: Any,
) -> dict[str, Any]:
    data = {
        "payment_id": payment_id,
        "account_id": account_id,
        "plan": plan,
        "amount": amount,
        "currency": "USD",
        "paid_at": iso(paid_at),
        **extra,
    }
    return {"type": "payment.succeeded", "timestamp": iso(paid_at), "data": data}


def reversal(kind: str, payment_id: str, **data: Any) -> dict[str, Any]:
    return {"type": kind, "data": {"payment_id": payment_id, **data}}


async def events(api: Any, role: str = "admin", **params: Any) -> list[dict[str, Any]]:
    r = await api.get("/v1/admin/webhook-events", role=role, params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    return r.json()["items"]


async def event(api: Any, webhook_id: str) -> dict[str, Any]:
    found = [e for e in await events(api) if e["id"] == webhook_id]
    assert len(found) == 1, found
    return found[0]


async def lots(api: Any, account_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/accounts/{account_id}/lots", params={"include_empty": "true"})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def purchases(api: Any, account_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/accounts/{account_id}/ledger", params={"kind": "purchase", "limit": 500})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def metric(api: Any, outcome: str) -> float:
    r = await api.client.get("/metrics")
    assert r.status_code == 200, r.text
    found = re.search(rf'^points_webhook_deliveries_total\{{outcome="{outcome}"\}} (\S+)$', r.text, re.M)
    return float(found.group(1)) if found else 0.0


async def assert_no_trace(api: Any, account_id: str) -> None:
    """A rejected delivery left nothing: no account, no lot, no stored event."""
    r = await api.get(f"/v1/accounts/{account_id}")
    assert r.status_code == 404, r.text
    r = await api.get("/v1/accounts", params={"limit": 500})
    assert r.status_code == 200, r.text
    assert [a["account_id"] for a in r.json()["items"]] == []
    assert await events(api) == []


# ---- signatures ------------------------------------------------------------------------------


KAT_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KAT_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
KAT_TIMESTAMP = 1614265330
KAT_PAYLOAD = '{"test": 2432232314}'
KAT_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


class TestKnownAnswer:
    """The Standard Webhooks specification's published test vector."""

    def test_the_signing_library_produces_the_published_signature(self):
        moment = datetime.fromtimestamp(KAT_TIMESTAMP, tz=UTC)
        assert Webhook(KAT_SECRET).sign(KAT_ID, moment, KAT_PAYLOAD) == KAT_SIGNATURE

    def test_the_service_verifier_accepts_the_published_vector(self, monkeypatch):
        # The vector is dated 2021, far outside the ±5 minute window. Rather than re-signing (which
        # would only test the library against itself), the verifier's notion of "now" is moved to
        # the vector's instant: `standardwebhooks.webhooks` reads `datetime.now()` from its module
        # global `datetime`, so that global is replaced by a subclass whose now() is that instant.
        # Everything else (the HMAC, header parsing, fromtimestamp) runs unchanged on the exact
        # published bytes.
        class At2021(datetime):
            @classmethod
            def now(cls, tz=None):  # type: ignore[no-untyped-def]  # as loose as the datetime.now it stands in for
                return datetime.fromtimestamp(KAT_TIMESTAMP + 10, tz=tz)

        headers = {"webhook-id": KAT_ID, "webhook-timestamp": str(KAT_TIMESTAMP), "webhook-signature": KAT_SIGNATURE}
        assert _verified(KAT_PAYLOAD.encode(), headers, [KAT_SECRET]) is False  # real clock: 2021 is too old
        monkeypatch.setattr(sw, "datetime", At2021)
        assert _verified(KAT_PAYLOAD.encode(), headers, [KAT_SECRET]) is True
        assert _verified(KAT_PAYLOAD.encode(), headers, [WRONG_SECRET, KAT_SECRET]) is True  # rotation: any secret
        assert _verified(KAT_PAYLOAD.encode(), headers, [WRONG_SECRET]) is False
        assert _verified(b'{"test": 2432232315}', headers, [KAT_SECRET]) is False
        assert _verified(KAT_PAYLOAD.encode(), {**headers, "webhook-id": KAT_ID + "x"}, [KAT_SECRET]) is False
        stale = {**headers, "webhook-timestamp": str(KAT_TIMESTAMP + 1)}
        assert _verified(KAT_PAYLOAD.encode(), stale, [KAT_SECRET]) is False
        assert _verified(KAT_PAYLOAD.encode(), headers, []) is False


def _drop(name: str):
    def change(body: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
        return body, {k: v for k, v in headers.items() if k != name}

    return change


def _bad_signature(body: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    sig = base64.b64decode(headers["webhook-signature"].split(",")[1])
    flipped = bytes([sig[0] ^ 1]) + sig[1:]
    return body, {**headers, "webhook-signature": "v1," + base64.b64encode(flipped).decode()}


def _garbage_signature(body: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    return body, {**headers, "webhook-signature": "not a signature"}


def _reserialised(body: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    return json.dumps(json.loads(body), indent=2), headers


def _compacted(body: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    return json.dumps(json.loads(body), separators=(",", ":")), headers


def _non_numeric_timestamp(body: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    return body, {**headers, "webhook-timestamp": "yesterday"}


def _other_id(body: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    return body, {**headers, "webhook-id": headers["webhook-id"] + "-2"}


def _unknown_version(body: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    sig = headers["webhook-signature"].split(",")[1]
    return body, {**headers, "webhook-signature": f"v2,{sig}"}


REJECTIONS = {
    "no webhook-id": _drop("webhook-id"),
    "no webhook-timestamp": _drop("webhook-timestamp"),
    "no webhook-signature": _drop("webhook-signature"),
    "flipped signature bit": _bad_signature,
    "garbage signature": _garbage_signature,
    "body re-serialised with indentation": _reserialised,
    "body re-serialised compactly": _compacted,
    "non-numeric timestamp": _non_numeric_timestamp,
    "signature of another webhook-id": _other_id,
    "v2 prefix on valid bytes": _unknown_version,
}


class TestSignatureRejections:
    @pytest.mark.parametrize("tamper", list(REJECTIONS.values()), ids=list(REJECTIONS))
    async def test_rejected_with_401_and_no_trace(self, api, tamper):
        body = json.dumps(payment("pay-rej", account_id="ghost"))
        sent_body, headers = tamper(body, signed(body, new_id()))
        r = await send(api, sent_body, headers)
        problem_without_traceback(r, 401, "unauthorized")
        await assert_no_trace(api, "ghost")
        assert await metric(api, "rejected") == 1.0
        assert await metric(api, "applied") == 0.0

    async def test_signed_by_a_secret_that_is_not_configured(self, api):
        r = await deliver(api, payment("pay-rej", account_id="ghost"), secret=WRONG_SECRET)
        problem_without_traceback(r, 401, "unauthorized")
        await assert_no_trace(api, "ghost")

    async def test_an_authorization_header_is_no_substitute_for_a_signature(self, api):
        body = json.dumps(payment("pay-rej", account_id="ghost"))
        headers = {"content-type": "application/json", **api.auth("admin")}
        problem_without_traceback(await send(api, body, headers), 401, "unauthorized")
        await assert_no_trace(api, "ghost")

    @pytest.mark.parametrize("offset", [-301, 301], ids=["301s-old", "301s-ahead"])
    async def test_timestamp_outside_five_minutes(self, api, offset):
        # ceil/floor so that the distance from the verifier's clock is at least 301 s
        now = time.time()
        stamp = math.floor(now) + offset if offset < 0 else math.ceil(now) + offset
        body = json.dumps(payment("pay-rej", account_id="ghost"))
        r = await send(api, body, signed(body, new_id(), timestamp=stamp))
        problem_without_traceback(r, 401, "unauthorized")
        await assert_no_trace(api, "ghost")

    # 290 s, not 299: a loaded machine may take a second or more between signing and checking.
    @pytest.mark.parametrize("offset", [-290, 290], ids=["290s-old", "290s-ahead"])
    async def test_timestamp_inside_five_minutes(self, api, offset):
        now = time.time()
        stamp = math.ceil(now) + offset if offset < 0 else math.floor(now) + offset
        body = json.dumps(payment("pay-ok", account_id="cust-1"))
        r = await send(api, body, signed(body, new_id(), timestamp=stamp))
        ack(r, "applied")

    async def test_rejections_are_counted_in_metrics(self, api):
        for tamper in REJECTIONS.values():
            body = json.dumps(payment("pay-rej", account_id="ghost"))
            problem_without_traceback(await send(api, *tamper(body, signed(body, new_id()))), 401, "unauthorized")
        r = await api.client.get("/metrics")
        assert f'points_webhook_deliveries_total{{outcome="rejected"}} {float(len(REJECTIONS))}' in r.text
        await assert_no_trace(api, "ghost")


class TestWithoutSecrets:
    """With no POINTS_WEBHOOK_SECRETS, a warning at start-up and a 401 that says why."""

    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, auth_cache_seconds=0, webhook_secrets="")

    async def test_a_delivery_is_refused_saying_that_no_secret_is_configured(self, api):
        r = await deliver(api, payment("pay-rej", account_id="ghost"))
        body = problem_without_traceback(r, 401, "unauthorized")
        assert "no webhook secret is configured" in body["detail"] and "POINTS_WEBHOOK_SECRETS" in body["detail"]
        await assert_no_trace(api, "ghost")
        assert await metric(api, "rejected") == 1.0

    async def test_start_up_warns(self, settings, caplog):
        app = create_app(settings)
        with caplog.at_level(logging.WARNING, logger="points_service.app"):
            async with app.router.lifespan_context(app):
                pass
        [record] = [r for r in caplog.records if r.name == "points_service.app"]
        assert record.levelno == logging.WARNING and "POINTS_WEBHOOK_SECRETS is not set" in record.getMessage()

    async def test_no_warning_with_a_secret(self, database_url, caplog):
        app = create_app(Settings(database_url=database_url, webhook_secrets=SECRET))
        with caplog.at_level(logging.WARNING, logger="points_service.app"):
            async with app.router.lifespan_context(app):
                pass
        assert [r for r in caplog.records if r.name == "points_service.app"] == []


class TestSignatureAcceptance:
    async def test_one_valid_signature_among_several(self, api):
        body = json.dumps(payment("pay-1", account_id="cust-1"))
        headers = signed(body, msg_id := new_id())
        good = headers["webhook-signature"]
        wrong = signed(body, msg_id, secret=WRONG_SECRET)["webhook-signature"]
        headers["webhook-signature"] = f"{wrong} v2,{good.split(',')[1]} {good}"
        ack(await send(api, body, headers), "applied")
        assert len(await purchases(api, "cust-1")) == 1

    async def test_v2_prefix_alone_is_rejected_but_v1_with_the_same_bytes_is_accepted(self, api):
        body = json.dumps(payment("pay-1", account_id="cust-1"))
        headers = signed(body, new_id())
        sig = headers["webhook-signature"].split(",")[1]
        problem_without_traceback(
            await send(api, body, {**headers, "webhook-signature": f"v2,{sig}"}), 401, "unauthorized"
        )
        await assert_no_trace(api, "cust-1")
        ack(await send(api, body, {**headers, "webhook-signature": f"v1,{sig}"}), "applied")

    @pytest.mark.parametrize("secret", ["current", "rotated-out"])
    async def test_either_configured_secret_is_accepted(self, api, secret):
        r = await deliver(
            api, payment("pay-1", account_id="cust-1"), secret=SECRET if secret == "current" else OLD_SECRET
        )
        ack(r, "applied")
        assert len(await purchases(api, "cust-1")) == 1


# ---- payment.succeeded ------------------------------------------------------------------------


class TestPaymentSucceeded:
    async def test_creates_the_account_and_a_purchase_lot(self, api):
        paid_at = T0 - timedelta(days=10, hours=3)  # older than the API's 7-day limit: fine here
        msg = new_id()
        r = await deliver(api, payment("pay-1", account_id="cust-42", paid_at=paid_at), msg)
        body = ack(r, "applied")
        assert body["id"] == msg
        assert body["type"] == "payment.succeeded"

        r = await api.get("/v1/accounts/cust-42")
        assert r.status_code == 200, r.text
        assert ts(r.json()["created_at"]) == T0
        assert figures(r.json()["balance"]) == (120, 0, 0)

        [lot] = await lots(api, "cust-42")
        assert lot["source"] == "purchase"
        assert lot["plan"] == "points-120"
        assert lot["points"] == 120
        assert states(lot) == {s: (120 if s == "available" else 0) for s in LOT_STATES}
        assert lot["paid"] == {"amount": "68.50", "currency": "USD"}
        assert lot["payment_id"] == "pay-1"
        assert ts(lot["granted_at"]) == paid_at
        assert ts(lot["expires_at"]) == paid_at.replace(year=paid_at.year + 2)
        assert lot["revoked_at"] is None

        [entry] = await purchases(api, "cust-42")
        assert entry["actor"] == ACTOR
        assert entry["available_delta"] == 120
        assert entry["lot_id"] == lot["id"]
        assert ts(entry["effective_at"]) == paid_at
        assert ts(entry["created_at"]) == T0

        stored = await event(api, msg)
        assert stored["outcome"] == "applied"
        assert stored["type"] == "payment.succeeded"
        assert stored["account_id"] == "cust-42"
        assert stored["lot_id"] == lot["id"]
        assert stored["attempts"] == 1
        assert ts(stored["received_at"]) == ts(stored["updated_at"]) == T0
        assert await metric(api, "applied") == 1.0

    async def test_paid_amount_other_than_the_list_price_is_recorded(self, api):
        ack(await deliver(api, payment("pay-1", amount="60.00")), "applied")
        [lot] = await lots(api, "cust-42")
        assert lot["paid"] == {"amount": "60.00", "currency": "USD"}
        assert lot["points"] == 120

    async def test_an_existing_account_is_used(self, api):
        await api.account("acme")
        await api.buy("acme", "points-60")
        ack(await deliver(api, payment("pay-1", account_id="acme")), "applied")
        assert figures(await api.balance("acme")) == (180, 0, 0)
        assert len(await purchases(api, "acme")) == 2

    async def test_retries_of_one_delivery_apply_once(self, api):
        msg = new_id()
        event_body = payment("pay-1")
        first = ack(await deliver(api, event_body, msg), "applied")
        for _ in range(5):
            api.clock.advance(timedelta(minutes=1))
            again = ack(await deliver(api, event_body, msg), "applied", replayed=True)
            assert {k: again[k] for k in ("id", "type", "outcome", "detail")} == {
                k: first[k] for k in ("id", "type", "outcome", "detail")
            }
        assert len(await purchases(api, "cust-42")) == 1
        assert figures(await api.balance("cust-42")) == (120, 0, 0)
        stored = await event(api, msg)
        assert stored["attempts"] == 1
        assert ts(stored["updated_at"]) == T0
        assert await metric(api, "applied") == 1.0

    async def test_same_payment_under_a_new_delivery_id_adds_nothing(self, api):
        first, second = new_id(), new_id()
        ack(await deliver(api, payment("pay-1"), first), "applied")
        api.clock.advance(timedelta(minutes=1))
        body = ack(await deliver(api, payment("pay-1"), second), "applied")
        assert body["id"] == second
        assert len(await purchases(api, "cust-42")) == 1
        assert figures(await api.balance("cust-42")) == (120, 0, 0)
        assert [e["id"] for e in await events(api, outcome="applied")] == [second, first]
        [lot] = await lots(api, "cust-42")
        assert (await event(api, second))["lot_id"] == lot["id"]

    @pytest.mark.parametrize(
        "change", [{"plan": "points-300"}, {"amount": "68.00"}], ids=["other-plan", "other-amount"]
    )
    async def test_same_payment_with_other_content_is_a_conflict(self, api, change):
        ack(await deliver(api, payment("pay-1")), "applied")
        msg = new_id()
        body = ack(await deliver(api, payment("pay-1", **change), msg), "conflict")
        assert body["detail"]
        assert len(await purchases(api, "cust-42")) == 1
        assert figures(await api.balance("cust-42")) == (120, 0, 0)
        conflicts = await events(api, outcome="conflict")
        assert [e["id"] for e in conflicts] == [msg]
        assert conflicts[0]["payload"]["data"] == payment("pay-1", **change)["data"]
        assert await metric(api, "conflict") == 1.0
        # settled: a retry of the conflicting delivery answers the same and does nothing
        ack(await deliver(api, payment("pay-1", **change), msg), "conflict", replayed=True)
        assert (await event(api, msg))["attempts"] == 1

    async def test_a_payment_id_already_used_by_another_account_is_a_conflict(self, api):
        ack(await deliver(api, payment("pay-1", account_id="cust-1")), "applied")
        ack(await deliver(api, payment("pay-1", account_id="cust-2")), "conflict")
        assert figures(await api.balance("cust-1")) == (120, 0, 0)
        assert len(await purchases(api, "cust-1")) == 1

    async def test_unknown_plan_fails_then_applies_once_the_plan_exists(self, api):
        msg = new_id()
        event_body = payment("pay-9", account_id="cust-9", plan="points-250", amount="140.00")
        r = await deliver(api, event_body, msg)
        body = problem_without_traceback(r, 422, "validation-error")
        assert body["outcome"] == "failed"
        assert body["webhook_id"] == msg
        assert body["errors"][0]["pointer"] == "#/data"
        stored = await event(api, msg)
        assert stored["outcome"] == "failed"
        assert stored["attempts"] == 1
        assert stored["lot_id"] is None
        assert "points-250" in stored["detail"]
        assert (await api.get("/v1/accounts/cust-9")).status_code == 404  # nothing applied
        assert await metric(api, "failed") == 1.0

        api.clock.advance(timedelta(minutes=10))
        r = await api.put("/v1/plans/points-250", {"points": 250, "price": {"amount": "140.00", "currency": "USD"}})
        assert r.status_code == 201, r.text

        ack(await deliver(api, event_body, msg), "applied")  # the sender's retry, signed afresh
        stored = await event(api, msg)
        assert stored["outcome"] == "applied"
        assert stored["attempts"] == 2
        assert ts(stored["received_at"]) == T0
        assert ts(stored["updated_at"]) == T0 + timedelta(minutes=10)
        [lot] = await lots(api, "cust-9")
        assert stored["lot_id"] == lot["id"]
        assert (lot["plan"], lot["points"], lot["paid"]) == ("points-250", 250, {"amount": "140.00", "currency": "USD"})
        assert len(await purchases(api, "cust-9")) == 1
        ack(await deliver(api, event_body, msg), "applied", replayed=True)  # now settled
        assert (await event(api, msg))["attempts"] == 2

    async def test_unknown_fields_are_accepted_and_stored(self, api):
        msg = new_id()
        event_body = payment("pay-1", customer_email="a@example.com", nested={"x": [1, 2]})
        event_body["livemode"] = False
        ack(await deliver(api, event_body, msg), "applied")
        assert (await event(api, msg))["payload"] == event_body
        assert len(await purchases(api, "cust-42")) == 1

    async def test_unknown_event_type_is_ignored(self, api):
        msg = new_id()
        event_body = {"type": "invoice.created", "data": {"account_id": "cust-5", "invoice_id": "in_1"}}
        body = ack(await deliver(api, event_body, msg), "ignored")
        assert body["type"] == "invoice.created"
        stored = await event(api, msg)
        assert (stored["outcome"], stored["payload"]) == ("ignored", event_body)
        assert (await api.get("/v1/accounts/cust-5")).status_code == 404
        ack(await deliver(api, event_body, msg), "ignored", replayed=True)
        assert await metric(api, "ignored") == 1.0

    async def test_missing_data_fails(self, api):
        r = await deliver(api, {"type": "payment.succeeded", "data": {"payment_id": "pay-1", "account_id": "cust-1"}})
        problem_without_traceback(r, 422, "validation-error")
        [stored] = await events(api, outcome="failed")
        assert stored["account_id"] == "cust-1"
        assert (await api.get("/v1/accounts/cust-1")).status_code == 404

    @pytest.mark.parametrize(
        ("change", "words"),
        [
            ({"amount": 68.5}, "amount"),
            ({"amount": "68.5"}, "minor digits"),
            ({"paid_at": "2026-01-05T12:00:00"}, "offset"),
            ({"account_id": "x" * 65}, "account_id"),
        ],
        ids=["amount-as-number", "amount-digits", "naive-paid-at", "account-id-too-long"],
    )
    async def test_malformed_data_fails(self, api, change, words):
        msg = new_id()
        event_body = payment("pay-1", account_id="cust-1")
        event_body["data"].update(change)
        body = problem_without_traceback(await deliver(api, event_body, msg), 422, "validation-error")
        assert body["outcome"] == "failed"
        assert words in body["errors"][0]["detail"]
        stored = await event(api, msg)
        assert (stored["outcome"], stored["payload"]) == ("failed", event_body)
        r = await api.get("/v1/accounts", params={"limit": 500})
        assert r.json()["items"] == []

    async def test_a_failed_delivery_that_fails_again_counts_its_attempts(self, api):
        msg = new_id()
        event_body = payment("pay-9", plan="points-250")
        for attempt in (1, 2, 3):
            api.clock.advance(timedelta(minutes=1))
            problem_without_traceback(await deliver(api, event_body, msg), 422, "validation-error")
            stored = await event(api, msg)
            assert (stored["outcome"], stored["attempts"]) == ("failed", attempt)
            assert ts(stored["updated_at"]) == T0 + timedelta(minutes=attempt)
            assert ts(stored["received_at"]) == T0 + timedelta(minutes=1)
        assert await metric(api, "failed") == 3.0

    @pytest.mark.parametrize("account_id", ["cust 42", "cust/42", "kund-ä"])
    @pytest.mark.parametrize("kind", ["payment.succeeded", "license.purchased"])
    async def test_account_id_outside_the_id_syntax_is_not_applied(self, api, kind, account_id):
        if kind == "payment.succeeded":
            event_body = payment("pay-1", account_id=account_id)
        else:
            data = {"license_key": "LIC-1", "account_id": account_id, "product": "default", "purchased_at": iso(T0)}
            event_body = {"type": kind, "data": data}
        msg = new_id()
        r = await deliver(api, event_body, msg)
        problem_without_traceback(r, 422, "validation-error")
        assert (await event(api, msg))["outcome"] == "failed"
        r = await api.get("/v1/accounts", params={"limit": 500})
        assert r.json()["items"] == []

    async def test_a_payment_recorded_by_an_import_adds_nothing(self, api):
        """docs/design.md §2, imports: a `payment_id` shares the purchases' namespace, so a later
        `payment.succeeded` for it adds nothing and its refund revokes the imported lot. (The
        outcome is not pinned: the import has no plan to compare, and `conflict` — what the service
        answers — and `applied` both satisfy "adds nothing".)"""
        await api.account("acme")
        r = await api.post(
            "/v1/accounts/acme/imports",
            {
                "points": 50,
                "granted_at": iso(T0 - timedelta(days=100)),
                "external_ref": "old-1",
                "payment_id": "pay-imp",
                "reason": "migration",
            },
        )
        assert r.status_code == 201, r.text
        imported = r.json()["lot"]
        r = await deliver(api, payment("pay-imp", account_id="acme"))
        assert r.status_code == 200, r.text
        assert r.json()["outcome"] in ("applied", "conflict")
        assert figures(await api.balance("acme")) == (50, 0, 0)
        assert await purchases(api, "acme") == []
        ack(await deliver(api, reversal("payment.refunded", "pay-imp")), "applied")
        [lot] = await lots(api, "acme")
        assert lot["id"] == imported["id"]
        assert states(lot) == {**dict.fromkeys(LOT_STATES, 0), "revoked": 50}
        assert figures(await api.balance("acme")) == (0, 0, 0)


# ---- refunds and charge-backs ----------------------------------------------------------------


class TestPaymentReversed:
    async def _partly_used_pack(self, api: Any) -> tuple[str, dict[str, Any]]:
        """A 120-point pack bought by webhook: 25 deducted by a resolved ticket, 10 held by an open one."""
        ack(await deliver(api, payment("pay-1", account_id="acme", paid_at=T0 - timedelta(days=1))), "applied")
        done = await api.open("acme", "store-problem")
        r = await api.post(f"/v1/tickets/{done['id']}/resolve", {}, role="helpdesk")
        assert r.status_code == 200, r.text
        held = await api.open("acme", "consultation")
        assert held["captured_points"] == 10
        assert figures(await api.balance("acme")) == (85, 10, 25)
        [lot] = await lots(api, "acme")
        return lot["id"], held

    @pytest.mark.parametrize(
        ("kind", "extra"),
        [
            ("payment.refunded", {}),
            ("payment.refunded", {"amount": "68.50", "currency": "USD", "reason": "requested_by_customer"}),
            ("payment.charged_back", {"account_id": "acme"}),
            ("payment.charged_back", {"amount": "68.50", "reason": "fraudulent"}),
        ],
        ids=["refund", "refund-of-the-full-amount", "charge-back", "charge-back-of-the-full-amount"],
    )
    async def test_full_reversal_revokes_the_lot(self, api, kind, extra):
        lot_id, held = await self._partly_used_pack(api)
        api.clock.advance(timedelta(hours=1))
        msg = new_id()
        body = ack(await deliver(api, reversal(kind, "pay-1", **extra), msg), "applied")
        assert body["type"] == kind

        [lot] = await lots(api, "acme")
        assert lot["id"] == lot_id
        assert states(lot) == {**dict.fromkeys(LOT_STATES, 0), "revoked": 85, "deducted": 25, "held": 10}
        assert ts(lot["revoked_at"]) == T0 + timedelta(hours=1)
        assert figures(await api.balance("acme")) == (0, 10, 25)
        r = await api.get("/v1/accounts/acme/ledger", params={"kind": "revocation"})
        [entry] = r.json()["items"]
        assert (entry["available_delta"], entry["held_delta"], entry["deducted_delta"]) == (-85, 0, 0)
        assert entry["actor"] == ACTOR
        assert entry["reason"].startswith(kind)
        stored = await event(api, msg)
        assert (stored["outcome"], stored["lot_id"], stored["attempts"]) == ("applied", lot_id, 1)

        # the open ticket's 10 points come back into a revoked lot: revoked again at once
        r = await api.post(f"/v1/tickets/{held['id']}/refund", {"reason": "withdrawn"}, role="helpdesk")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "refunded"
        assert r.json()["forfeited_points"] == 10
        assert r.json()["captured_points"] == 0
        [lot] = await lots(api, "acme")
        assert states(lot) == {**dict.fromkeys(LOT_STATES, 0), "revoked": 95, "deducted": 25}
        assert figures(await api.balance("acme")) == (0, 0, 25)

        # a retry of the same delivery does nothing more
        ack(await deliver(api, reversal(kind, "pay-1", **extra), msg), "applied", replayed=True)
        [lot] = await lots(api, "acme")
        assert lot["revoked"] == 95

    async def test_refund_and_charge_back_of_one_payment_revoke_once(self, api):
        await self._partly_used_pack(api)
        ack(await deliver(api, reversal("payment.refunded", "pay-1")), "applied")
        ack(await deliver(api, reversal("payment.charged_back", "pay-1")), "applied")
        r = await api.get("/v1/accounts/acme/ledger", params={"kind": "revocation"})
        assert len(r.json()["items"]) == 1
        [lot] = await lots(api, "acme")
        assert (lot["revoked"], lot["held"], lot["deducted"]) == (85, 10, 25)

    @pytest.mark.parametrize("amount", ["30.00", "99.00"], ids=["less", "more"])
    @pytest.mark.parametrize("kind", ["payment.refunded", "payment.charged_back"])
    async def test_a_reversal_of_another_amount_needs_review(self, api, kind, amount):
        ack(await deliver(api, payment("pay-1", account_id="acme")), "applied")
        msg = new_id()
        body = ack(await deliver(api, reversal(kind, "pay-1", amount=amount), msg), "needs_review")
        assert body["detail"] == "refund amount differs from the amount paid: review by hand"
        [lot] = await lots(api, "acme")
        assert states(lot) == {**dict.fromkeys(LOT_STATES, 0), "available": 120}
        assert lot["revoked_at"] is None
        assert figures(await api.balance("acme")) == (120, 0, 0)
        stored = await event(api, msg)
        assert (stored["outcome"], stored["lot_id"]) == ("needs_review", lot["id"])
        assert [e["id"] for e in await events(api, outcome="needs_review")] == [msg]
        ack(await deliver(api, reversal(kind, "pay-1", amount=amount), msg), "needs_review", replayed=True)
        assert await metric(api, "needs_review") == 1.0

    async def test_refund_of_a_payment_never_seen_fails(self, api):
        msg = new_id()
        r = await deliver(api, reversal("payment.refunded", "pay-unknown", account_id="acme"), msg)
        body = problem_without_traceback(r, 422, "validation-error")
        assert (body["webhook_id"], body["outcome"]) == (msg, "failed")
        stored = await event(api, msg)
        assert (stored["outcome"], stored["attempts"], stored["lot_id"]) == ("failed", 1, None)
        assert "pay-unknown" in stored["detail"]
        # the sender retries after the payment arrived: the refund applies now
        ack(await deliver(api, payment("pay-unknown", account_id="acme")), "applied")
        ack(await deliver(api, reversal("payment.refunded", "pay-unknown", account_id="acme"), msg), "applied")
        stored = await event(api, msg)
        assert (stored["outcome"], stored["attempts"]) == ("applied", 2)
        [lot] = await lots(api, "acme")
        assert states(lot) == {**dict.fromkeys(LOT_STATES, 0), "revoked": 120}

    async def test_refund_with_an_amount_of_an_imported_payment_needs_review(self, api):
        await api.account("acme")
        r = await api.post(
            "/v1/accounts/acme/imports",
            {
                "points": 50,
                "granted_at": iso(T0 - timedelta(days=100)),
                "external_ref": "old-1",
                "payment_id": "pay-imp",
                "reason": "migration",
            },
        )
        assert r.status_code == 201, r.text
        msg = new_id()
        ack(
            await deliver(api, reversal("payment.refunded", "pay-imp", amount="10.00", currency="USD"), msg),
            "needs_review",
        )
        [lot] = await lots(api, "acme")
        assert (lot["available"], lot["revoked"]) == (50, 0)

    async def test_refund_naming_another_account_is_a_conflict(self, api):
        ack(await deliver(api, payment("pay-1", account_id="acme")), "applied")
        ack(await deliver(api, reversal("payment.refunded", "pay-1", account_id="other")), "conflict")
        [lot] = await lots(api, "acme")
        assert lot["revoked"] == 0


# ---- license.purchased -----------------------------------------------------------------------


class TestLicensePurchased:
    async def test_first_license_gives_the_bonus(self, api):
        purchased_at = T0 - timedelta(days=30)
        msg = new_id()
        event_body = {
            "type": "license.purchased",
            "data": {
                "license_key": "LIC-1",
                "account_id": "cust-7",
                "product": "default",
                "purchased_at": iso(purchased_at),
            },
        }
        ack(await deliver(api, event_body, msg), "applied")
        [lot] = await lots(api, "cust-7")
        assert (lot["source"], lot["points"], lot["available"], lot["license_key"]) == (
            "license_bonus",
            60,
            60,
            "LIC-1",
        )
        assert ts(lot["granted_at"]) == purchased_at
        assert ts(lot["expires_at"]) == purchased_at.replace(year=purchased_at.year + 2)
        assert figures(await api.balance("cust-7")) == (60, 0, 0)
        r = await api.get("/v1/accounts/cust-7/ledger")
        [entry] = r.json()["items"]
        assert (entry["kind"], entry["actor"], entry["available_delta"]) == ("license_bonus", ACTOR, 60)
        assert (await event(api, msg))["lot_id"] == lot["id"]

        # a second license of a first_license product: recorded, no bonus
        second = {"type": "license.purchased", "data": {**event_body["data"], "license_key": "LIC-2"}}
        ack(await deliver(api, second), "applied")
        assert figures(await api.balance("cust-7")) == (60, 0, 0)
        # the same license again under a new delivery id: nothing added
        ack(await deliver(api, event_body), "applied")
        assert len(await lots(api, "cust-7")) == 1

    async def test_unknown_product_fails(self, api):
        msg = new_id()
        event_body = {
            "type": "license.purchased",
            "data": {"license_key": "LIC-1", "account_id": "cust-7", "product": "nope", "purchased_at": iso(T0)},
        }
        problem_without_traceback(await deliver(api, event_body, msg), 422, "validation-error")
        assert (await event(api, msg))["outcome"] == "failed"
        assert (await api.get("/v1/accounts/cust-7")).status_code == 404


# ---- concurrency -----------------------------------------------------------------------------


class TestConcurrentDeliveries:
    async def test_one_delivery_twenty_times_at_once(self, api):
        msg = new_id()
        body = json.dumps(payment("pay-1", account_id="cust-c"))
        headers = signed(body, msg)
        responses = await asyncio.gather(*(send(api, body, headers) for _ in range(20)))
        assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses if r.status_code != 200]
        assert {r.json()["outcome"] for r in responses} == {"applied"}
        assert sorted(r.json()["replayed"] for r in responses) == [False] + [True] * 19
        assert len(await purchases(api, "cust-c")) == 1
        assert figures(await api.balance("cust-c")) == (120, 0, 0)
        [stored] = await events(api)
        assert (stored["id"], stored["outcome"], stored["attempts"]) == (msg, "applied", 1)
        assert await metric(api, "applied") == 1.0

    async def test_one_payment_under_twenty_delivery_ids_at_once(self, api):
        event_body = payment("pay-1", account_id="cust-c")
        responses = await asyncio.gather(*(deliver(api, event_body) for _ in range(20)))
        assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses if r.status_code != 200]
        assert [r.json()["outcome"] for r in responses] == ["applied"] * 20
        assert [r.json()["replayed"] for r in responses] == [False] * 20
        assert len(await purchases(api, "cust-c")) == 1
        assert figures(await api.balance("cust-c")) == (120, 0, 0)
        stored = await events(api)
        assert len(stored) == 20
        assert {e["outcome"] for e in stored} == {"applied"}
        [lot] = await lots(api, "cust-c")
        assert {e["lot_id"] for e in stored} == {lot["id"]}
        assert sorted(e["detail"] for e in stored).count("purchase recorded") == 1


# ---- the admin listing -----------------------------------------------------------------------


class TestListWebhookEvents:
    async def _five(self, api: Any) -> list[str]:
        """Five deliveries a second apart: ignored, applied, failed, applied, ignored (ids in order)."""
        plan = [
            {"type": "invoice.created", "data": {}},
            payment("pay-1"),
            reversal("payment.refunded", "pay-unknown"),
            payment("pay-2"),
            {"type": "customer.updated", "data": {}},
        ]
        ids = []
        for n, event_body in enumerate(plan):
            msg = f"msg_{n}_{uuid.uuid4().hex}"
            r = await deliver(api, event_body, msg)
            assert r.status_code in (200, 422), r.text
            ids.append(msg)
            api.clock.advance(timedelta(seconds=1))
        return ids

    async def test_newest_first(self, api):
        ids = await self._five(api)
        items = await events(api)
        assert [e["id"] for e in items] == ids[::-1]
        assert [e["outcome"] for e in items] == ["ignored", "applied", "failed", "applied", "ignored"]
        assert [ts(e["received_at"]) for e in items] == [T0 + timedelta(seconds=s) for s in (4, 3, 2, 1, 0)]

    async def test_filter_by_outcome(self, api):
        ids = await self._five(api)
        assert [e["id"] for e in await events(api, outcome="applied")] == [ids[3], ids[1]]
        assert [e["id"] for e in await events(api, outcome="failed")] == [ids[2]]
        both = await events(api, outcome=["ignored", "failed"])
        assert [e["id"] for e in both] == [ids[4], ids[2], ids[0]]
        assert await events(api, outcome="conflict") == []
        r = await api.get("/v1/admin/webhook-events", params={"outcome": "rejected"})
        assert problem_without_traceback(r, 422, "validation-error")["errors"][0]["pointer"].startswith(
            "#/query/outcome"
        )

    async def test_pages(self, api):
        ids = await self._five(api)
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            r = await api.get("/v1/admin/webhook-events", params=params)
            assert r.status_code == 200, r.text
            page = r.json()
            pages += 1
            assert len(page["items"]) == (2 if pages < 3 else 1)
            seen += [e["id"] for e in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert seen == ids[::-1]

        # filtered pages; a cursor is valid only with the filter that produced it
        r = await api.get("/v1/admin/webhook-events", params={"outcome": ["applied", "ignored"], "limit": 3})
        first = r.json()
        assert [e["id"] for e in first["items"]] == [ids[4], ids[3], ids[1]]
        r = await api.get(
            "/v1/admin/webhook-events",
            params={"outcome": ["applied", "ignored"], "limit": 3, "cursor": first["next_cursor"]},
        )
        assert [e["id"] for e in r.json()["items"]] == [ids[0]]
        assert r.json()["next_cursor"] is None
        r = await api.get("/v1/admin/webhook-events", params={"limit": 3, "cursor": first["next_cursor"]})
        problem_without_traceback(r, 422, "validation-error")

    @pytest.mark.parametrize("limit", [0, 501])
    async def test_limit_out_of_range(self, api, limit):
        r = await api.get("/v1/admin/webhook-events", params={"limit": limit})
        assert problem_without_traceback(r, 422, "validation-error")["errors"][0]["pointer"] == "#/query/limit"

    @pytest.mark.parametrize("role", ["billing", "helpdesk", "viewer"])
    async def test_only_admin(self, api, role):
        r = await api.get("/v1/admin/webhook-events", role=role)
        problem_without_traceback(r, 403, "forbidden")

    async def test_without_a_key(self, api):
        problem_without_traceback(await api.client.get("/v1/admin/webhook-events"), 401, "unauthorized")
