"""The finance report (docs/design.md §13): figures, identity, grouping, CSV, 422s."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from support.problems import invalid
from support.times import T0, iso

FIGURES = ("opening", "granted", "recognized", "returned", "breakage", "revoked", "written_off", "closing")
SIGNS = {"granted": 1, "recognized": -1, "returned": 1, "breakage": -1, "revoked": -1, "written_off": -1}
DAY = timedelta(days=1)


async def report(api: Any, start: Any, end: Any, role: str = "billing", **params: Any) -> dict[str, Any]:
    r = await api.get("/v1/reports/finance", role=role, params={"from": iso(start), "to": iso(end), **params})
    assert r.status_code == 200, r.text
    return r.json()


def identity_holds(row: dict[str, Any]) -> bool:
    def holds(f: dict[str, Any], value: Any) -> bool:
        return value(f["closing"]) == value(f["opening"]) + sum(s * value(f[n]) for n, s in SIGNS.items())

    return holds(row["points"], int) and holds(row["money"], Decimal)


def totals(rows: list[dict[str, Any]]) -> dict[str, tuple[dict[str, int], dict[str, Decimal]]]:
    """Per currency, the sum of the rows' figures."""
    out: dict[str, tuple[dict[str, int], dict[str, Decimal]]] = {}
    for row in rows:
        points, money = out.setdefault(row["currency"], (dict.fromkeys(FIGURES, 0), dict.fromkeys(FIGURES, Decimal(0))))
        for f in FIGURES:
            points[f] += row["points"][f]
            money[f] += Decimal(row["money"][f])
    return out


async def resolve(api: Any, ticket: dict[str, Any]) -> None:
    r = await api.post(f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk")
    assert r.status_code == 200, r.text


class TestUnitPrice:
    async def test_every_lot_shows_its_cost_basis(self, api):
        await api.account()
        bought = await api.buy(plan="points-120")
        assert bought["lot"]["unit_price"] == {"amount": "0.5708333333", "currency": "USD"}
        r = await api.post("/v1/accounts/acme/licenses", {"license_key": "LIC-1", "product": "default"}, role="billing")
        assert r.json()["lot"]["unit_price"] == {"amount": "0.0000000000", "currency": "USD"}
        r = await api.post("/v1/accounts/acme/adjustments", {"points": 5, "reason": "goodwill"})
        assert r.json()["lot"]["unit_price"]["amount"] == "0.0000000000"
        lots = (await api.get("/v1/accounts/acme/lots")).json()["items"]
        assert {lot["unit_price"]["amount"] for lot in lots} == {"0.5708333333", "0.0000000000"}

    async def test_a_returned_lot_keeps_its_origins_price(self, api):
        await api.account()
        bought = await api.buy(plan="points-60", paid={"amount": "30.00", "currency": "EUR"})
        ticket = await api.open(category="store-problem")
        await resolve(api, ticket)
        api.clock.set(T0 + timedelta(days=720))  # the lot now expires within RETURN_GRACE
        r = await api.post(f"/v1/tickets/{ticket['id']}/refund", {"reason": "software_bug"}, role="helpdesk")
        assert r.status_code == 200, r.text
        lots = (await api.get("/v1/accounts/acme/lots", params={"include_empty": "true"})).json()["items"]
        returned = [lot for lot in lots if lot["source"] == "returned"]
        assert len(returned) == 1 and returned[0]["origin_lot_id"] == bought["lot"]["id"]
        assert returned[0]["unit_price"] == {"amount": "0.5000000000", "currency": "EUR"}


class TestFinanceReport:
    async def test_worked_example_with_the_seed_prices(self, api):
        await api.account()
        await api.buy(plan="points-120")  # 120 points for 68.50
        api.clock.advance(timedelta(hours=1))
        await resolve(api, await api.open(category="store-problem"))  # 25 points deducted
        api.clock.advance(timedelta(hours=1))
        body = await report(api, T0 - DAY, api.clock.now())
        assert body["group_by"] is None
        (row,) = body["rows"]
        assert row["currency"] == "USD"
        assert row["points"] == {**dict.fromkeys(FIGURES, 0), "granted": 120, "recognized": 25, "closing": 95}
        # 25 × 0.5708333333 = 14.2708333325 → 14.27; 95 points: 54.2291666635 → 54.23
        assert row["money"] == {
            **dict.fromkeys(FIGURES, "0.00"),
            "granted": "68.50",
            "recognized": "14.27",
            "closing": "54.23",
        }
        assert identity_holds(row)
        # The next period opens with what this one closed with.
        api.clock.advance(DAY)
        (later,) = (await report(api, T0 + timedelta(hours=2), api.clock.now()))["rows"]
        assert later["points"]["opening"] == 95 and later["money"]["opening"] == "54.23"

    async def test_a_closed_period_never_changes(self, api):
        await api.account()
        await api.buy(plan="points-300")
        ticket = await api.open(category="consultation")
        api.clock.advance(DAY)
        end = api.clock.now()
        before = await report(api, T0 - DAY, end, group_by="account")
        # Later activity of every kind: resolve, credit, revoke, expiry.
        await resolve(api, ticket)
        r = await api.post(f"/v1/tickets/{ticket['id']}/credit", {"points": 4, "reason": "goodwill"}, role="helpdesk")
        assert r.status_code == 200, r.text
        other = await api.buy(plan="points-60")
        r = await api.post(f"/v1/lots/{other['lot']['id']}/revoke", {"reason": "chargeback"}, role="billing")
        assert r.status_code == 200, r.text
        api.clock.advance(timedelta(days=800))
        r = await api.post("/v1/admin/expire", None)
        assert r.status_code == 200, r.text
        assert await report(api, T0 - DAY, end, group_by="account") == before

    async def test_expiries_count_when_due_whether_or_not_written(self, api):
        await api.account()
        await api.buy(plan="points-60")
        api.clock.advance(timedelta(days=731))  # expired, not yet written
        due = await report(api, T0 - DAY, api.clock.now())
        (row,) = due["rows"]
        assert row["points"]["breakage"] == 60 and row["points"]["closing"] == 0
        assert row["money"]["breakage"] == "34.50"
        r = await api.post("/v1/admin/expire", None)
        assert r.json()["expired_points"] == 60
        api.clock.advance(DAY)
        (after,) = (await report(api, T0 - DAY, api.clock.now()))["rows"]
        assert after["points"] == row["points"]  # counted once: pending then, written now
        assert (await report(api, T0 + timedelta(days=731), api.clock.now()))["rows"] == []

    async def test_a_backdated_purchase_counts_when_recorded(self, api):
        await api.account()
        api.clock.advance(timedelta(days=40))
        recorded = api.clock.now()
        body = {"plan": "points-60", "payment_id": "pay-old", "purchased_at": iso(T0)}  # admins may backdate
        r = await api.post("/v1/accounts/acme/purchases", body, role="admin")
        assert r.status_code == 201, r.text
        api.clock.advance(DAY)
        assert (await report(api, T0 - DAY, recorded))["rows"] == []
        (row,) = (await report(api, recorded, api.clock.now()))["rows"]
        assert row["points"]["granted"] == 60

    async def test_grouped_rows_sum_to_the_report(self, api):
        for account in ("acme", "beta"):
            await api.account(account)
        await api.buy("acme", plan="points-120")
        await api.buy("beta", plan="points-60")
        await api.buy("beta", plan="points-300", paid={"amount": "150.00", "currency": "EUR"})
        r = await api.post("/v1/accounts/beta/licenses", {"license_key": "L-1", "product": "default"}, role="billing")
        assert r.status_code == 201, r.text
        r = await api.post("/v1/accounts/acme/adjustments", {"points": -7, "reason": "cleanup"})
        assert r.status_code == 200, r.text
        t1 = await api.open("acme", category="store-problem")
        t2 = await api.open("beta", category="code-debugging")
        t3 = await api.open("beta", category="consultation")
        for t in (t1, t2, t3):
            await resolve(api, t)
        r = await api.post(f"/v1/tickets/{t2['id']}/credit", {"points": 30, "reason": "slow"}, role="helpdesk")
        assert r.status_code == 200, r.text
        api.clock.advance(DAY)
        whole = await report(api, T0 - DAY, api.clock.now())
        assert {row["currency"] for row in whole["rows"]} == {"EUR", "USD"}
        for row in whole["rows"]:
            assert identity_holds(row)
        expected = totals(whole["rows"])
        for group_by in ("account", "plan", "category"):
            grouped = await report(api, T0 - DAY, api.clock.now(), group_by=group_by)
            assert grouped["group_by"] == group_by
            assert totals(grouped["rows"]) == expected, group_by
            for row in grouped["rows"]:
                if group_by == "category":  # only the ticket figures are split out of the null row
                    if row["category"] is not None:
                        moved = {f for f in FIGURES if row["points"][f] or Decimal(row["money"][f])}
                        assert moved <= {"recognized", "returned"}
                else:
                    assert identity_holds(row), row
        by_plan = {
            (r["currency"], r["plan"]) for r in (await report(api, T0 - DAY, api.clock.now(), group_by="plan"))["rows"]
        }
        assert by_plan == {("USD", "points-120"), ("USD", "points-60"), ("USD", None), ("EUR", "points-300")}
        by_category = await report(api, T0 - DAY, api.clock.now(), group_by="category")
        debugging = [r["points"] for r in by_category["rows"] if r["category"] == "code-debugging"]
        assert sum(p["recognized"] for p in debugging) == 80  # from lots in both currencies
        assert sum(p["returned"] for p in debugging) == 30

    async def test_csv_parses(self, api):
        await api.account()
        await api.buy(plan="points-120")
        await resolve(api, await api.open(category="store-problem"))
        api.clock.advance(DAY)
        params = {"from": iso(T0 - DAY), "to": iso(api.clock.now()), "group_by": "account"}
        r = await api.get("/v1/reports/finance", role="admin", params=params, headers={"Accept": "text/csv"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        (row,) = list(csv.DictReader(io.StringIO(r.text)))
        assert row["currency"] == "USD" and row["account_id"] == "acme"
        assert (row["granted_points"], row["recognized_amount"], row["closing_amount"]) == ("120", "14.27", "54.23")

    async def test_csv_shows_an_account_id_a_spreadsheet_would_run_as_text(self, api):
        """`-2-3` is a valid account id, and a formula (-5) to a spreadsheet: it gets an apostrophe;
        the figures and amounts are never touched."""
        await api.account("-2-3")
        await api.buy("-2-3", plan="points-120")
        api.clock.advance(DAY)
        params = {"from": iso(T0 - DAY), "to": iso(api.clock.now()), "group_by": "account"}
        r = await api.get("/v1/reports/finance", role="admin", params=params, headers={"Accept": "text/csv"})
        assert r.status_code == 200, r.text
        (row,) = list(csv.DictReader(io.StringIO(r.text)))
        assert row["account_id"] == "'-2-3"
        assert all(not value.startswith("'") for name, value in row.items() if name != "account_id"), row
        assert row["granted_points"] == "120", row


class TestFinanceReportRefusals:
    @pytest.mark.parametrize(
        ("params", "pointer"),
        [
            ({"from": "2026-01-10T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "#/query/from"),
            ({"from": "2010-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "#/query/to"),
            ({"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}, "#/query/to"),  # after now (T0)
            ({"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "group_by": "lot"}, "#/query/group_by"),
            ({"from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00Z"}, "#/query/from"),
            ({"from": "0000-12-31T00:00:00Z", "to": "2026-01-02T00:00:00Z"}, "#/query/from"),
            ({"to": "2026-01-02T00:00:00Z"}, "#/query/from"),
        ],
    )
    async def test_bad_input_is_a_validation_error(self, api, params, pointer):
        r = await api.get("/v1/reports/finance", params=params)
        invalid(r, pointer)

    @pytest.mark.parametrize(("role", "status"), [("admin", 200), ("billing", 200), ("helpdesk", 403), ("viewer", 403)])
    async def test_roles(self, api, role, status):
        r = await api.get("/v1/reports/finance", role=role, params={"from": iso(T0 - DAY), "to": iso(T0)})
        assert r.status_code == status, r.text
