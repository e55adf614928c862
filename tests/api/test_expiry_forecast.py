"""The expiry forecast (docs/design.md §13): available points by month of expiry, valued
at cost basis, with the accounts holding them; CSV, 422s, roles."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from support.problems import invalid
from support.times import T0

ZERO = {"points": 0, "amount": "0.00", "accounts": 0}


async def forecast(api: Any, role: str = "billing", **params: Any) -> dict[str, Any]:
    r = await api.get("/v1/reports/expiry-forecast", role=role, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def by_month(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (row["currency"], row["month"]): {k: row[k] for k in ("points", "amount", "accounts")} for row in body["rows"]
    }


async def backdated(api: Any, account: str, plan: str, at: str, **extra: Any) -> dict[str, Any]:
    """A purchase an admin records as made at `at`: it expires two years after."""
    body = {"plan": plan, "payment_id": f"pay-{api.serial()}", "purchased_at": at, **extra}
    r = await api.post(f"/v1/accounts/{account}/purchases", body, role="admin")
    assert r.status_code == 201, r.text
    return r.json()


class TestExpiryForecast:
    async def test_worked_example_across_months_and_currencies(self, api):
        for account in ("acme", "beta", "gamma"):
            await api.account(account)
        # USD points-120: 68.50 / 120 = 0.5708333333 a point; points-60: 34.50 / 60 = 0.575.
        await backdated(api, "acme", "points-60", "2024-01-31T23:59:59Z")  # expires 31 January, 23:59:59
        await backdated(api, "acme", "points-120", "2024-02-20T00:00:00Z")
        await backdated(api, "acme", "points-60", "2024-02-25T00:00:00Z")
        await backdated(api, "beta", "points-120", "2024-02-01T00:00:00Z")  # 1 February 00:00: February's
        await backdated(api, "beta", "points-60", "2024-01-20T00:00:00Z")  # due on 20 January: lost by the 25th
        revoked = await backdated(api, "gamma", "points-60", "2024-02-15T00:00:00Z")
        await backdated(api, "acme", "points-60", "2024-04-05T00:00:00Z", paid={"amount": "30.00", "currency": "EUR"})
        r = await api.post(
            "/v1/accounts/gamma/adjustments", {"points": 10, "reason": "goodwill", "expires_at": "2026-02-10T00:00:00Z"}
        )
        assert r.status_code == 201, r.text
        await api.buy("acme", plan="points-120")  # expires in January 2028: outside four months
        r = await api.post(f"/v1/lots/{revoked['lot']['id']}/revoke", {"reason": "chargeback"}, role="billing")
        assert r.status_code == 200, r.text
        await api.open("acme", category="store-problem")  # holds 25 of January's 60 (soonest first)
        api.clock.set(T0 + timedelta(days=10))  # 25 January: beta's January lot is due, not yet swept

        body = await forecast(api, months=4)
        assert body["months"] == 4 and body["as_of"].startswith("2026-01-25T12:00:00")
        assert [(row["currency"], row["month"]) for row in body["rows"]] == [
            (currency, month) for currency in ("EUR", "USD") for month in ("2026-01", "2026-02", "2026-03", "2026-04")
        ]
        assert by_month(body) == {
            ("EUR", "2026-01"): ZERO,
            ("EUR", "2026-02"): ZERO,
            ("EUR", "2026-03"): ZERO,
            ("EUR", "2026-04"): {"points": 60, "amount": "30.00", "accounts": 1},
            # 35 available (25 held) × 0.575 = 20.125 → 20.12 (half to even)
            ("USD", "2026-01"): {"points": 35, "amount": "20.12", "accounts": 1},
            # 2 × 120 × 0.5708333333 + 60 × 0.575 + 10 × 0 = 171.4999999920 → 171.50; acme, beta, gamma
            ("USD", "2026-02"): {"points": 310, "amount": "171.50", "accounts": 3},
            ("USD", "2026-03"): ZERO,
            ("USD", "2026-04"): ZERO,
        }
        # Writing the due expiry changes nothing: it was already lost.
        r = await api.post("/v1/admin/expire", None)
        assert r.json()["expired_points"] == 60
        assert await forecast(api, months=4) == body

    async def test_months_default_to_twelve_and_reach_as_far_as_asked(self, api):
        await api.account()
        await api.buy(plan="points-120")  # at T0 (15 January 2026): expires 15 January 2028
        assert (await forecast(api))["rows"] == []  # nothing within 12 months: no rows at all
        rows = (await forecast(api, months=25))["rows"]
        assert [r["month"] for r in rows][:2] == ["2026-01", "2026-02"] and len(rows) == 25
        assert rows[-1] == {"currency": "USD", "month": "2028-01", "points": 120, "amount": "68.50", "accounts": 1}
        assert sum(r["points"] for r in rows) == 120
        await api.open(category="store-problem")
        held = (await forecast(api, months=25, role="admin"))["rows"][-1]
        assert (held["points"], held["amount"]) == (95, "54.23")

    async def test_csv_parses(self, api):
        await api.account()
        await backdated(api, "acme", "points-120", "2024-03-01T00:00:00Z")
        r = await api.get(
            "/v1/reports/expiry-forecast", role="admin", params={"months": 3}, headers={"Accept": "text/csv"}
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert rows == [
            {"currency": "USD", "month": "2026-01", "points": "0", "amount": "0.00", "accounts": "0"},
            {"currency": "USD", "month": "2026-02", "points": "0", "amount": "0.00", "accounts": "0"},
            {"currency": "USD", "month": "2026-03", "points": "120", "amount": "68.50", "accounts": "1"},
        ]


class TestExpiryForecastRefusals:
    @pytest.mark.parametrize("months", ["0", "61", "-1", "1.5", "twelve", ""])
    async def test_months_outside_1_to_60_is_a_validation_error(self, api, months):
        invalid(await api.get("/v1/reports/expiry-forecast", params={"months": months}), "#/query/months")

    @pytest.mark.parametrize(("role", "status"), [("admin", 200), ("billing", 200), ("helpdesk", 403), ("viewer", 403)])
    async def test_roles(self, api, role, status):
        r = await api.get("/v1/reports/expiry-forecast", role=role)
        assert r.status_code == status, r.text
