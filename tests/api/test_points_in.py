"""Points coming in (docs/design.md §2 lots, §4 expiry dates, §5 revocation; accounts, purchases,
licenses, imports, adjustments, revoke, catalogue)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from support.figures import LOT_STATES, figures, states
from support.problems import invalid, problem
from support.times import T0, T0_PLUS_2Y, iso, ts


def only(points: int, state: str = "available") -> dict[str, int]:
    return {s: (points if s == state else 0) for s in LOT_STATES}


async def ledger(api: Any, account_id: str = "acme") -> list[dict[str, Any]]:
    r = await api.get(f"/v1/accounts/{account_id}/ledger", params={"limit": 500})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def purchase(api: Any, body: dict[str, Any], account_id: str = "acme", role: str = "billing") -> httpx.Response:
    return await api.post(f"/v1/accounts/{account_id}/purchases", body, role=role)


# ---- accounts ------------------------------------------------------------------------------


class TestPutAccount:
    async def test_creates_with_201_then_updates_with_200(self, api):
        r = await api.put(
            "/v1/accounts/acme", {"display_name": "Acme Inc", "metadata": {"tier": "gold"}}, role="helpdesk"
        )
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["account_id"] == "acme"
        assert created["display_name"] == "Acme Inc"
        assert created["metadata"] == {"tier": "gold"}
        assert ts(created["created_at"]) == ts(created["updated_at"]) == T0
        assert figures(created["balance"]) == (0, 0, 0)
        assert created["balance"]["expiring"] == []

        api.clock.advance(timedelta(hours=1))
        r = await api.put("/v1/accounts/acme", {"display_name": "Acme Ltd"}, role="billing")
        assert r.status_code == 200, r.text
        assert r.json()["display_name"] == "Acme Ltd"
        assert ts(r.json()["created_at"]) == T0
        assert ts(r.json()["updated_at"]) == T0 + timedelta(hours=1)

    async def test_display_name_and_metadata_round_trip(self, api):
        metadata = {"tier": "gold", "seats": 12, "tags": ["eu", "vip"], "nested": {"a": None, "b": 1.5}}
        r = await api.put("/v1/accounts/acme", {"display_name": "Acme — Ünïcode", "metadata": metadata})
        assert r.status_code == 201, r.text
        r = await api.get("/v1/accounts/acme", role="viewer")
        assert r.status_code == 200, r.text
        assert r.json()["display_name"] == "Acme — Ünïcode"
        assert r.json()["metadata"] == metadata

    async def test_omitted_fields_keep_their_value(self, api):
        await api.put("/v1/accounts/acme", {"display_name": "Acme", "metadata": {"tier": "gold"}})
        r = await api.put("/v1/accounts/acme", {"metadata": {"tier": "silver"}})
        assert r.status_code == 200, r.text
        assert (r.json()["display_name"], r.json()["metadata"]) == ("Acme", {"tier": "silver"})
        r = await api.put("/v1/accounts/acme", {})
        assert r.status_code == 200, r.text
        r = await api.get("/v1/accounts/acme")
        assert (r.json()["display_name"], r.json()["metadata"]) == ("Acme", {"tier": "silver"})

    @pytest.mark.parametrize("account_id", ["a" * 65, "a%20b", "caf%C3%A9", "a%2Fb"])
    async def test_invalid_account_id_is_422_on_the_path(self, api, account_id):
        r = await api.put(f"/v1/accounts/{account_id}", {})
        if account_id == "a%2Fb":  # an encoded slash may not even route: never a 2xx
            assert r.status_code in (404, 422), r.text
            return
        invalid(r, "#/path/account_id")

    async def test_longest_valid_account_id_with_every_allowed_character(self, api):
        account_id = ("Az09._:-" * 8)[:64]
        r = await api.put(f"/v1/accounts/{account_id}", {})
        assert r.status_code == 201, r.text
        assert r.json()["account_id"] == account_id

    async def test_account_ids_are_case_sensitive(self, api):
        assert (await api.put("/v1/accounts/acme", {})).status_code == 201
        assert (await api.put("/v1/accounts/ACME", {})).status_code == 201
        r = await api.get("/v1/accounts/Acme")
        problem(r, 404, "not-found")

    async def test_unknown_field_is_422(self, api):
        r = await api.put("/v1/accounts/acme", {"display_name": "Acme", "colour": "red"})
        invalid(r, "#/colour")


class TestGetAccount:
    async def test_unknown_account_is_a_404_problem(self, api):
        r = await api.get("/v1/accounts/nobody")
        problem(r, 404, "not-found")

    async def test_shows_the_balance(self, api):
        await api.account()
        await api.buy()
        r = await api.get("/v1/accounts/acme")
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) >= {"account_id", "display_name", "metadata", "created_at", "updated_at", "balance"}
        assert (body["display_name"], body["metadata"]) == (None, {})
        assert figures(body["balance"]) == (120, 0, 0)
        assert ts(body["balance"]["as_of"]) == T0


class TestListAccounts:
    async def test_lists_by_id_one_page_at_a_time(self, api):
        for account_id in ("gamma", "acme", "delta", "beta"):
            await api.account(account_id)
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            r = await api.get("/v1/accounts", params=params, role="billing")
            assert r.status_code == 200, r.text
            page = r.json()
            assert len(page["items"]) == 1
            seen.append(page["items"][0]["account_id"])
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert pages < 10
        assert seen == ["acme", "beta", "delta", "gamma"]

    async def test_default_page_lists_all_with_balances(self, api):
        for account_id in ("beta", "acme"):
            await api.account(account_id)
        await api.buy("beta", "points-60")
        r = await api.get("/v1/accounts")
        assert r.status_code == 200, r.text
        assert r.json()["next_cursor"] is None
        assert [(a["account_id"], a["balance"]["available"]) for a in r.json()["items"]] == [("acme", 0), ("beta", 60)]

    async def test_cursor_with_other_filters_is_422(self, api):
        for account_id in ("acme", "beta"):
            await api.account(account_id)
        r = await api.get("/v1/accounts", params={"limit": 1})
        cursor = r.json()["next_cursor"]
        assert cursor
        r = await api.get(
            "/v1/accounts", params={"limit": 1, "cursor": cursor, "expiring_before": "2027-01-01T00:00:00Z"}
        )
        invalid(r, "#/query/cursor")

    async def test_cursor_on_another_endpoint_is_422(self, api):
        for account_id in ("acme", "beta"):
            await api.account(account_id)
        cursor = (await api.get("/v1/accounts", params={"limit": 1})).json()["next_cursor"]
        assert cursor
        r = await api.get("/v1/accounts/acme/ledger", params={"cursor": cursor})
        invalid(r, "#/query/cursor")
        r = await api.get("/v1/accounts/acme/tickets", params={"cursor": cursor})
        invalid(r, "#/query/cursor")

    @pytest.mark.parametrize("limit", [0, 501, -1])
    async def test_limit_outside_1_to_500_is_422(self, api, limit):
        r = await api.get("/v1/accounts", params={"limit": limit})
        invalid(r, "#/query/limit")

    async def test_limit_500_is_accepted(self, api):
        r = await api.get("/v1/accounts", params={"limit": 500})
        assert r.status_code == 200, r.text

    async def test_viewer_may_not_list_accounts(self, api):
        r = await api.get("/v1/accounts", role="viewer")
        problem(r, 403, "forbidden")


# ---- purchases -----------------------------------------------------------------------------


class TestPurchase:
    async def test_creates_a_lot_with_the_plan_price_and_two_year_expiry(self, api):
        await api.account()
        r = await purchase(api, {"plan": "points-120", "payment_id": "pay-1"})
        assert r.status_code == 201, r.text
        lot = r.json()["lot"]
        assert lot["source"] == "purchase"
        assert lot["account_id"] == "acme"
        assert lot["points"] == 120
        assert states(lot) == only(120)
        assert lot["plan"] == "points-120"
        assert lot["paid"] == {"amount": "68.50", "currency": "USD"}
        assert lot["payment_id"] == "pay-1"
        assert (lot["license_key"], lot["external_ref"], lot["origin_lot_id"], lot["revoked_at"]) == (
            None,
            None,
            None,
            None,
        )
        assert ts(lot["granted_at"]) == T0
        assert ts(lot["expires_at"]) == T0_PLUS_2Y
        balance = r.json()["balance"]
        assert figures(balance) == (120, 0, 0)
        assert balance["account_id"] == "acme"
        assert ts(balance["as_of"]) == T0

        entries = await ledger(api)
        assert [(e["seq"], e["kind"], e["available_delta"], e["lot_id"]) for e in entries] == [
            (1, "purchase", 120, lot["id"])
        ]
        assert entries[0]["postings"] == [
            {"lot_id": lot["id"], "from_state": None, "to_state": "available", "points": 120}
        ]
        assert ts(entries[0]["effective_at"]) == T0

    async def test_explicit_paid_is_kept(self, api):
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "paid": {"amount": "60.00", "currency": "EUR"}}
        )
        assert r.status_code == 201, r.text
        assert r.json()["lot"]["paid"] == {"amount": "60.00", "currency": "EUR"}

    async def test_same_payment_again_answers_200_with_the_same_lot_and_no_new_entry(self, api):
        await api.account()
        first = await purchase(api, {"plan": "points-120", "payment_id": "pay-1"})
        assert first.status_code == 201, first.text
        api.clock.advance(timedelta(minutes=1))
        again = await purchase(api, {"plan": "points-120", "payment_id": "pay-1"})
        assert again.status_code == 200, again.text
        assert again.json()["lot"]["id"] == first.json()["lot"]["id"]
        assert figures(again.json()["balance"]) == (120, 0, 0)
        explicit = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "paid": {"amount": "68.50", "currency": "USD"}}
        )
        assert explicit.status_code == 200, explicit.text
        assert explicit.json()["lot"]["id"] == first.json()["lot"]["id"]
        assert [e["kind"] for e in await ledger(api)] == ["purchase"]

    async def test_same_payment_again_shows_the_lot_as_it_is_now(self, api):
        await api.account()
        first = await purchase(api, {"plan": "points-120", "payment_id": "pay-1"})
        await api.open(category="store-problem")
        again = await purchase(api, {"plan": "points-120", "payment_id": "pay-1"})
        assert again.status_code == 200, again.text
        assert states(again.json()["lot"]) == {**only(95), "held": 25}
        assert again.json()["lot"]["id"] == first.json()["lot"]["id"]

    async def test_same_payment_with_another_plan_is_409(self, api):
        await api.account()
        assert (await purchase(api, {"plan": "points-120", "payment_id": "pay-1"})).status_code == 201
        r = await purchase(api, {"plan": "points-300", "payment_id": "pay-1"})
        problem(r, 409, "conflict")
        assert [e["kind"] for e in await ledger(api)] == ["purchase"]
        assert figures(await api.balance()) == (120, 0, 0)

    async def test_same_payment_with_another_paid_amount_is_409(self, api):
        await api.account()
        assert (await purchase(api, {"plan": "points-120", "payment_id": "pay-1"})).status_code == 201
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "paid": {"amount": "10.00", "currency": "USD"}}
        )
        problem(r, 409, "conflict")

    async def test_same_payment_on_another_account_is_409(self, api):
        await api.account("acme")
        await api.account("beta")
        assert (await purchase(api, {"plan": "points-120", "payment_id": "pay-1"})).status_code == 201
        r = await purchase(api, {"plan": "points-120", "payment_id": "pay-1"}, account_id="beta")
        problem(r, 409, "conflict")
        assert figures(await api.balance("beta")) == (0, 0, 0)
        assert await ledger(api, "beta") == []

    async def test_purchased_at_3_minutes_ahead_counts_as_now(self, api):
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "purchased_at": iso(T0 + timedelta(minutes=3))}
        )
        assert r.status_code == 201, r.text
        assert ts(r.json()["lot"]["granted_at"]) == T0
        assert ts(r.json()["lot"]["expires_at"]) == T0_PLUS_2Y
        assert ts((await ledger(api))[0]["effective_at"]) == T0

    async def test_purchased_at_exactly_5_minutes_ahead_counts_as_now(self, api):
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "purchased_at": iso(T0 + timedelta(minutes=5))}
        )
        assert r.status_code == 201, r.text
        assert ts(r.json()["lot"]["granted_at"]) == T0

    async def test_purchased_at_5_minutes_and_a_second_ahead_is_422(self, api):
        await api.account()
        r = await purchase(
            api,
            {"plan": "points-120", "payment_id": "pay-1", "purchased_at": iso(T0 + timedelta(minutes=5, seconds=1))},
        )
        invalid(r, "#/purchased_at")

    async def test_retry_of_a_purchase_sent_a_little_ahead_answers_200(self, api):
        await api.account()
        body = {"plan": "points-120", "payment_id": "pay-1", "purchased_at": iso(T0 + timedelta(minutes=3))}
        first = await purchase(api, body)
        api.clock.advance(timedelta(minutes=10))
        again = await purchase(api, body)
        assert again.status_code == 200, again.text
        assert again.json()["lot"]["id"] == first.json()["lot"]["id"]

    async def test_purchased_at_10_minutes_ahead_is_422(self, api):
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "purchased_at": iso(T0 + timedelta(minutes=10))}
        )
        invalid(r, "#/purchased_at")
        assert await ledger(api) == []

    async def test_purchased_at_with_an_offset_is_normalised_to_utc(self, api):
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "purchased_at": "2026-01-15T09:00:00-02:00"}
        )
        assert r.status_code == 201, r.text
        assert ts(r.json()["lot"]["granted_at"]) == datetime(2026, 1, 15, 11, 0, tzinfo=UTC)
        assert r.json()["lot"]["granted_at"].endswith(("Z", "+00:00"))

    async def test_naive_purchased_at_is_422(self, api):
        await api.account()
        r = await purchase(api, {"plan": "points-120", "payment_id": "pay-1", "purchased_at": "2026-01-15T11:00:00"})
        invalid(r, "#/purchased_at")

    async def test_purchased_at_8_days_back_is_422_for_billing(self, api):
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "purchased_at": iso(T0 - timedelta(days=8))}
        )
        invalid(r, "#/purchased_at")

    async def test_purchased_at_7_days_back_is_accepted_for_billing(self, api):
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "purchased_at": iso(T0 - timedelta(days=7))}
        )
        assert r.status_code == 201, r.text
        assert ts(r.json()["lot"]["expires_at"]) == datetime(2028, 1, 8, 12, 0, tzinfo=UTC)

    async def test_purchased_at_7_days_and_a_second_back_is_422_for_billing(self, api):
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "purchased_at": iso(T0 - timedelta(days=7, seconds=1))}
        )
        invalid(r, "#/purchased_at")

    async def test_purchased_at_8_days_back_is_accepted_for_admin(self, api):
        await api.account()
        back = T0 - timedelta(days=8)
        r = await purchase(api, {"plan": "points-120", "payment_id": "pay-1", "purchased_at": iso(back)}, role="admin")
        assert r.status_code == 201, r.text
        assert ts(r.json()["lot"]["granted_at"]) == back
        assert ts(r.json()["lot"]["expires_at"]) == datetime(2028, 1, 7, 12, 0, tzinfo=UTC)
        assert ts((await ledger(api))[0]["effective_at"]) == back

    async def test_admin_backdated_past_expiry_creates_an_expired_lot_with_its_expiry_entry(self, api):
        await api.account()
        back = datetime(2024, 1, 14, 12, 0, tzinfo=UTC)  # two years and one day ago
        r = await purchase(api, {"plan": "points-120", "payment_id": "pay-1", "purchased_at": iso(back)}, role="admin")
        assert r.status_code == 201, r.text
        lot = r.json()["lot"]
        assert ts(lot["expires_at"]) == datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
        assert states(lot) == only(120, "expired")
        assert figures(r.json()["balance"]) == (0, 0, 0)
        entries = await ledger(api)
        assert [(e["seq"], e["kind"], e["available_delta"], e["pending"]) for e in entries] == [
            (2, "expiry", -120, False),
            (1, "purchase", 120, False),
        ]
        expiry = entries[0]
        assert ts(expiry["effective_at"]) == datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
        assert ts(expiry["created_at"]) == T0
        assert expiry["actor"] == "system:expiry"
        assert expiry["postings"] == [
            {"lot_id": lot["id"], "from_state": "available", "to_state": "expired", "points": 120}
        ]
        assert figures(await api.balance()) == (0, 0, 0)

    async def test_paid_amount_as_json_number_is_422(self, api):
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "paid": {"amount": 68.5, "currency": "USD"}}
        )
        invalid(r, "#/paid/amount")
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "paid": {"amount": 68, "currency": "USD"}}
        )
        invalid(r, "#/paid/amount")

    @pytest.mark.parametrize("amount", ["68.5", "68.500", "68", "-68.50", "6 8.50", "1e2"])
    async def test_paid_amount_without_exactly_the_minor_digits_is_422(self, api, amount):
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "paid": {"amount": amount, "currency": "USD"}}
        )
        invalid(r, "#/paid/amount")
        assert await ledger(api) == []

    async def test_unknown_paid_currency_points_at_paid_currency(self, api):
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "paid": {"amount": "10.00", "currency": "ABC"}}
        )
        invalid(r, "#/paid/currency")

    async def test_paid_in_a_zero_decimal_currency(self, api):
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "paid": {"amount": "9800", "currency": "JPY"}}
        )
        assert r.status_code == 201, r.text
        assert r.json()["lot"]["paid"] == {"amount": "9800", "currency": "JPY"}

    async def test_unknown_plan_is_422_on_plan(self, api):
        await api.account()
        r = await purchase(api, {"plan": "points-999", "payment_id": "pay-1"})
        invalid(r, "#/plan")

    async def test_inactive_plan_is_still_accepted(self, api):
        await api.account()
        r = await api.put(
            "/v1/plans/points-60", {"points": 60, "price": {"amount": "34.50", "currency": "USD"}, "active": False}
        )
        assert r.status_code == 200, r.text
        assert r.json()["active"] is False
        r = await purchase(api, {"plan": "points-60", "payment_id": "pay-1"})
        assert r.status_code == 201, r.text
        assert (r.json()["lot"]["points"], r.json()["lot"]["plan"]) == (60, "points-60")
        assert r.json()["lot"]["paid"] == {"amount": "34.50", "currency": "USD"}
        codes = [p["code"] for p in (await api.get("/v1/plans")).json()["items"]]
        assert "points-60" not in codes

    async def test_lot_keeps_its_price_when_the_plan_changes(self, api):
        await api.account()
        first = await purchase(api, {"plan": "points-60", "payment_id": "pay-1"})
        await api.put("/v1/plans/points-60", {"points": 60, "price": {"amount": "39.00", "currency": "USD"}})
        r = await api.get("/v1/accounts/acme/lots")
        assert [lot["paid"] for lot in r.json()["items"]] == [{"amount": "34.50", "currency": "USD"}]
        assert r.json()["items"][0]["id"] == first.json()["lot"]["id"]

    async def test_unknown_account_is_404(self, api):
        r = await purchase(api, {"plan": "points-120", "payment_id": "pay-1"}, account_id="nobody")
        problem(r, 404, "not-found")

    async def test_unknown_field_is_422(self, api):
        await api.account()
        r = await purchase(api, {"plan": "points-120", "payment_id": "pay-1", "points": 1000})
        invalid(r, "#/points")

    async def test_helpdesk_may_not_record_purchases(self, api):
        await api.account()
        r = await purchase(api, {"plan": "points-120", "payment_id": "pay-1"}, role="helpdesk")
        problem(r, 403, "forbidden")


class TestPurchaseOn29February:
    async def test_expires_on_28_february_two_years_later(self, api):
        api.clock.set(datetime(2028, 2, 29, 10, 0, tzinfo=UTC))
        await api.account()
        lot = (await api.buy())["lot"]
        assert ts(lot["granted_at"]) == datetime(2028, 2, 29, 10, 0, tzinfo=UTC)
        assert ts(lot["expires_at"]) == datetime(2030, 2, 28, 10, 0, tzinfo=UTC)

    async def test_expiry_is_computed_in_utc_whatever_the_offset_sent(self, api):
        api.clock.set(datetime(2028, 2, 29, 2, 0, tzinfo=UTC))
        await api.account()
        r = await purchase(
            api, {"plan": "points-120", "payment_id": "pay-1", "purchased_at": "2028-02-29T01:00:00+03:00"}
        )
        assert r.status_code == 201, r.text
        lot = (await api.get("/v1/accounts/acme/lots")).json()["items"][0]
        assert ts(lot["granted_at"]) == datetime(2028, 2, 28, 22, 0, tzinfo=UTC)
        assert ts(lot["expires_at"]) == datetime(2030, 2, 28, 22, 0, tzinfo=UTC)

    async def test_import_default_expiry_is_computed_in_utc(self, api):
        api.clock.set(datetime(2028, 3, 10, tzinfo=UTC))
        await api.account()
        r = await import_(api, granted_at="2028-02-28T23:00:00-02:00")  # = 2028-02-29T01:00Z
        assert r.status_code == 201, r.text
        lot = (await api.get("/v1/accounts/acme/lots")).json()["items"][0]
        assert ts(lot["expires_at"]) == datetime(2030, 2, 28, 1, 0, tzinfo=UTC)

    async def test_still_spendable_just_before_and_gone_at_28_february(self, api):
        api.clock.set(datetime(2028, 2, 29, 10, 0, tzinfo=UTC))
        await api.account()
        await api.buy()
        api.clock.set(datetime(2030, 2, 28, 9, 59, 59, tzinfo=UTC))
        assert (await api.balance())["available"] == 120
        api.clock.set(datetime(2030, 2, 28, 10, 0, tzinfo=UTC))
        assert (await api.balance())["available"] == 0


# ---- licenses ------------------------------------------------------------------------------


async def license_(
    api: Any, key: str, product: str = "default", account_id: str = "acme", **extra: Any
) -> httpx.Response:
    return await api.post(
        f"/v1/accounts/{account_id}/licenses", {"license_key": key, "product": product, **extra}, role="billing"
    )


class TestLicense:
    async def test_default_product_gives_60_points_to_the_first_license(self, api):
        await api.account()
        r = await license_(api, "LIC-1")
        assert r.status_code == 201, r.text
        body = r.json()
        lot = body["lot"]
        assert (lot["source"], lot["points"], lot["license_key"]) == ("license_bonus", 60, "LIC-1")
        assert states(lot) == only(60)
        assert (lot["plan"], lot["paid"], lot["payment_id"]) == (None, None, None)
        assert ts(lot["granted_at"]) == T0
        assert ts(lot["expires_at"]) == T0_PLUS_2Y
        assert body["license"]["license_key"] == "LIC-1"
        assert body["license"]["account_id"] == "acme"
        assert body["license"]["product"] == "default"
        assert body["license"]["lot_id"] == lot["id"]
        assert ts(body["license"]["purchased_at"]) == T0
        assert figures(body["balance"]) == (60, 0, 0)
        assert [(e["kind"], e["available_delta"]) for e in await ledger(api)] == [("license_bonus", 60)]

    async def test_bonus_expires_two_years_from_the_license_purchase(self, api):
        await api.account()
        bought = T0 - timedelta(days=3)
        r = await license_(api, "LIC-1", purchased_at=iso(bought))
        assert r.status_code == 201, r.text
        assert ts(r.json()["lot"]["granted_at"]) == bought
        assert ts(r.json()["lot"]["expires_at"]) == datetime(2028, 1, 12, 12, 0, tzinfo=UTC)

    async def test_bonus_expiry_is_computed_in_utc_whatever_the_offset_sent(self, api):
        api.clock.set(datetime(2028, 2, 29, 2, 0, tzinfo=UTC))
        await api.account()
        r = await license_(api, "LIC-1", purchased_at="2028-02-28T23:00:00-02:00")
        assert r.status_code == 201, r.text
        lot = (await api.get("/v1/accounts/acme/lots")).json()["items"][0]
        assert ts(lot["granted_at"]) == datetime(2028, 2, 29, 1, 0, tzinfo=UTC)
        assert ts(lot["expires_at"]) == datetime(2030, 2, 28, 1, 0, tzinfo=UTC)

    async def test_second_license_of_a_first_license_product_gives_nothing(self, api):
        await api.account()
        assert (await license_(api, "LIC-1")).status_code == 201
        r = await license_(api, "LIC-2")
        assert r.status_code == 201, r.text
        assert r.json()["lot"] is None
        assert r.json()["license"]["lot_id"] is None
        assert r.json()["license"]["license_key"] == "LIC-2"
        assert figures(r.json()["balance"]) == (60, 0, 0)
        assert [e["kind"] for e in await ledger(api)] == ["license_bonus"]

    async def test_every_license_product_gives_each_time(self, api):
        await api.account()
        r = await api.put(
            "/v1/license-products/x", {"name": "X Pro", "bonus_points": 30, "bonus_policy": "every_license"}
        )
        assert r.status_code == 201, r.text
        assert r.json() == {
            "code": "x",
            "name": "X Pro",
            "bonus_points": 30,
            "bonus_policy": "every_license",
            "active": True,
        }
        first = await license_(api, "X-1", "x")
        second = await license_(api, "X-2", "x")
        assert (first.status_code, second.status_code) == (201, 201)
        assert (first.json()["lot"]["points"], second.json()["lot"]["points"]) == (30, 30)
        assert first.json()["lot"]["id"] != second.json()["lot"]["id"]
        assert figures(second.json()["balance"]) == (60, 0, 0)

    async def test_first_license_product_after_a_license_of_another_product_gives_nothing(self, api):
        await api.account()
        await api.put("/v1/license-products/x", {"name": "X Pro", "bonus_points": 30, "bonus_policy": "every_license"})
        assert (await license_(api, "X-1", "x")).status_code == 201
        r = await license_(api, "LIC-1", "default")
        assert r.status_code == 201, r.text
        assert r.json()["lot"] is None
        assert figures(r.json()["balance"]) == (30, 0, 0)

    async def test_repeat_of_the_same_license_answers_200_with_the_original_result(self, api):
        await api.account()
        first = await license_(api, "LIC-1")
        api.clock.advance(timedelta(minutes=2))
        again = await license_(api, "LIC-1")
        assert again.status_code == 200, again.text
        assert again.json()["lot"]["id"] == first.json()["lot"]["id"]
        assert again.json()["license"] == first.json()["license"]
        assert figures(again.json()["balance"]) == (60, 0, 0)
        assert [e["kind"] for e in await ledger(api)] == ["license_bonus"]

    async def test_repeat_of_a_license_that_gave_nothing_answers_200_with_lot_null(self, api):
        await api.account()
        await license_(api, "LIC-1")
        await license_(api, "LIC-2")
        r = await license_(api, "LIC-2")
        assert r.status_code == 200, r.text
        assert r.json()["lot"] is None

    async def test_same_license_with_another_product_is_409(self, api):
        await api.account()
        await api.put("/v1/license-products/x", {"name": "X Pro", "bonus_points": 30, "bonus_policy": "every_license"})
        await license_(api, "LIC-1")
        r = await license_(api, "LIC-1", "x")
        problem(r, 409, "conflict")

    async def test_same_license_on_another_account_is_409(self, api):
        await api.account("acme")
        await api.account("beta")
        assert (await license_(api, "LIC-1")).status_code == 201
        r = await license_(api, "LIC-1", account_id="beta")
        problem(r, 409, "conflict")
        assert figures(await api.balance("beta")) == (0, 0, 0)

    async def test_unknown_product_is_422(self, api):
        await api.account()
        r = await license_(api, "LIC-1", "nope")
        invalid(r, "#/product")


# ---- imports -------------------------------------------------------------------------------


async def import_(api: Any, account_id: str = "acme", role: str = "admin", **body: Any) -> httpx.Response:
    body = {
        "points": 100,
        "granted_at": iso(T0 - timedelta(days=30)),
        "external_ref": "OLD-1",
        "reason": "migration",
        **body,
    }
    return await api.post(f"/v1/accounts/{account_id}/imports", body, role=role)


class TestImport:
    async def test_omitted_expires_at_is_two_years_from_granted_at(self, api):
        await api.account()
        granted = T0 - timedelta(days=30)
        r = await import_(api, granted_at=iso(granted))
        assert r.status_code == 201, r.text
        lot = r.json()["lot"]
        assert (lot["source"], lot["points"], lot["external_ref"]) == ("import", 100, "OLD-1")
        assert states(lot) == only(100)
        assert ts(lot["granted_at"]) == granted
        assert ts(lot["expires_at"]) == datetime(2027, 12, 16, 12, 0, tzinfo=UTC)
        assert figures(r.json()["balance"]) == (100, 0, 0)
        entries = await ledger(api)
        assert [(e["kind"], e["available_delta"], e["reason"]) for e in entries] == [("import", 100, "migration")]
        assert ts(entries[0]["effective_at"]) == granted

    async def test_explicit_null_expires_at_never_expires(self, api):
        await api.account()
        r = await import_(api, expires_at=None)
        assert r.status_code == 201, r.text
        assert r.json()["lot"]["expires_at"] is None
        api.clock.advance(timedelta(days=365 * 10))
        assert (await api.balance())["available"] == 100

    async def test_past_expires_at_creates_an_expired_lot_with_its_expiry_entry_at_once(self, api):
        await api.account()
        expires = T0 - timedelta(days=1)
        r = await import_(api, granted_at=iso(T0 - timedelta(days=400)), expires_at=iso(expires))
        assert r.status_code == 201, r.text
        lot = r.json()["lot"]
        assert states(lot) == only(100, "expired")
        assert ts(lot["expires_at"]) == expires
        assert figures(r.json()["balance"]) == (0, 0, 0)
        entries = await ledger(api)
        assert [(e["seq"], e["kind"], e["available_delta"], e["pending"]) for e in entries] == [
            (2, "expiry", -100, False),
            (1, "import", 100, False),
        ]
        assert ts(entries[0]["effective_at"]) == expires

    async def test_granted_more_than_two_years_ago_is_expired_at_once(self, api):
        await api.account()
        r = await import_(api, granted_at=iso(datetime(2024, 1, 14, 12, 0, tzinfo=UTC)))
        assert r.status_code == 201, r.text
        assert ts(r.json()["lot"]["expires_at"]) == datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
        assert states(r.json()["lot"]) == only(100, "expired")
        assert [(e["kind"], e["pending"]) for e in await ledger(api)] == [("expiry", False), ("import", False)]

    async def test_repeat_identical_answers_200_with_the_same_lot(self, api):
        await api.account()
        first = await import_(api)
        api.clock.advance(timedelta(minutes=5))
        again = await import_(api)
        assert again.status_code == 200, again.text
        assert again.json()["lot"]["id"] == first.json()["lot"]["id"]
        assert figures(again.json()["balance"]) == (100, 0, 0)
        assert [e["kind"] for e in await ledger(api)] == ["import"]

    async def test_identical_retry_of_an_import_granted_a_little_ahead_answers_200(self, api):
        await api.account()
        body = {"granted_at": iso(T0 + timedelta(minutes=3)), "external_ref": "OLD-F"}
        first = await import_(api, **body)
        assert first.status_code == 201, first.text
        assert ts(first.json()["lot"]["granted_at"]) == T0
        api.clock.advance(timedelta(minutes=10))
        again = await import_(api, **body)
        assert again.status_code == 200, again.text
        assert again.json()["lot"]["id"] == first.json()["lot"]["id"]

    async def test_same_external_ref_with_different_content_is_409(self, api):
        await api.account()
        await import_(api)
        r = await import_(api, points=101)
        problem(r, 409, "conflict")
        r = await import_(api, expires_at=None)
        problem(r, 409, "conflict")
        assert [e["kind"] for e in await ledger(api)] == ["import"]

    async def test_same_external_ref_on_another_account_is_409(self, api):
        await api.account("acme")
        await api.account("beta")
        await import_(api)
        r = await import_(api, account_id="beta")
        problem(r, 409, "conflict")

    async def test_payment_id_shares_the_purchases_namespace(self, api):
        await api.account()
        r = await import_(api, payment_id="pay-old-1")
        assert r.status_code == 201, r.text
        assert r.json()["lot"]["payment_id"] == "pay-old-1"
        r = await purchase(api, {"plan": "points-120", "payment_id": "pay-old-1"})
        problem(r, 409, "conflict")
        assert [e["kind"] for e in await ledger(api)] == ["import"]
        assert figures(await api.balance()) == (100, 0, 0)

    async def test_payment_id_already_used_by_a_purchase_is_409(self, api):
        await api.account()
        assert (await purchase(api, {"plan": "points-120", "payment_id": "pay-1"})).status_code == 201
        r = await import_(api, payment_id="pay-1")
        problem(r, 409, "conflict")

    async def test_billing_may_not_import(self, api):
        await api.account()
        r = await import_(api, role="billing")
        problem(r, 403, "forbidden")

    async def test_granted_at_is_required(self, api):
        await api.account()
        r = await api.post("/v1/accounts/acme/imports", {"points": 10, "external_ref": "OLD-1", "reason": "m"})
        invalid(r, "#/granted_at")


# ---- adjustments ---------------------------------------------------------------------------


async def adjust(api: Any, points: int, account_id: str = "acme", **extra: Any) -> httpx.Response:
    return await api.post(f"/v1/accounts/{account_id}/adjustments", {"points": points, "reason": "goodwill", **extra})


class TestAdjustment:
    async def test_positive_adjustment_creates_a_lot(self, api):
        await api.account()
        r = await adjust(api, 50)
        assert r.status_code == 201, r.text
        lot = r.json()["lot"]
        assert (lot["source"], lot["points"]) == ("adjustment", 50)
        assert states(lot) == only(50)
        assert ts(lot["granted_at"]) == T0
        assert ts(lot["expires_at"]) == T0_PLUS_2Y
        assert figures(r.json()["balance"]) == (50, 0, 0)
        entries = await ledger(api)
        assert [(e["kind"], e["available_delta"], e["reason"], e["lot_id"]) for e in entries] == [
            ("adjustment", 50, "goodwill", lot["id"])
        ]

    async def test_positive_adjustment_with_null_expiry_never_expires(self, api):
        await api.account()
        r = await adjust(api, 50, expires_at=None)
        assert r.status_code == 201, r.text
        assert r.json()["lot"]["expires_at"] is None

    async def test_negative_adjustment_writes_off_in_consumption_order(self, api):
        await api.account()
        never = (await import_(api, points=100, expires_at=None, external_ref="OLD-N")).json()["lot"]
        api.clock.advance(timedelta(minutes=1))
        bought = (await api.buy())["lot"]
        api.clock.advance(timedelta(minutes=1))
        soon = (
            await import_(
                api, points=20, granted_at=iso(T0), expires_at=iso(T0 + timedelta(days=10)), external_ref="OLD-S"
            )
        ).json()["lot"]

        r = await adjust(api, -150)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["lot"] is None
        assert body["postings"] == [
            {"lot_id": soon["id"], "from_state": "available", "to_state": "written_off", "points": 20},
            {"lot_id": bought["id"], "from_state": "available", "to_state": "written_off", "points": 120},
            {"lot_id": never["id"], "from_state": "available", "to_state": "written_off", "points": 10},
        ]
        assert figures(body["balance"]) == (90, 0, 0)
        entry = (await ledger(api))[0]
        assert (entry["kind"], entry["available_delta"], entry["lot_id"], entry["reason"]) == (
            "adjustment",
            -150,
            None,
            "goodwill",
        )
        lots = {
            lot["id"]: lot
            for lot in (await api.get("/v1/accounts/acme/lots", params={"include_empty": "true"})).json()["items"]
        }
        assert states(lots[never["id"]]) == {**only(90), "written_off": 10}
        assert states(lots[bought["id"]]) == only(120, "written_off")

    async def test_negative_adjustment_skips_expired_lots(self, api):
        await api.account()
        await import_(api, points=30, expires_at=iso(T0 + timedelta(days=1)), external_ref="OLD-S")
        kept = (await import_(api, points=50, expires_at=None, external_ref="OLD-N")).json()["lot"]
        api.clock.advance(timedelta(days=2))
        r = await adjust(api, -50)
        assert r.status_code == 200, r.text
        assert r.json()["postings"] == [
            {"lot_id": kept["id"], "from_state": "available", "to_state": "written_off", "points": 50}
        ]
        assert [e["kind"] for e in await ledger(api)] == ["adjustment", "expiry", "import", "import"]

    async def test_writing_off_more_than_available_is_422(self, api):
        await api.account()
        await api.buy()
        await api.open(category="store-problem")
        r = await adjust(api, -96)
        invalid(r, "#/points")
        assert figures(await api.balance()) == (95, 25, 0)
        assert [e["kind"] for e in await ledger(api)] == ["capture", "purchase"]

    async def test_zero_points_is_422(self, api):
        await api.account()
        r = await adjust(api, 0)
        invalid(r, "#/points")

    async def test_expires_at_on_a_negative_adjustment_is_422(self, api):
        await api.account()
        await api.buy()
        r = await adjust(api, -10, expires_at=None)
        invalid(r, "#/expires_at")

    async def test_billing_may_not_adjust(self, api):
        await api.account()
        r = await api.post("/v1/accounts/acme/adjustments", {"points": 5, "reason": "x"}, role="billing")
        problem(r, 403, "forbidden")


# ---- revocation ----------------------------------------------------------------------------


class TestRevokeLot:
    async def _partly_used_pack(self, api: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        await api.account()
        lot = (await api.buy(plan="points-120"))["lot"]
        done = await api.open(category="store-problem")
        r = await api.post(f"/v1/tickets/{done['id']}/resolve", {}, role="helpdesk")
        assert r.status_code == 200, r.text
        still_open = await api.open(category="consultation")
        assert figures(await api.balance()) == (85, 10, 25)
        return lot, still_open

    async def test_partly_used_pack_reports_where_every_point_is(self, api):
        lot, _ = await self._partly_used_pack(api)
        r = await api.post(f"/v1/lots/{lot['id']}/revoke", {"reason": "chargeback"}, role="billing")
        assert r.status_code == 200, r.text
        body = r.json()
        figures_ = {
            k: body[k]
            for k in ("revoked", "held_by_open_tickets", "unrecoverable", "already_expired", "written_off", "reissued")
        }
        assert figures_ == {
            "revoked": 85,
            "held_by_open_tickets": 10,
            "unrecoverable": 25,
            "already_expired": 0,
            "written_off": 0,
            "reissued": 0,
        }
        assert sum(figures_.values()) == 120
        assert ts(body["lot"]["revoked_at"]) == T0
        assert states(body["lot"]) == {**only(0), "revoked": 85, "held": 10, "deducted": 25}
        assert figures(await api.balance()) == (0, 10, 25)
        entry = (await ledger(api))[0]
        assert (entry["kind"], entry["available_delta"], entry["reason"], entry["lot_id"]) == (
            "revocation",
            -85,
            "chargeback",
            lot["id"],
        )
        assert entry["postings"] == [
            {"lot_id": lot["id"], "from_state": "available", "to_state": "revoked", "points": 85}
        ]

    async def test_revoking_again_answers_200_with_the_same_figures_and_no_entry(self, api):
        lot, _ = await self._partly_used_pack(api)
        first = await api.post(f"/v1/lots/{lot['id']}/revoke", {"reason": "chargeback"}, role="billing")
        entries = await ledger(api)
        api.clock.advance(timedelta(minutes=1))
        again = await api.post(f"/v1/lots/{lot['id']}/revoke", {"reason": "chargeback again"}, role="billing")
        assert again.status_code == 200, again.text
        keys = ("revoked", "held_by_open_tickets", "unrecoverable", "already_expired", "written_off", "reissued")
        assert {k: again.json()[k] for k in keys} == {k: first.json()[k] for k in keys}
        assert ts(again.json()["lot"]["revoked_at"]) == T0
        assert await ledger(api) == entries

    async def test_points_coming_back_from_an_open_ticket_are_revoked_again(self, api):
        lot, still_open = await self._partly_used_pack(api)
        await api.post(f"/v1/lots/{lot['id']}/revoke", {"reason": "chargeback"}, role="billing")
        r = await api.post(f"/v1/tickets/{still_open['id']}/refund", {"reason": "withdrawn"}, role="helpdesk")
        assert r.status_code == 200, r.text
        assert r.json()["forfeited_points"] == 10
        assert figures(await api.balance()) == (0, 0, 25)
        kinds = [(e["kind"], e["available_delta"], e["held_delta"]) for e in (await ledger(api))[:2]]
        assert kinds == [("revocation", -10, 0), ("return", 10, -10)]
        r = await api.post(f"/v1/lots/{lot['id']}/revoke", {"reason": "chargeback"}, role="billing")
        assert (r.json()["revoked"], r.json()["held_by_open_tickets"], r.json()["unrecoverable"]) == (95, 0, 25)

    async def test_revoking_an_expired_lot_reports_already_expired(self, api):
        await api.account()
        lot = (await api.buy())["lot"]
        api.clock.advance(timedelta(days=2 * 366))
        r = await api.post(f"/v1/lots/{lot['id']}/revoke", {"reason": "chargeback"}, role="billing")
        assert r.status_code == 200, r.text
        assert (r.json()["revoked"], r.json()["already_expired"]) == (0, 120)
        assert [e["kind"] for e in await ledger(api)] == ["expiry", "purchase"]

    async def test_written_off_points_are_reported(self, api):
        await api.account()
        lot = (await api.buy())["lot"]
        await adjust(api, -20)
        r = await api.post(f"/v1/lots/{lot['id']}/revoke", {"reason": "refund"}, role="billing")
        assert r.status_code == 200, r.text
        assert (r.json()["revoked"], r.json()["written_off"], r.json()["unrecoverable"]) == (100, 20, 0)
        assert figures(await api.balance()) == (0, 0, 0)

    async def test_unknown_lot_is_404(self, api):
        r = await api.post("/v1/lots/lot_nope/revoke", {"reason": "x"}, role="billing")
        problem(r, 404, "not-found")

    async def test_helpdesk_may_not_revoke(self, api):
        await api.account()
        lot = (await api.buy())["lot"]
        r = await api.post(f"/v1/lots/{lot['id']}/revoke", {"reason": "x"}, role="helpdesk")
        problem(r, 403, "forbidden")


# ---- catalogue -----------------------------------------------------------------------------


class TestListPlans:
    async def test_lists_the_four_seed_plans_by_code_with_string_prices(self, api):
        r = await api.get("/v1/plans", role="viewer")
        assert r.status_code == 200, r.text
        assert r.json() == {
            "items": [
                {"code": "points-120", "points": 120, "price": {"amount": "68.50", "currency": "USD"}, "active": True},
                {
                    "code": "points-1200",
                    "points": 1200,
                    "price": {"amount": "673.33", "currency": "USD"},
                    "active": True,
                },
                {"code": "points-300", "points": 300, "price": {"amount": "169.50", "currency": "USD"}, "active": True},
                {"code": "points-60", "points": 60, "price": {"amount": "34.50", "currency": "USD"}, "active": True},
            ],
            "next_cursor": None,
        }

    async def test_include_inactive_is_admin_only(self, api):
        await api.put(
            "/v1/plans/points-60", {"points": 60, "price": {"amount": "34.50", "currency": "USD"}, "active": False}
        )
        r = await api.get("/v1/plans", params={"include_inactive": "true"}, role="billing")
        problem(r, 403, "forbidden")
        r = await api.get("/v1/plans", params={"include_inactive": "true"})
        assert [(p["code"], p["active"]) for p in r.json()["items"]][-1] == ("points-60", False)

    async def test_limit_pages_the_catalogue_like_every_list(self, api):
        r = await api.get("/v1/plans", params={"limit": 0})
        invalid(r, "#/query/limit")
        first = await api.get("/v1/plans", params={"limit": 2})
        assert [p["code"] for p in first.json()["items"]] == ["points-120", "points-1200"]
        assert first.json()["next_cursor"]
        rest = await api.get("/v1/plans", params={"limit": 2, "cursor": first.json()["next_cursor"]})
        assert [p["code"] for p in rest.json()["items"]] == ["points-300", "points-60"]
        assert rest.json()["next_cursor"] is None


class TestListCategories:
    async def test_lists_the_22_seed_categories(self, api):
        r = await api.get("/v1/categories", role="viewer")
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert len(items) == 22
        codes = [c["code"] for c in items]
        assert codes == sorted(codes)
        by_code = {c["code"]: c for c in items}
        assert by_code["store-problem"] == {
            "code": "store-problem",
            "group": "default functionality",
            "name": "Level 2: Problem-solving on client's store",
            "pricing": {"type": "fixed", "points": 25},
            "active": True,
        }
        assert by_code["aspe-transfer"]["pricing"] == {
            "type": "formula",
            "base": 120,
            "per_unit": 60,
            "unit": "deployed stores",
            "min_quantity": 1,
        }
        assert by_code["security-audit"]["pricing"]["min_quantity"] == 0
        assert by_code["sales-n-stats-transfer"]["pricing"] == {"type": "range", "min": 80, "max": 100}
        assert by_code["third-party-install"]["pricing"] == {"type": "from", "min": 100}
        assert by_code["other"]["pricing"] == {"type": "upon_request"}


class TestListLicenseProducts:
    async def test_lists_the_seed_product(self, api):
        r = await api.get("/v1/license-products", role="viewer")
        assert r.status_code == 200, r.text
        assert r.json()["items"] == [
            {
                "code": "default",
                "name": r.json()["items"][0]["name"],
                "bonus_points": 60,
                "bonus_policy": "first_license",
                "active": True,
            }
        ]


class TestQuote:
    async def quote(self, api: Any, code: str, **params: Any) -> httpx.Response:
        return await api.get(f"/v1/categories/{code}/quote", params=params, role="viewer")

    async def test_fixed(self, api):
        r = await self.quote(api, "store-problem")
        assert r.status_code == 200, r.text
        assert r.json() == {
            "category": "store-problem",
            "pricing": {"type": "fixed", "points": 25},
            "quantity": None,
            "points": 25,
            "min": 25,
            "max": 25,
        }

    async def test_range_has_min_and_max_but_no_points(self, api):
        r = await self.quote(api, "sales-n-stats-transfer")
        assert r.status_code == 200, r.text
        assert (r.json()["points"], r.json()["min"], r.json()["max"], r.json()["quantity"]) == (None, 80, 100, None)

    async def test_from_has_only_min(self, api):
        r = await self.quote(api, "third-party-install")
        assert r.status_code == 200, r.text
        assert (r.json()["points"], r.json()["min"], r.json()["max"]) == (None, 100, None)

    async def test_formula_with_quantity(self, api):
        r = await self.quote(api, "aspe-transfer", quantity=3)
        assert r.status_code == 200, r.text
        assert (r.json()["quantity"], r.json()["points"], r.json()["min"], r.json()["max"]) == (3, 300, 300, 300)
        r = await self.quote(api, "security-audit", quantity=0)
        assert r.status_code == 200, r.text
        assert (r.json()["points"], r.json()["min"], r.json()["max"]) == (150, 150, 150)

    async def test_upon_request_is_all_null(self, api):
        r = await self.quote(api, "other")
        assert r.status_code == 200, r.text
        assert r.json() == {
            "category": "other",
            "pricing": {"type": "upon_request"},
            "quantity": None,
            "points": None,
            "min": None,
            "max": None,
        }

    async def test_formula_without_quantity_is_422(self, api):
        r = await self.quote(api, "aspe-transfer")
        invalid(r, "#/query/quantity")

    async def test_formula_below_its_minimum_quantity_is_422(self, api):
        r = await self.quote(api, "aspe-transfer", quantity=0)
        invalid(r, "#/query/quantity")

    async def test_quantity_on_a_fixed_category_is_422(self, api):
        r = await self.quote(api, "store-problem", quantity=1)
        invalid(r, "#/query/quantity")

    async def test_unknown_category_is_404(self, api):
        r = await self.quote(api, "nope")
        problem(r, 404, "not-found")


class TestPutPlan:
    async def test_creates_201_then_changes_200(self, api):
        body = {"points": 600, "price": {"amount": "320.00", "currency": "USD"}}
        r = await api.put("/v1/plans/points-600", body)
        assert r.status_code == 201, r.text
        assert r.json() == {
            "code": "points-600",
            "points": 600,
            "price": {"amount": "320.00", "currency": "USD"},
            "active": True,
        }
        r = await api.put("/v1/plans/points-600", {**body, "price": {"amount": "310.00", "currency": "USD"}})
        assert r.status_code == 200, r.text
        assert r.json()["price"] == {"amount": "310.00", "currency": "USD"}
        plans = {p["code"]: p for p in (await api.get("/v1/plans")).json()["items"]}
        assert plans["points-600"]["price"] == {"amount": "310.00", "currency": "USD"}
        await api.account()
        lot = (await api.buy(plan="points-600"))["lot"]
        assert (lot["points"], lot["paid"]) == (600, {"amount": "310.00", "currency": "USD"})

    async def test_price_as_a_number_is_422(self, api):
        r = await api.put("/v1/plans/points-600", {"points": 600, "price": {"amount": 320, "currency": "USD"}})
        invalid(r, "#/price/amount")

    async def test_unknown_price_currency_points_at_price_currency(self, api):
        r = await api.put("/v1/plans/points-600", {"points": 600, "price": {"amount": "1.00", "currency": "ABC"}})
        invalid(r, "#/price/currency")

    async def test_only_admin_may_change_the_catalogue(self, api):
        r = await api.put(
            "/v1/plans/points-600", {"points": 600, "price": {"amount": "320.00", "currency": "USD"}}, role="billing"
        )
        problem(r, 403, "forbidden")


class TestPutCategory:
    async def test_creates_and_changes(self, api):
        body = {"group": "extra", "name": "Extra work", "pricing": {"type": "range", "min": 10, "max": 20}}
        r = await api.put("/v1/categories/extra", body)
        assert r.status_code == 201, r.text
        assert r.json() == {"code": "extra", "active": True, **body}
        r = await api.put("/v1/categories/extra", {**body, "pricing": {"type": "fixed", "points": 15}})
        assert r.status_code == 200, r.text
        assert r.json()["pricing"] == {"type": "fixed", "points": 15}

    async def test_range_with_min_above_max_is_422(self, api):
        r = await api.put(
            "/v1/categories/extra",
            {"group": "extra", "name": "Extra", "pricing": {"type": "range", "min": 30, "max": 20}},
        )
        body = problem(r, 422, "validation-error")
        assert body["errors"][0]["pointer"].startswith("#/pricing")
        assert (await api.get("/v1/categories/extra/quote")).status_code == 404
