"""`GET /v1/reports/estimates` (docs/design.md §14): per category, the tickets closed in a period and the mean
and population standard deviation of charged ÷ estimated, exact to 6 places."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from conftest import Api
from support.problems import problem_with_context
from support.times import T0

HOUR = timedelta(hours=1)
PERIOD = {"from": (T0 + HOUR).isoformat(), "to": (T0 + 2 * HOUR).isoformat()}
NOTHING = {
    "tickets": 0,
    "estimated_points": 0,
    "charged_points": 0,
    "returned_points": 0,
    "software_bug_refunds": 0,
    "ratio_tickets": 0,
    "ratio_mean": None,
    "ratio_stddev": None,
}


async def _ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()


async def _resolved(api: Api, category: str, points: int | None = None, **opening: Any) -> dict[str, Any]:
    ticket = await api.open("acme", category, **opening)
    body = {} if points is None else {"points": points}
    return await _ok(await api.post(f"/v1/tickets/{ticket['id']}/resolve", body, role="helpdesk"))


async def _report(api: Api, role: str = "admin", **period: str) -> dict[str, Any]:
    return await _ok(await api.get("/v1/reports/estimates", params=period or PERIOD, role=role))


class TestEstimateReport:
    async def test_a_worked_example_per_category(self, api):
        await api.account("acme")
        await api.account("poor")  # no points: its ticket waits
        await api.buy("acme", "points-1200")
        await _resolved(api, "store-problem")  # closed at T0: before the period
        api.clock.set(T0 + HOUR)
        # store-problem (estimates 25): charged 25, 50, 25 then refunded for a bug, 25 then withdrawn
        await _resolved(api, "store-problem")
        await _resolved(api, "store-problem", 50)
        bug = await _resolved(api, "store-problem")
        await _ok(await api.post(f"/v1/tickets/{bug['id']}/refund", {"reason": "software_bug"}, role="helpdesk"))
        withdrawn = await api.open("acme", "store-problem")
        await _ok(await api.post(f"/v1/tickets/{withdrawn['id']}/refund", {"reason": "withdrawn"}, role="helpdesk"))
        # consultation (estimates 10): charged 15, 10 (credited 4 later), 12
        await _resolved(api, "consultation", 15)
        credited = await _resolved(api, "consultation")
        await _resolved(api, "consultation", 12)
        # general-question (estimates 0): no ratio
        await _resolved(api, "general-question")
        # other (upon request): 40 estimated, 30 charged; and one that waited, then was withdrawn
        await _resolved(api, "other", 30, estimated_points=40)
        r = await api.post(
            "/v1/accounts/poor/tickets",
            {"external_ref": "W-1", "category": "other", "estimated_points": 40, "when_insufficient": "wait"},
            role="helpdesk",
        )
        waited = await _ok(r, 202)
        await _ok(await api.post(f"/v1/tickets/{waited['id']}/refund", {"reason": "withdrawn"}, role="helpdesk"))
        await api.open("acme", "store-problem")  # still open: not closed in any period
        api.clock.set(T0 + 2 * HOUR)
        await _resolved(api, "store-problem")  # closed at `to`: after the period
        api.clock.advance(HOUR)
        await _ok(
            await api.post(f"/v1/tickets/{credited['id']}/credit", {"points": 4, "reason": "goodwill"}, role="helpdesk")
        )

        report = await _report(api, "helpdesk")

        assert report["from"] == "2026-01-15T13:00:00Z" and report["to"] == "2026-01-15T14:00:00Z"
        assert report["decimal_places"] == 6
        assert report["categories"] == [
            {
                "category": "consultation",
                "tickets": 3,
                "estimated_points": 30,
                "charged_points": 37,
                "returned_points": 4,  # the credit after the period counts: figures as they stand now
                "software_bug_refunds": 0,
                "ratio_tickets": 3,
                "ratio_mean": "1.233333",  # (1.5 + 1 + 1.2) / 3
                "ratio_stddev": "0.205480",  # √(0.38 / 9) = 0.2054804…
            },
            {
                "category": "general-question",
                "tickets": 1,
                "estimated_points": 0,
                "charged_points": 0,
                "returned_points": 0,
                "software_bug_refunds": 0,
                "ratio_tickets": 0,
                "ratio_mean": None,
                "ratio_stddev": None,
            },
            {
                "category": "other",
                "tickets": 2,
                "estimated_points": 80,
                "charged_points": 30,
                "returned_points": 0,
                "software_bug_refunds": 0,
                "ratio_tickets": 1,  # the one that waited was never charged: no ratio
                "ratio_mean": "0.750000",
                "ratio_stddev": "0.000000",
            },
            {
                "category": "store-problem",
                "tickets": 4,
                "estimated_points": 100,
                "charged_points": 125,
                "returned_points": 50,
                "software_bug_refunds": 1,
                "ratio_tickets": 4,
                "ratio_mean": "1.250000",  # (1 + 2 + 1 + 1) / 4
                "ratio_stddev": "0.433013",  # √0.1875 = 0.4330127…
            },
        ]
        assert report["total"] == {
            "tickets": 10,
            "estimated_points": 210,
            "charged_points": 192,
            "returned_points": 54,
            "software_bug_refunds": 1,
            "ratio_tickets": 8,
            "ratio_mean": "1.181250",  # 9.45 / 8
            "ratio_stddev": "0.369068",  # √0.1362109375 = 0.3690676…
        }

    async def test_a_reclassified_ticket_counts_under_its_final_category_with_its_opening_estimate(self, api):
        await api.account("acme")
        await api.buy("acme", "points-120")
        api.clock.set(T0 + HOUR)
        ticket = await api.open("acme", "consultation")
        body = {"points": 25, "reason": "it is a store problem", "category": "store-problem"}
        await _ok(await api.post(f"/v1/tickets/{ticket['id']}/adjust", body, role="helpdesk"))
        await _ok(await api.post(f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk"))

        report = await _report(api)

        [row] = report["categories"]
        assert (row["category"], row["estimated_points"], row["charged_points"]) == ("store-problem", 10, 25)
        assert (row["ratio_mean"], row["ratio_stddev"]) == ("2.500000", "0.000000")

    async def test_an_empty_period_has_no_categories_and_null_ratios(self, api):
        await api.account("acme")
        await api.buy("acme", "points-120")
        await _resolved(api, "store-problem")  # at T0, before the period

        report = await _report(api)

        assert report["categories"] == []
        assert report["total"] == NOTHING

    @pytest.mark.parametrize(
        ("role", "allowed"), [("admin", True), ("helpdesk", True), ("billing", False), ("viewer", False)]
    )
    async def test_admin_and_helpdesk_only(self, api, role: str, allowed: bool):
        r = await api.get("/v1/reports/estimates", params=PERIOD, role=role)

        if allowed:
            assert r.status_code == 200, r.text
        else:
            problem_with_context(r, 403, "forbidden", role)

    async def test_403_comes_before_422(self, api):
        r = await api.get("/v1/reports/estimates", params={"from": "later"}, role="billing")

        problem_with_context(r, 403, "forbidden")
