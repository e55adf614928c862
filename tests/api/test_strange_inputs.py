"""Strange inputs the fuzzer (tests/test_fuzz.py) found or pointed at, on both databases.

None of them may answer 500 or leave data behind that cannot be sent back: NUL in text (which
PostgreSQL cannot store), lone UTF-16 surrogates, NaN and out-of-range numbers, deep nesting,
whole numbers written with a fraction, timestamps that are not RFC 3339.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from points_service.settings import Settings

from support.problems import invalid_only, problem

SECRET = "whsec_" + "c3RyYW5nZS1pbnB1dHMtb2YtdGhlLWZ1enplcg=="


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, auth_cache_seconds=0, sqlite_synchronous="NORMAL", webhook_secrets=SECRET
    )


async def raw(api: Any, method: str, path: str, content: bytes, role: str = "admin") -> httpx.Response:
    return await api.request(method, path, role, content=content, headers={"Content-Type": "application/json"})


# ---- NUL -----------------------------------------------------------------------------------------


class TestNul:
    async def test_nul_in_free_text_is_a_422(self, api):
        await api.account()
        lot = (await api.buy())["lot"]["id"]
        invalid_only(await api.put("/v1/accounts/acme", {"display_name": "A\x00B"}), "#/display_name")
        invalid_only(await api.post("/v1/accounts/acme/adjustments", {"points": 5, "reason": "r\x00"}), "#/reason")
        r = await api.post(
            "/v1/accounts/acme/tickets",
            {"external_ref": "T-1", "category": "consultation", "subject": "\x00"},
            role="helpdesk",
        )
        invalid_only(r, "#/subject")
        invalid_only(await api.post(f"/v1/lots/{lot}/revoke", {"reason": "\x00"}, role="billing"), "#/reason")
        category = {"group": "g\x00", "name": "n", "pricing": {"type": "fixed", "points": 1}}
        invalid_only(await api.put("/v1/categories/x", category), "#/group")
        assert (await api.balance())["available"] == 120

    async def test_nul_in_an_id_is_a_404(self, api):
        await api.account()
        problem(await api.get("/v1/tickets/a%00b"), 404, "not-found")
        problem(await api.post("/v1/tickets/a%00b/resolve", {}, role="helpdesk"), 404, "not-found")
        problem(await api.post("/v1/lots/a%00b/revoke", {"reason": "x"}, role="billing"), 404, "not-found")
        problem(await api.get("/v1/accounts/a%00b"), 404, "not-found")
        problem(await api.get("/v1/accounts/a%00b/ledger"), 404, "not-found")
        invalid_only(await api.put("/v1/accounts/a%00b", {}), "#/path/account_id")

    async def test_nul_in_a_filter_is_a_422(self, api):
        await api.account()
        invalid_only(
            await api.get("/v1/accounts/acme/tickets", params={"external_ref": "a\x00"}), "#/query/external_ref"
        )
        invalid_only(await api.get("/v1/admin/verify", params={"account_id": "a\x00"}), "#/query/account_id")

    async def test_nul_in_metadata_is_kept(self, api):
        r = await api.put("/v1/accounts/acme", {"metadata": {"k\x00": "v\x00"}})
        assert r.status_code == 201, r.text
        assert (await api.get("/v1/accounts/acme")).json()["metadata"] == {"k\x00": "v\x00"}


# ---- JSON this service cannot store and send back -------------------------------------------------


class TestJson:
    @pytest.mark.parametrize(
        "content",
        [
            b'{"metadata": {"a": "\\udc80"}}',
            b'{"metadata": {"\\ud800": 1}}',
            b'{"display_name": "\\ud800x"}',
            b'{"metadata": {"a": NaN}}',
            b'{"metadata": {"a": Infinity}}',
            b'{"metadata": {"a": 1e999}}',
            b'{"metadata": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}",
            b'{"metadata": {"a": ' + b"[" * 20000 + b"]" * 20000 + b"}}",
        ],
        ids=["surrogate", "surrogate-key", "surrogate-field", "nan", "infinity", "overflow", "deep", "very-deep"],
    )
    async def test_refused_as_malformed_and_nothing_is_stored(self, api, content):
        body = invalid_only(await raw(api, "PUT", "/v1/accounts/acme", content), "#")
        assert body["errors"][0]["detail"].startswith("malformed JSON"), body
        problem(await api.get("/v1/accounts/acme"), 404, "not-found")

    async def test_nesting_within_the_limit_is_kept(self, api):
        metadata = {"a": [[[[{"b": [1, 2.5, None, True, "ü😀"]}]]]]}
        r = await api.put("/v1/accounts/acme", {"metadata": metadata})
        assert r.status_code == 201, r.text
        assert (await api.get("/v1/accounts/acme")).json()["metadata"] == metadata

    async def test_a_deep_body_with_an_idempotency_key_is_a_422_too(self, api):
        await api.account()
        content = b"[" * 20000 + b"]" * 20000
        r = await api.request(
            "POST", "/v1/accounts/acme/adjustments", "admin", content=content,
            headers={"Content-Type": "application/json", "Idempotency-Key": "deep-1"},
        )  # fmt: skip
        invalid_only(r, "#")


# ---- numbers and instants ------------------------------------------------------------------------


class TestNumbersAndInstants:
    async def test_a_whole_number_with_a_zero_fraction_counts(self, api):
        await api.account()
        r = await api.post("/v1/accounts/acme/adjustments", {"points": 30.0, "reason": "goodwill"})
        assert r.status_code == 201, r.text
        assert r.json()["lot"]["points"] == 30
        invalid_only(
            await api.post("/v1/accounts/acme/adjustments", {"points": 30.5, "reason": "goodwill"}), "#/points"
        )
        invalid_only(
            await api.post("/v1/accounts/acme/adjustments", {"points": 1e300, "reason": "goodwill"}), "#/points"
        )

    @pytest.mark.parametrize(
        "value",
        ["0.5", "1768478400", "2026-01-15 12:00:00Z", "2026-01-15T12:00Z", "2026-01-15", "2026-01-15T12:00:00"],
        ids=["fraction", "unix", "space", "no-seconds", "date", "naive"],
    )
    async def test_an_instant_is_rfc3339_with_an_offset(self, api, value):
        await api.account()
        invalid_only(await api.get("/v1/accounts", params={"expiring_before": value}), "#/query/expiring_before")
        r = await api.post(
            "/v1/accounts/acme/purchases",
            {"plan": "points-60", "payment_id": "p-1", "purchased_at": value},
            role="billing",
        )
        invalid_only(r, "#/purchased_at")

    async def test_an_instant_as_a_json_number_is_refused(self, api):
        await api.account()
        r = await api.post(
            "/v1/accounts/acme/purchases",
            {"plan": "points-60", "payment_id": "p-1", "purchased_at": 1768478400},
            role="billing",
        )
        invalid_only(r, "#/purchased_at")


# ---- webhooks ------------------------------------------------------------------------------------


def signed(body: bytes, msg_id: str) -> dict[str, str]:
    now = datetime.fromtimestamp(int(time.time()), tz=UTC)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(msg_id, now, body.decode()),
    }


async def deliver(api: Any, body: bytes, msg_id: str) -> httpx.Response:
    return await api.client.post("/v1/webhooks/billing", content=body, headers=signed(body, msg_id))


class TestWebhooks:
    async def test_nul_in_an_event_is_stored_and_listed(self, api):
        body = json.dumps({"type": "odd\x00type", "data": {"account_id": "a\x00"}}).encode()
        r = await deliver(api, body, "msg-nul-1")
        assert (r.status_code, r.json()["outcome"]) == (200, "ignored"), r.text
        body = json.dumps({"type": "payment.succeeded", "data": {"account_id": "a\x00", "payment_id": "p"}}).encode()
        problem(await deliver(api, body, "msg-nul-2"), 422, "validation-error")
        body = json.dumps({"type": "payment.refunded", "data": {"payment_id": "p\x00"}}).encode()
        problem(await deliver(api, body, "msg-nul-3"), 422, "validation-error")
        r = await api.get("/v1/admin/webhook-events")
        assert r.status_code == 200, r.text
        assert [e["type"] for e in r.json()["items"]] == ["payment.refunded", "payment.succeeded", "odd\ufffdtype"]
        assert r.json()["items"][2]["payload"]["type"] == "odd\x00type"

    @pytest.mark.parametrize(
        "content",
        [
            b'{"type": "x\\udc80"}',
            b'{"type": "x", "amount": NaN}',
            b'{"type": "x", "data": ' + b"[" * 100 + b"]" * 100 + b"}",
        ],
        ids=["surrogate", "nan", "deep"],
    )
    async def test_json_that_cannot_be_stored_is_refused_and_not_stored(self, api, content):
        problem(await deliver(api, content, "msg-bad-1"), 422, "validation-error")
        assert (await api.get("/v1/admin/webhook-events")).json()["items"] == []

    async def test_nul_in_the_webhook_id_is_refused(self, api):
        body = json.dumps({"type": "x"}).encode()
        problem(await deliver(api, body, "msg\x00"), 401, "unauthorized")
        assert (await api.get("/v1/admin/webhook-events")).json()["items"] == []
