"""Strange inputs the fuzzer (tests/test_fuzz.py) found or pointed at, on both databases.

None of them may answer 500 or leave data behind that cannot be sent back: NUL in text (which
PostgreSQL cannot store), lone UTF-16 surrogates, NaN and out-of-range numbers, deep nesting,
whole numbers written with a fraction, timestamps that are not RFC 3339.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from points_service.api.pagination import encode_cursor, scope_of
from points_service.settings import Settings

from support.problems import invalid_only, problem
from support.times import T0
from support.webhooks import signed_headers

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

    async def test_nul_in_a_crafted_cursor_is_a_422(self, api):
        """A cursor is not signed: one made by hand with NUL in a text part must not reach the database."""
        await api.account()
        await api.buy()
        for path, scope, key in (
            ("/v1/accounts/acme/tickets", scope_of("tickets", account_id="acme"), [T0.isoformat(), "a\x00b"]),
            ("/v1/accounts", scope_of("accounts"), ["a\x00b"]),
            ("/v1/accounts/acme/lots", scope_of("lots", account_id="acme", include_empty=False),
             [False, T0.isoformat(), T0.isoformat(), "l\x00"]),
            ("/v1/admin/verify", scope_of("verify"), ["a\x00b", 5]),
            ("/v1/accounts/acme/ledger", scope_of("ledger", account_id="acme"), [10**30]),  # past BIGINT
        ):  # fmt: skip
            invalid_only(await api.get(path, params={"cursor": encode_cursor(scope, key)}), "#/query/cursor")

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


# ---- instants at the edge of the calendar ---------------------------------------------------------

# Valid in their own offset, outside years 1-9999 once normalised to UTC.
PAST_9999 = "9999-12-31T23:59:59-23:59"
BEFORE_1 = "0001-01-01T00:00:00+23:59"
EDGE_DETAIL = "must fall within the years 1 to 9999 once converted to UTC"


class TestInstantsAtTheCalendarEdge:
    """Every timestamp the API takes goes through one type: outside the calendar once in UTC is a
    422 at the field, never a 500 (docs/design.md §1, "Numbers and time")."""

    @pytest.mark.parametrize("value", [PAST_9999, BEFORE_1], ids=["past-9999", "before-1"])
    async def test_every_instant_field_refuses_it(self, api, value):
        await api.account()
        body = invalid_only(await api.get("/v1/accounts", params={"expiring_before": value}), "#/query/expiring_before")
        assert body["errors"][0]["detail"] == EDGE_DETAIL
        for path, payload, role, pointer in (
            (
                "purchases",
                {"plan": "points-60", "payment_id": "p-1", "purchased_at": value},
                "billing",
                "#/purchased_at",
            ),
            (
                "licenses",
                {"license_key": "L-1", "product": "default", "purchased_at": value},
                "billing",
                "#/purchased_at",
            ),
            (
                "imports",
                {"points": 5, "granted_at": value, "external_ref": "x-1", "reason": "r"},
                "admin",
                "#/granted_at",
            ),
            (
                "imports",
                {
                    "points": 5,
                    "granted_at": "2025-01-01T00:00:00Z",
                    "expires_at": value,
                    "external_ref": "x-2",
                    "reason": "r",
                },
                "admin",
                "#/expires_at",
            ),
            ("adjustments", {"points": 5, "reason": "r", "expires_at": value}, "admin", "#/expires_at"),
        ):
            body = invalid_only(await api.post(f"/v1/accounts/acme/{path}", payload, role=role), pointer)
            assert body["errors"][0]["detail"] == EDGE_DETAIL
        assert (await api.balance())["available"] == 0

    async def test_the_calendar_s_own_ends_are_accepted(self, api):
        await api.account()
        r = await api.post(
            "/v1/accounts/acme/adjustments", {"points": 5, "reason": "r", "expires_at": "9999-12-31T23:59:59.999999Z"}
        )
        assert r.status_code == 201, r.text
        assert r.json()["lot"]["expires_at"] == "9999-12-31T23:59:59.999999Z"
        r = await api.post(
            "/v1/accounts/acme/purchases",
            {"plan": "points-60", "payment_id": "p-old", "purchased_at": "0001-01-01T00:00:00Z"},
            role="admin",
        )
        assert r.status_code == 201, r.text
        assert r.json()["lot"]["granted_at"] == "0001-01-01T00:00:00Z"
        r = await api.get("/v1/accounts", params={"expiring_before": "9999-12-31T23:59:59Z"})
        assert r.status_code == 200, r.text
        assert (await api.get("/v1/admin/verify")).json()["ok"]

    async def test_an_expiry_past_9999_is_a_422(self, api, clock):
        """Points granted in 9998 would expire in 10000: refused at the field that set the grant's time."""
        clock.set(datetime(9998, 6, 1, tzinfo=UTC))
        await api.account()
        invalid_only(
            await api.post("/v1/accounts/acme/purchases", {"plan": "points-60", "payment_id": "p-1"}, role="billing"),
            "#/purchased_at",
        )
        invalid_only(
            await api.post("/v1/accounts/acme/licenses", {"license_key": "L-1", "product": "default"}, role="billing"),
            "#/purchased_at",
        )
        invalid_only(
            await api.post(
                "/v1/accounts/acme/imports",
                {"points": 5, "granted_at": "9998-05-01T00:00:00Z", "external_ref": "x", "reason": "r"},
            ),
            "#/granted_at",
        )
        body = invalid_only(
            await api.post("/v1/accounts/acme/adjustments", {"points": 5, "reason": "r"}), "#/expires_at"
        )
        assert "after the year 9999" in body["errors"][0]["detail"]
        r = await api.post("/v1/accounts/acme/adjustments", {"points": 5, "reason": "r", "expires_at": None})
        assert r.status_code == 201, r.text  # never expiring is fine
        assert (await api.balance())["available"] == 5


# ---- webhooks ------------------------------------------------------------------------------------


def signed(body: bytes, msg_id: str) -> dict[str, str]:
    return signed_headers(body, msg_id, SECRET)


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


class TestWebhookInstants:
    @pytest.mark.parametrize(
        "value",
        [PAST_9999, BEFORE_1, "2026-01-15", "2026-01-15T12:00:00"],
        ids=["past-9999", "before-1", "date", "naive"],
    )
    async def test_a_paid_at_outside_the_calendar_is_stored_as_failed(self, api, value):
        await api.account()
        data = {
            "payment_id": "pay-edge",
            "account_id": "acme",
            "plan": "points-60",
            "amount": "34.50",
            "currency": "USD",
            "paid_at": value,
        }
        body = json.dumps({"type": "payment.succeeded", "data": data}).encode()
        doc = problem(await deliver(api, body, "msg-edge-1"), 422, "validation-error")
        assert doc["errors"] == [{"pointer": "#/data", "detail": doc["errors"][0]["detail"]}], doc
        assert doc["errors"][0]["detail"].startswith("data.paid_at must"), doc
        (event,) = (await api.get("/v1/admin/webhook-events")).json()["items"]
        assert (event["outcome"], event["detail"].startswith("data.paid_at ")) == ("failed", True), event
        assert (await api.balance())["available"] == 0

    async def test_a_license_s_purchased_at_outside_the_calendar_is_stored_as_failed(self, api):
        await api.account()
        data = {"license_key": "LIC-EDGE", "account_id": "acme", "product": "default", "purchased_at": PAST_9999}
        body = json.dumps({"type": "license.purchased", "data": data}).encode()
        problem(await deliver(api, body, "msg-edge-2"), 422, "validation-error")
        (event,) = (await api.get("/v1/admin/webhook-events")).json()["items"]
        assert event["outcome"] == "failed", event

    async def test_a_payment_in_9998_is_stored_as_failed(self, api, clock):
        clock.set(datetime(9998, 6, 1, tzinfo=UTC))
        await api.account()
        data = {
            "payment_id": "pay-9998",
            "account_id": "acme",
            "plan": "points-60",
            "amount": "34.50",
            "currency": "USD",
            "paid_at": "9998-06-01T00:00:00Z",
        }
        body = json.dumps({"type": "payment.succeeded", "data": data}).encode()
        problem(await deliver(api, body, "msg-edge-3"), 422, "validation-error")
        (event,) = (await api.get("/v1/admin/webhook-events")).json()["items"]
        assert event["outcome"] == "failed" and "9999" in event["detail"], event
