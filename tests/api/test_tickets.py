"""Ticket endpoints over HTTP.

docs/design.md §3 "Ticket states", "Insufficient points", "Returning points", "Consumption order", "Ledger";
§8 the ticket endpoints, If-Match and the resource shapes. Every number is exact;
every test's ledger is verified by the `api` fixture at teardown.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from points_service.domain.errors import NotFoundError
from points_service.services import tickets
from points_service.services.context import Context

from conftest import statements_sent, ticket_owner_lookups
from support.figures import figures
from support.problems import invalid_first, loose_problem, ok, ok_created, problem
from support.times import T0, T0_PLUS_2Y, ts

GRACE = timedelta(days=30)  # RETURN_GRACE default
ACTOR = "test-helpdesk"

FIXED_25 = {"type": "fixed", "points": 25}
ASPE = {"type": "formula", "base": 120, "per_unit": 60, "unit": "deployed stores", "min_quantity": 1}


# ---- helpers ---------------------------------------------------------------------------------


def invalid_state(r: httpx.Response) -> dict[str, Any]:
    """409 invalid-state. The body's `status` member is checked by
    TestResolveTicket.test_invalid_state_problem_status_member_is_the_http_status (a known bug: it
    carries the ticket's status instead), so the scenario tests here check everything else."""
    return loose_problem(r, 409, "invalid-state")


def lite(ticket: dict[str, Any]) -> tuple[str, int, int, int, int, int]:
    """status, captured, charged, deducted, returned, forfeited"""
    return (
        ticket["status"],
        ticket["captured_points"],
        ticket["charged_points"],
        ticket["deducted_points"],
        ticket["returned_points"],
        ticket["forfeited_points"],
    )


def allocations(ticket: dict[str, Any]) -> list[tuple[int, str, int, int, int]]:
    return [(a["seq"], a["lot_id"], a["held"], a["deducted"], a["returned"]) for a in ticket["allocations"]]


def history(ticket: dict[str, Any]) -> list[tuple[str, int, str | None, str]]:
    return [(h["action"], h["points"], h["reason"], h["actor"]) for h in ticket["history"]]


async def entries(api, account_id: str = "acme", **params: Any) -> list[dict[str, Any]]:
    """Ledger entries, newest first."""
    return ok(await api.get(f"/v1/accounts/{account_id}/ledger", params={"limit": 500, **params}))["items"]


async def kinds(api) -> list[str]:
    """Ledger entry kinds, oldest first."""
    return [e["kind"] for e in reversed(await entries(api))]


async def lots(api, include_empty: bool = False) -> list[dict[str, Any]]:
    params = {"include_empty": "true"} if include_empty else {}
    return ok(await api.get("/v1/accounts/acme/lots", params=params))["items"]


async def list_tickets(api, **params: Any) -> list[dict[str, Any]]:
    return ok(await api.get("/v1/accounts/acme/tickets", params=params))["items"]


async def get_ticket(api, ticket_id: str) -> dict[str, Any]:
    return ok(await api.get(f"/v1/tickets/{ticket_id}"))


async def everything(api) -> tuple[Any, ...]:
    """What a failed command must leave untouched: balance, tickets, ledger and lots."""
    return figures(await api.balance()), await list_tickets(api), await entries(api), await lots(api, True)


async def adjust(
    api, ticket_id: str, points: Any, reason: str = "re-estimated", headers: dict | None = None, **extra: Any
):
    body = {"points": points, "reason": reason, **extra}
    return await api.post(f"/v1/tickets/{ticket_id}/adjust", body, role="helpdesk", headers=headers or {})


async def resolve(api, ticket_id: str, headers: dict | None = None, **body: Any):
    return await api.post(f"/v1/tickets/{ticket_id}/resolve", body, role="helpdesk", headers=headers or {})


async def refund(api, ticket_id: str, reason: str = "software_bug", headers: dict | None = None, **extra: Any):
    return await api.post(
        f"/v1/tickets/{ticket_id}/refund", {"reason": reason, **extra}, role="helpdesk", headers=headers or {}
    )


async def credit(api, ticket_id: str, points: Any, reason: str = "goodwill", headers: dict | None = None):
    body = {"points": points, "reason": reason}
    return await api.post(f"/v1/tickets/{ticket_id}/credit", body, role="helpdesk", headers=headers or {})


async def open_raw(api, **body: Any) -> httpx.Response:
    return await api.post("/v1/accounts/acme/tickets", {"external_ref": "HD-X", **body}, role="helpdesk")


async def funded(api, plan: str = "points-120") -> str:
    """Account `acme` with one pack bought now; returns the lot id."""
    await api.account()
    return (await api.buy("acme", plan))["lot"]["id"]


# ---- open ------------------------------------------------------------------------------------


class TestOpenTicket:
    async def test_fixed_category_captures_its_points(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem", ref="HD-1", subject="checkout is broken")
        assert (t["category"], t["pricing"], t["quantity"], t["estimated_points"]) == (
            "store-problem",
            FIXED_25,
            None,
            25,
        )
        assert t["subject"] == "checkout is broken"
        assert t["account_id"] == "acme" and t["external_ref"] == "HD-1"
        assert lite(t) == ("open", 25, 0, 0, 0, 0)
        assert allocations(t) == [(1, lot_id, 25, 0, 0)]
        assert figures(await api.balance()) == (95, 25, 0)

    async def test_fixed_category_accepts_an_equal_estimate(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem", estimated_points=25)
        assert t["captured_points"] == 25

    async def test_fixed_category_rejects_another_estimate(self, api):
        await funded(api)
        invalid_first(await open_raw(api, category="store-problem", estimated_points=30), "#/estimated_points")
        assert figures(await api.balance()) == (120, 0, 0)

    async def test_range_category_requires_estimate(self, api):
        await funded(api)
        invalid_first(await open_raw(api, category="sales-n-stats-transfer"), "#/estimated_points")
        assert await list_tickets(api) == []

    @pytest.mark.parametrize("points", [80, 100])
    async def test_range_category_accepts_estimate_within_range(self, api, points):
        await funded(api)
        t = await api.open("acme", "sales-n-stats-transfer", estimated_points=points)
        assert t["pricing"] == {"type": "range", "min": 80, "max": 100}
        assert (t["estimated_points"], t["captured_points"]) == (points, points)
        assert figures(await api.balance()) == (120 - points, points, 0)

    @pytest.mark.parametrize("points", [79, 101])
    async def test_range_category_rejects_estimate_outside_range(self, api, points):
        await funded(api)
        invalid_first(
            await open_raw(api, category="sales-n-stats-transfer", estimated_points=points), "#/estimated_points"
        )
        assert figures(await api.balance()) == (120, 0, 0)

    async def test_from_category_defaults_to_its_minimum(self, api):
        await funded(api)
        t = await api.open("acme", "third-party-install")
        assert t["pricing"] == {"type": "from", "min": 100}
        assert (t["estimated_points"], t["captured_points"]) == (100, 100)
        assert figures(await api.balance()) == (20, 100, 0)

    async def test_from_category_accepts_estimate_above_minimum(self, api):
        await funded(api)
        t = await api.open("acme", "third-party-install", estimated_points=120)
        assert (t["estimated_points"], t["captured_points"]) == (120, 120)
        assert figures(await api.balance()) == (0, 120, 0)

    async def test_from_category_rejects_estimate_below_minimum(self, api):
        await funded(api)
        invalid_first(await open_raw(api, category="third-party-install", estimated_points=99), "#/estimated_points")
        assert figures(await api.balance()) == (120, 0, 0)

    @pytest.mark.parametrize(("quantity", "points"), [(1, 180), (3, 300)])
    async def test_formula_category_prices_by_quantity(self, api, quantity, points):
        await funded(api, "points-300")
        t = await api.open("acme", "aspe-transfer", quantity=quantity)
        assert (t["pricing"], t["quantity"]) == (ASPE, quantity)
        assert (t["estimated_points"], t["captured_points"]) == (points, points)
        assert figures(await api.balance()) == (300 - points, points, 0)

    async def test_formula_category_requires_quantity(self, api):
        await funded(api, "points-300")
        invalid_first(await open_raw(api, category="aspe-transfer"), "#/quantity")
        assert figures(await api.balance()) == (300, 0, 0)

    async def test_formula_quantity_below_its_minimum_is_rejected(self, api):
        await funded(api, "points-300")
        invalid_first(await open_raw(api, category="aspe-transfer", quantity=0), "#/quantity")

    async def test_formula_accepts_an_equal_estimate_and_rejects_another(self, api):
        await funded(api, "points-300")
        invalid_first(
            await open_raw(api, category="aspe-transfer", quantity=1, estimated_points=200), "#/estimated_points"
        )
        t = await api.open("acme", "aspe-transfer", quantity=1, estimated_points=180)
        assert t["captured_points"] == 180

    async def test_quantity_on_fixed_category_is_rejected(self, api):
        await funded(api)
        invalid_first(await open_raw(api, category="store-problem", quantity=1), "#/quantity")
        assert figures(await api.balance()) == (120, 0, 0)

    async def test_formula_with_zero_minimum_accepts_quantity_zero(self, api):
        await funded(api, "points-300")
        t = await api.open("acme", "security-audit", quantity=0)
        assert t["pricing"] == {
            "type": "formula",
            "base": 150,
            "per_unit": 60,
            "unit": "additional stores on the same server",
            "min_quantity": 0,
        }
        assert (t["quantity"], t["estimated_points"], t["captured_points"]) == (0, 150, 150)
        assert figures(await api.balance()) == (150, 150, 0)

    async def test_upon_request_category_requires_estimate(self, api):
        await funded(api)
        invalid_first(await open_raw(api, category="other"), "#/estimated_points")
        t = await api.open("acme", "other", estimated_points=70)
        assert (t["pricing"], t["estimated_points"], t["captured_points"]) == ({"type": "upon_request"}, 70, 70)
        assert figures(await api.balance()) == (50, 70, 0)

    async def test_zero_point_category_opens_with_zero_balance(self, api):
        await api.account()
        t = await api.open("acme", "general-question")
        assert t["pricing"] == {"type": "fixed", "points": 0}
        assert lite(t) == ("open", 0, 0, 0, 0, 0)
        assert t["allocations"] == []
        assert history(t) == [("opened", 0, None, ACTOR)]
        assert figures(await api.balance()) == (0, 0, 0)
        assert await entries(api) == []  # no points moved, no entry

    async def test_unknown_category_is_rejected(self, api):
        await funded(api)
        invalid_first(await open_raw(api, category="no-such-category"), "#/category")
        assert await list_tickets(api) == []

    async def test_inactive_category_is_rejected(self, api):
        await funded(api)
        before = await api.open("acme", "store-problem", ref="HD-1")
        r = await api.put(
            "/v1/categories/store-problem",
            {
                "group": "default functionality",
                "name": "Level 2: Problem-solving on client's store",
                "pricing": FIXED_25,
                "active": False,
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["active"] is False
        invalid_first(await open_raw(api, category="store-problem"), "#/category")
        assert figures(await api.balance()) == (95, 25, 0)
        # a ticket opened before keeps its pricing and can still be closed
        assert ok(await resolve(api, before["id"]))["deducted_points"] == 25

    async def test_duplicate_external_ref_conflicts_naming_the_existing_ticket(self, api):
        await funded(api)
        first = await api.open("acme", "store-problem", ref="HD-1")
        r = await api.post(
            "/v1/accounts/acme/tickets", {"external_ref": "HD-1", "category": "consultation"}, role="helpdesk"
        )
        body = problem(r, 409, "conflict")
        assert body["ticket_id"] == first["id"]
        assert figures(await api.balance()) == (95, 25, 0)
        assert [t["id"] for t in await list_tickets(api)] == [first["id"]]

    async def test_a_duplicate_external_ref_the_account_could_not_afford_still_names_the_existing_ticket(self, api):
        """The repeat is answered as a repeat, whatever the balance: not `insufficient-points`."""
        await funded(api)
        first = await api.open("acme", "store-problem", ref="HD-1")
        body = {"external_ref": "HD-1", "category": "other", "estimated_points": 500}
        r = await api.post("/v1/accounts/acme/tickets", body, role="helpdesk")
        assert problem(r, 409, "conflict")["ticket_id"] == first["id"]
        assert figures(await api.balance()) == (95, 25, 0)

    async def test_writes_go_on_after_a_duplicate_external_ref(self, api):
        """On PostgreSQL the duplicate fails inside the flush's pipeline and the careful pass answers
        it; the writer's connection must then serve every later write. It did not once a statement
        psycopg was preparing was in the failed pipeline: every later open failed, 500, "prepared
        statement _pg3_N does not exist" (services/flush.py, `_forget_prepared`)."""
        await funded(api)
        await api.buy(plan="points-300")
        for n in range(1, 13):  # psycopg prepares a statement at its 6th use: some conflict meets one
            await api.open("acme", "store-problem", ref=f"HD-{n}")
            body = {"external_ref": f"HD-{n}", "category": "store-problem"}
            problem(await api.post("/v1/accounts/acme/tickets", body, role="helpdesk"), 409, "conflict")
        assert figures(await api.balance())[1] == 12 * 25

    async def test_same_external_ref_on_another_account_is_allowed(self, api):
        await funded(api)
        await api.account("globex")
        await api.buy("globex", "points-60")
        first = await api.open("acme", "store-problem", ref="HD-1")
        other = await api.open("globex", "store-problem", ref="HD-1")
        assert other["id"] != first["id"] and other["account_id"] == "globex"

    async def test_unknown_account_is_not_found(self, api):
        await funded(api)
        r = await api.post(
            "/v1/accounts/nobody/tickets", {"external_ref": "HD-1", "category": "store-problem"}, role="helpdesk"
        )
        problem(r, 404, "not-found")

    async def test_billing_role_may_not_open(self, api):
        await funded(api)
        r = await api.post(
            "/v1/accounts/acme/tickets", {"external_ref": "HD-1", "category": "store-problem"}, role="billing"
        )
        problem(r, 403, "forbidden")
        assert figures(await api.balance()) == (120, 0, 0)

    async def test_insufficient_points_changes_nothing(self, api):
        await funded(api, "points-60")
        await api.open("acme", "store-problem", ref="HD-1")
        before = await everything(api)
        r = await api.post(
            "/v1/accounts/acme/tickets", {"external_ref": "HD-2", "category": "installation"}, role="helpdesk"
        )
        body = problem(r, 409, "insufficient-points")
        assert (body["available"], body["required"]) == (35, 150)
        assert await everything(api) == before
        assert before[0] == (35, 25, 0)

    async def test_response_has_etag_version_history_and_allocations(self, api):
        lot_id = await funded(api)
        r = await api.post(
            "/v1/accounts/acme/tickets", {"external_ref": "HD-1", "category": "store-problem"}, role="helpdesk"
        )
        assert r.status_code == 201, r.text
        t = r.json()
        assert r.headers["etag"] == '"1"'
        assert r.headers["location"] == f"/v1/tickets/{t['id']}"
        assert t["version"] == 1
        assert history(t) == [("opened", 25, None, ACTOR)]
        assert ts(t["history"][0]["at"]) == T0
        assert t["allocations"] == [{"seq": 1, "lot_id": lot_id, "held": 25, "deducted": 0, "returned": 0}]
        assert ts(t["opened_at"]) == T0
        assert (t["resolved_at"], t["refunded_at"], t["closed_at"]) == (None, None, None)

    async def test_unknown_body_field_is_rejected(self, api):
        await funded(api)
        invalid_first(await open_raw(api, category="store-problem", points=25), "#/points")
        assert await list_tickets(api) == []

    @pytest.mark.parametrize(
        ("category", "field", "value"),
        [
            ("store-problem", "estimated_points", "25"),
            ("store-problem", "estimated_points", 25.5),
            ("store-problem", "estimated_points", True),
            ("aspe-transfer", "quantity", "1"),
            ("aspe-transfer", "quantity", 1.5),
        ],
        ids=["points-string", "points-fraction", "points-bool", "quantity-string", "quantity-fraction"],
    )
    async def test_numbers_must_be_json_whole_numbers(self, api, category, field, value):
        await funded(api, "points-300")
        invalid_first(await open_raw(api, category=category, **{field: value}), f"#/{field}")
        assert await list_tickets(api) == []

    async def test_a_whole_number_with_a_zero_fraction_is_that_number(self, api):
        """JSON has one number type and the document says `integer`: 25.0 is 25 (JSON Schema)."""
        await funded(api, "points-300")
        t = ok_created(await open_raw(api, category="aspe-transfer", quantity=1.0, estimated_points=180.0))
        assert (t["quantity"], t["estimated_points"], t["captured_points"]) == (1, 180, 180)


# ---- consumption order -------------------------------------------------------------------------


class TestConsumptionOrder:
    async def test_soonest_expiring_lot_first_never_expiring_last(self, api):
        await api.account()
        # created first and granted earliest, but never expires: taken last
        r = await api.post(
            "/v1/accounts/acme/imports",
            {
                "points": 50,
                "granted_at": (T0 - timedelta(days=365)).isoformat(),
                "expires_at": None,
                "external_ref": "legacy-1",
                "reason": "migrated balance",
            },
        )
        assert r.status_code == 201, r.text
        never = r.json()["lot"]
        assert never["expires_at"] is None
        a = (await api.buy("acme", "points-60"))["lot"]  # expires T0 + 2y
        api.clock.advance(timedelta(days=10))
        b = (await api.buy("acme", "points-120"))["lot"]  # expires T0 + 2y + 10d
        # created last, expires soonest: taken first
        r = await api.post(
            "/v1/accounts/acme/imports",
            {
                "points": 30,
                "granted_at": api.clock.now().isoformat(),
                "expires_at": (api.clock.now() + timedelta(days=60)).isoformat(),
                "external_ref": "promo-1",
                "reason": "promotion",
            },
        )
        assert r.status_code == 201, r.text
        soon = r.json()["lot"]
        assert ts(a["expires_at"]) == T0_PLUS_2Y
        assert ts(b["expires_at"]) == T0_PLUS_2Y + timedelta(days=10)
        assert [lot["id"] for lot in await lots(api)] == [soon["id"], a["id"], b["id"], never["id"]]

        debugging = await api.open("acme", "code-debugging")  # 80
        assert allocations(debugging) == [(1, soon["id"], 30, 0, 0), (2, a["id"], 50, 0, 0)]
        install = await api.open("acme", "installation")  # 150, spanning three lots
        assert allocations(install) == [(1, a["id"], 10, 0, 0), (2, b["id"], 120, 0, 0), (3, never["id"], 20, 0, 0)]
        assert figures(await api.balance()) == (30, 230, 0)
        assert [(lot["id"], lot["available"], lot["held"]) for lot in await lots(api)] == [
            (soon["id"], 0, 30),
            (a["id"], 0, 60),
            (b["id"], 0, 120),
            (never["id"], 30, 20),
        ]
        capture = (await entries(api))[0]
        assert capture["kind"] == "capture" and capture["ticket_id"] == install["id"]
        assert capture["postings"] == [
            {"lot_id": a["id"], "from_state": "available", "to_state": "held", "points": 10},
            {"lot_id": b["id"], "from_state": "available", "to_state": "held", "points": 120},
            {"lot_id": never["id"], "from_state": "available", "to_state": "held", "points": 20},
        ]

    async def test_same_expiry_takes_the_earlier_grant_first(self, api):
        await api.account()
        expires = (T0 + timedelta(days=100)).isoformat()
        later = ok_created(
            await api.post(
                "/v1/accounts/acme/imports",
                {
                    "points": 20,
                    "granted_at": T0.isoformat(),
                    "expires_at": expires,
                    "external_ref": "imp-later",
                    "reason": "import",
                },
            )
        )
        earlier = ok_created(
            await api.post(
                "/v1/accounts/acme/imports",
                {
                    "points": 20,
                    "granted_at": (T0 - timedelta(days=5)).isoformat(),
                    "expires_at": expires,
                    "external_ref": "imp-earlier",
                    "reason": "import",
                },
            )
        )
        t = await api.open("acme", "store-problem")
        assert allocations(t) == [(1, earlier["lot"]["id"], 20, 0, 0), (2, later["lot"]["id"], 5, 0, 0)]

    async def test_expired_lot_is_skipped(self, api):
        await api.account()
        old = (await api.buy("acme", "points-60"))["lot"]
        api.clock.set(T0_PLUS_2Y)  # at expires_at the points no longer count
        new = (await api.buy("acme", "points-120"))["lot"]
        t = await api.open("acme", "store-problem")
        assert allocations(t) == [(1, new["id"], 25, 0, 0)]
        assert figures(await api.balance()) == (95, 25, 0)
        assert old["id"] not in [lot["id"] for lot in await lots(api)]

    async def test_raise_continues_in_consumption_order_with_next_seq(self, api):
        await api.account()
        a = (await api.buy("acme", "points-60"))["lot"]
        api.clock.advance(timedelta(days=1))
        b = (await api.buy("acme", "points-120"))["lot"]
        t = await api.open("acme", "store-problem")
        t = ok(await adjust(api, t["id"], 100))
        assert allocations(t) == [(1, a["id"], 25, 0, 0), (2, a["id"], 35, 0, 0), (3, b["id"], 40, 0, 0)]
        assert figures(await api.balance()) == (80, 100, 0)


# ---- adjust ------------------------------------------------------------------------------------


class TestAdjustTicket:
    async def test_raise_captures_the_extra_points(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem")
        r = await adjust(api, t["id"], 40, "additional investigation")
        t = ok(r)
        assert r.headers["etag"] == '"2"'
        assert (t["version"], t["captured_points"], t["estimated_points"]) == (2, 40, 25)
        assert allocations(t) == [(1, lot_id, 25, 0, 0), (2, lot_id, 15, 0, 0)]
        assert history(t) == [("opened", 25, None, ACTOR), ("adjusted", 40, "additional investigation", ACTOR)]
        assert figures(await api.balance()) == (80, 40, 0)
        entry = (await entries(api))[0]
        assert (entry["kind"], entry["available_delta"], entry["held_delta"], entry["deducted_delta"]) == (
            "capture_increase",
            -15,
            15,
            0,
        )
        assert (entry["available_after"], entry["held_after"], entry["deducted_after"]) == (80, 40, 0)
        assert (entry["ticket_id"], entry["actor"], entry["lot_id"]) == (t["id"], ACTOR, lot_id)
        assert entry["postings"] == [{"lot_id": lot_id, "from_state": "available", "to_state": "held", "points": 15}]

    async def test_raise_beyond_available_is_insufficient_and_changes_nothing(self, api):
        await funded(api, "points-60")
        t = await api.open("acme", "store-problem")
        before = await everything(api)
        body = problem(await adjust(api, t["id"], 70), 409, "insufficient-points")
        assert (body["available"], body["required"]) == (35, 45)  # required: the extra points
        assert await everything(api) == before
        assert (await get_ticket(api, t["id"]))["version"] == 1

    async def test_lower_releases_points(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem")
        t = ok(await adjust(api, t["id"], 10, "customer disputed"))
        assert (t["version"], t["captured_points"], t["returned_points"]) == (2, 10, 0)  # lowering is not a return
        assert allocations(t) == [(1, lot_id, 10, 0, 0)]
        assert figures(await api.balance()) == (110, 10, 0)
        entry = (await entries(api))[0]
        assert (entry["kind"], entry["available_delta"], entry["held_delta"]) == ("capture_decrease", 15, -15)
        assert entry["postings"] == [{"lot_id": lot_id, "from_state": "held", "to_state": "available", "points": 15}]

    async def test_lower_to_zero_keeps_ticket_open(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        t = ok(await adjust(api, t["id"], 0, "no charge"))
        assert lite(t) == ("open", 0, 0, 0, 0, 0)
        assert figures(await api.balance()) == (120, 0, 0)

    async def test_adjust_to_same_amount_changes_nothing(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        before = await everything(api)
        r = await adjust(api, t["id"], 25)
        same = ok(r)
        assert r.headers["etag"] == '"1"'
        assert (same["version"], same["captured_points"]) == (1, 25)
        assert history(same) == [("opened", 25, None, ACTOR)]
        assert await everything(api) == before

    async def test_reclassify_to_formula_category_changes_category_and_pricing(self, api):
        await funded(api, "points-300")
        t = await api.open("acme", "store-problem")
        t = ok(await adjust(api, t["id"], 180, "it is an ASPE transfer", category="aspe-transfer", quantity=1))
        assert (t["category"], t["pricing"], t["quantity"]) == ("aspe-transfer", ASPE, 1)
        assert (t["estimated_points"], t["captured_points"], t["version"]) == (25, 180, 2)
        assert figures(await api.balance()) == (120, 180, 0)
        listed = (await list_tickets(api))[0]
        assert (listed["category"], listed["pricing"], listed["quantity"]) == ("aspe-transfer", ASPE, 1)

    async def test_reclassify_to_fixed_category(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        t = ok(await adjust(api, t["id"], 80, "needs debugging", category="code-debugging"))
        assert (t["category"], t["pricing"], t["quantity"]) == ("code-debugging", {"type": "fixed", "points": 80}, None)
        assert figures(await api.balance()) == (40, 80, 0)

    async def test_reclassify_without_changing_points_bumps_version_only(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        before = await entries(api)
        t = ok(await adjust(api, t["id"], 25, "wrong category", category="small-mod"))
        assert (t["category"], t["pricing"], t["version"], t["captured_points"]) == ("small-mod", FIXED_25, 2, 25)
        assert await entries(api) == before  # no points moved, no entry

    async def test_quantity_correction_keeps_the_category(self, api):
        await funded(api, "points-300")
        t = await api.open("acme", "aspe-transfer", quantity=1)
        t = ok(await adjust(api, t["id"], 240, "two stores, not one", quantity=2))
        assert (t["category"], t["pricing"], t["quantity"], t["captured_points"]) == ("aspe-transfer", ASPE, 2, 240)
        assert figures(await api.balance()) == (60, 240, 0)

    async def test_quantity_correction_on_fixed_category_is_rejected(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        invalid_first(await adjust(api, t["id"], 25, quantity=2), "#/quantity")
        assert (await get_ticket(api, t["id"]))["version"] == 1

    async def test_reclassify_to_unknown_category_is_rejected(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        before = await everything(api)
        invalid_first(await adjust(api, t["id"], 40, category="no-such-category"), "#/category")
        assert await everything(api) == before

    async def test_reclassify_to_formula_requires_quantity(self, api):
        await funded(api, "points-300")
        t = await api.open("acme", "store-problem")
        before = await everything(api)
        invalid_first(await adjust(api, t["id"], 180, category="aspe-transfer"), "#/quantity")
        assert await everything(api) == before

    async def test_adjust_resolved_ticket_is_invalid_state(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await resolve(api, t["id"]))
        before = await everything(api)
        invalid_state(await adjust(api, t["id"], 40))
        assert await everything(api) == before

    async def test_adjust_refunded_ticket_is_invalid_state(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await refund(api, t["id"]))
        invalid_state(await adjust(api, t["id"], 40))

    @pytest.mark.parametrize("points", ["40", 40.5, False], ids=["string", "fraction", "bool"])
    async def test_points_must_be_a_json_whole_number(self, api, points):
        await funded(api)
        t = await api.open("acme", "store-problem")
        invalid_first(await adjust(api, t["id"], points), "#/points")
        assert figures(await api.balance()) == (95, 25, 0)

    async def test_reason_is_required(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        r = await api.post(f"/v1/tickets/{t['id']}/adjust", {"points": 40}, role="helpdesk")
        invalid_first(r, "#/reason")

    async def test_unknown_ticket_is_not_found(self, api):
        await funded(api)
        problem(await adjust(api, "tkt_missing", 40), 404, "not-found")


# ---- If-Match ----------------------------------------------------------------------------------


class TestIfMatch:
    async def test_current_version_is_accepted(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        r = await adjust(api, t["id"], 40, headers={"If-Match": '"1"'})
        assert ok(r)["version"] == 2
        assert r.headers["etag"] == '"2"'

    @pytest.mark.parametrize("operation", ["adjust", "resolve", "refund"])
    async def test_stale_version_fails_precondition_and_changes_nothing(self, api, operation):
        await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await adjust(api, t["id"], 30))  # now version 2
        before = await everything(api)
        stale = {"If-Match": '"1"'}
        r = {
            "adjust": lambda: adjust(api, t["id"], 40, headers=stale),
            "resolve": lambda: resolve(api, t["id"], headers=stale),
            "refund": lambda: refund(api, t["id"], headers=stale),
        }[operation]
        body = problem(await r(), 412, "precondition-failed")
        assert body["current_version"] == 2
        assert await everything(api) == before

    async def test_stale_version_on_credit_fails_precondition(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await resolve(api, t["id"]))  # version 2
        body = problem(await credit(api, t["id"], 5, headers={"If-Match": '"1"'}), 412, "precondition-failed")
        assert body["current_version"] == 2
        assert figures(await api.balance()) == (95, 0, 25)

    async def test_star_is_accepted(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await adjust(api, t["id"], 30))
        r = await resolve(api, t["id"], headers={"If-Match": "*"})
        assert ok(r)["version"] == 3
        assert r.headers["etag"] == '"3"'

    @pytest.mark.parametrize("value", ["abc", "1", '"x"'])
    async def test_malformed_value_is_rejected(self, api, value):
        await funded(api)
        t = await api.open("acme", "store-problem")
        before = await everything(api)
        invalid_first(await adjust(api, t["id"], 40, headers={"If-Match": value}), "#/header/if-match")
        assert await everything(api) == before


# ---- resolve -----------------------------------------------------------------------------------


class TestResolveTicket:
    async def test_resolve_deducts_the_captured_points(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem")
        api.clock.advance(timedelta(hours=3))
        r = await resolve(api, t["id"], note="fixed the template")
        t = ok(r)
        assert r.headers["etag"] == '"2"'
        assert lite(t) == ("resolved", 0, 25, 25, 0, 0)
        assert t["version"] == 2
        assert ts(t["resolved_at"]) == ts(t["closed_at"]) == T0 + timedelta(hours=3)
        assert t["refunded_at"] is None
        assert allocations(t) == [(1, lot_id, 0, 25, 0)]
        assert history(t) == [("opened", 25, None, ACTOR), ("resolved", 25, None, ACTOR)]
        assert t["history"][1]["note"] == "fixed the template"
        assert figures(await api.balance()) == (95, 0, 25)
        entry = (await entries(api))[0]
        assert (entry["kind"], entry["available_delta"], entry["held_delta"], entry["deducted_delta"]) == (
            "deduction",
            0,
            -25,
            25,
        )
        assert entry["postings"] == [{"lot_id": lot_id, "from_state": "held", "to_state": "deducted", "points": 25}]

    async def test_resolve_with_points_raises_first_in_one_version_step(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        t = ok(await resolve(api, t["id"], points=40))
        assert t["version"] == 2
        assert [h["action"] for h in t["history"]] == ["opened", "resolved"]
        assert t["history"][1]["points"] == 40
        assert lite(t) == ("resolved", 0, 40, 40, 0, 0)
        assert figures(await api.balance()) == (80, 0, 40)
        assert await kinds(api) == ["purchase", "capture", "capture_increase", "deduction"]

    async def test_resolve_with_points_lowers_first_in_one_version_step(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        t = ok(await resolve(api, t["id"], points=10))
        assert t["version"] == 2
        assert [h["action"] for h in t["history"]] == ["opened", "resolved"]
        assert lite(t) == ("resolved", 0, 10, 10, 0, 0)
        assert figures(await api.balance()) == (110, 0, 10)
        assert await kinds(api) == ["purchase", "capture", "capture_decrease", "deduction"]

    async def test_resolve_with_points_beyond_available_is_insufficient(self, api):
        await funded(api, "points-60")
        t = await api.open("acme", "store-problem")
        before = await everything(api)
        body = problem(await resolve(api, t["id"], points=100), 409, "insufficient-points")
        assert (body["available"], body["required"]) == (35, 75)
        assert await everything(api) == before

    async def test_resolve_twice_is_invalid_state(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await resolve(api, t["id"]))
        before = await everything(api)
        invalid_state(await resolve(api, t["id"]))
        assert await everything(api) == before

    async def test_invalid_state_problem_status_member_is_the_http_status(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await resolve(api, t["id"]))
        problem(await resolve(api, t["id"]), 409, "invalid-state")

    async def test_resolve_refunded_ticket_is_invalid_state(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await refund(api, t["id"]))
        invalid_state(await resolve(api, t["id"]))
        assert figures(await api.balance()) == (120, 0, 0)

    async def test_resolve_zero_point_ticket_writes_no_deduction(self, api):
        await funded(api)
        t = await api.open("acme", "general-question")
        t = ok(await resolve(api, t["id"]))
        assert lite(t) == ("resolved", 0, 0, 0, 0, 0)
        assert t["version"] == 2
        assert await kinds(api) == ["purchase"]
        assert figures(await api.balance()) == (120, 0, 0)


# ---- refund ------------------------------------------------------------------------------------


class TestRefundTicket:
    async def test_refund_open_ticket_returns_all_captured_points(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await adjust(api, t["id"], 40))
        api.clock.advance(timedelta(hours=1))
        r = await refund(api, t["id"], "software_bug", note="bug #123")
        t = ok(r)
        assert r.headers["etag"] == '"3"'
        assert lite(t) == ("refunded", 0, 40, 0, 40, 0)
        assert ts(t["refunded_at"]) == ts(t["closed_at"]) == T0 + timedelta(hours=1)
        assert t["resolved_at"] is None
        assert allocations(t) == [(1, lot_id, 0, 0, 25), (2, lot_id, 0, 0, 15)]
        assert history(t)[-1] == ("refunded", 40, "software_bug", ACTOR)
        assert t["history"][-1]["note"] == "bug #123"
        assert figures(await api.balance()) == (120, 0, 0)
        entry = (await entries(api))[0]
        assert (entry["kind"], entry["available_delta"], entry["held_delta"], entry["deducted_delta"]) == (
            "return",
            40,
            -40,
            0,
        )
        assert entry["ticket_id"] == t["id"]

    async def test_refund_resolved_ticket_returns_deducted_points(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await resolve(api, t["id"]))
        api.clock.advance(timedelta(days=2))
        t = ok(await refund(api, t["id"], "software_bug"))
        assert lite(t) == ("refunded", 0, 25, 25, 25, 0)
        assert t["version"] == 3
        assert ts(t["resolved_at"]) == ts(t["closed_at"]) == T0  # closed when it left open
        assert ts(t["refunded_at"]) == T0 + timedelta(days=2)
        assert allocations(t) == [(1, lot_id, 0, 25, 25)]
        assert figures(await api.balance()) == (120, 0, 0)
        entry = (await entries(api))[0]
        assert (entry["kind"], entry["available_delta"], entry["held_delta"], entry["deducted_delta"]) == (
            "return",
            25,
            0,
            -25,
        )
        assert entry["postings"] == [
            {"lot_id": lot_id, "from_state": "deducted", "to_state": "available", "points": 25}
        ]

    async def test_refund_twice_is_invalid_state(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await refund(api, t["id"]))
        before = await everything(api)
        invalid_state(await refund(api, t["id"]))
        assert await everything(api) == before

    @pytest.mark.parametrize("reason", ["software_bug", "withdrawn", "duplicate", "other"])
    async def test_each_reason_is_accepted(self, api, reason):
        await funded(api)
        t = await api.open("acme", "store-problem")
        t = ok(await refund(api, t["id"], reason))
        assert lite(t) == ("refunded", 0, 25, 0, 25, 0)
        assert history(t)[-1] == ("refunded", 25, reason, ACTOR)
        assert figures(await api.balance()) == (120, 0, 0)

    async def test_invalid_reason_is_rejected(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        invalid_first(await refund(api, t["id"], "changed_mind"), "#/reason")
        assert (await get_ticket(api, t["id"]))["status"] == "open"
        assert figures(await api.balance()) == (95, 25, 0)

    async def test_reason_is_required(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        invalid_first(await api.post(f"/v1/tickets/{t['id']}/refund", {}, role="helpdesk"), "#/reason")


# ---- credit ------------------------------------------------------------------------------------


class TestCreditTicket:
    async def test_partial_credit_keeps_ticket_resolved(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-server-problem")  # 40
        ok(await resolve(api, t["id"]))
        r = await credit(api, t["id"], 15, "slow answer")
        t = ok(r)
        assert r.headers["etag"] == '"3"'
        assert lite(t) == ("resolved", 0, 40, 40, 15, 0)
        assert history(t)[-1] == ("credited", 15, "slow answer", ACTOR)
        assert figures(await api.balance()) == (95, 0, 25)
        entry = (await entries(api))[0]
        assert (entry["kind"], entry["available_delta"], entry["deducted_delta"]) == ("return", 15, -15)
        assert entry["postings"] == [
            {"lot_id": lot_id, "from_state": "deducted", "to_state": "available", "points": 15}
        ]
        t = ok(await credit(api, t["id"], 5))
        assert lite(t) == ("resolved", 0, 40, 40, 20, 0)
        assert t["version"] == 4
        assert figures(await api.balance()) == (100, 0, 20)

    async def test_credit_beyond_remaining_is_rejected_with_max_points(self, api):
        await funded(api)
        t = await api.open("acme", "store-server-problem")
        ok(await resolve(api, t["id"]))
        ok(await credit(api, t["id"], 15))
        before = await everything(api)
        body = invalid_first(await credit(api, t["id"], 26), "#/points")
        assert body["max_points"] == 25
        assert await everything(api) == before

    async def test_zero_credit_is_rejected(self, api):
        await funded(api)
        t = await api.open("acme", "store-server-problem")
        ok(await resolve(api, t["id"]))
        before = await everything(api)
        invalid_first(await credit(api, t["id"], 0), "#/points")
        assert await everything(api) == before

    async def test_zero_credit_reports_max_points(self, api):
        await funded(api)
        t = await api.open("acme", "store-server-problem")
        ok(await resolve(api, t["id"]))
        body = invalid_first(await credit(api, t["id"], 0), "#/points")
        assert body["max_points"] == 40

    async def test_credit_on_open_ticket_is_invalid_state(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        before = await everything(api)
        invalid_state(await credit(api, t["id"], 5))
        assert await everything(api) == before

    async def test_credit_on_refunded_ticket_is_invalid_state(self, api):
        await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await resolve(api, t["id"]))
        ok(await refund(api, t["id"]))
        invalid_state(await credit(api, t["id"], 5))
        assert figures(await api.balance()) == (120, 0, 0)

    async def test_refund_after_partial_credits_returns_only_the_rest(self, api):
        await funded(api)
        t = await api.open("acme", "store-server-problem")
        ok(await resolve(api, t["id"]))
        ok(await credit(api, t["id"], 15))
        ok(await credit(api, t["id"], 5))
        t = ok(await refund(api, t["id"], "other"))
        assert lite(t) == ("refunded", 0, 40, 40, 40, 0)
        assert history(t)[-1] == ("refunded", 20, "other", ACTOR)
        assert [h["action"] for h in t["history"]] == ["opened", "resolved", "credited", "credited", "refunded"]
        assert figures(await api.balance()) == (120, 0, 0)
        entry = (await entries(api))[0]
        assert (entry["kind"], entry["available_delta"], entry["deducted_delta"]) == ("return", 20, -20)


# ---- returning points: the lot decides where they go --------------------------------------------


class TestReturnPolicy:
    async def test_return_to_a_long_valid_lot_is_available_in_the_same_lot(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await resolve(api, t["id"]))
        ok(await credit(api, t["id"], 10))
        assert [(lot["id"], lot["available"], lot["deducted"]) for lot in await lots(api, True)] == [(lot_id, 105, 15)]
        ok(await refund(api, t["id"], "withdrawn"))
        [lot] = await lots(api, True)
        assert (lot["id"], lot["points"], lot["available"], lot["deducted"], lot["reissued"]) == (
            lot_id,
            120,
            120,
            0,
            0,
        )
        assert figures(await api.balance()) == (120, 0, 0)

    @pytest.mark.parametrize("reason", ["software_bug", "other"])
    async def test_vendor_refund_after_expiry_reissues_into_a_returned_lot(self, api, reason):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await resolve(api, t["id"]))
        api.clock.set(T0_PLUS_2Y + timedelta(days=1))
        now = api.clock.now()
        assert figures(await api.balance()) == (0, 0, 25)
        t = ok(await refund(api, t["id"], reason))
        assert lite(t) == ("refunded", 0, 25, 25, 25, 0)
        balance = await api.balance()
        assert figures(balance) == (25, 0, 0)
        [fresh] = await lots(api)
        assert (fresh["source"], fresh["points"], fresh["available"], fresh["origin_lot_id"]) == (
            "returned",
            25,
            25,
            lot_id,
        )
        assert ts(fresh["granted_at"]) == now
        assert ts(fresh["expires_at"]) == now + GRACE
        assert balance["expiring"] == [{"lot_id": fresh["id"], "points": 25, "expires_at": fresh["expires_at"]}]
        old = next(lot for lot in await lots(api, True) if lot["id"] == lot_id)
        assert (old["points"], old["available"], old["deducted"], old["expired"], old["reissued"]) == (
            120,
            0,
            0,
            95,
            25,
        )
        ret, expiry = (await entries(api))[:2]
        assert (expiry["kind"], expiry["available_delta"], ts(expiry["effective_at"]), expiry["actor"]) == (
            "expiry",
            -95,
            T0_PLUS_2Y,
            "system:expiry",
        )
        assert (ret["kind"], ret["available_delta"], ret["deducted_delta"], ret["available_after"]) == (
            "return",
            25,
            -25,
            25,
        )
        assert ret["postings"] == [
            {"lot_id": lot_id, "from_state": "deducted", "to_state": "reissued", "points": 25},
            {"lot_id": fresh["id"], "from_state": None, "to_state": "available", "points": 25},
        ]
        # the reissued points are spendable
        assert allocations(await api.open("acme", "store-problem")) == [(1, fresh["id"], 25, 0, 0)]

    async def test_vendor_refund_of_open_ticket_held_across_expiry_reissues_one_lot(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await adjust(api, t["id"], 40))  # two capture steps from the same lot
        api.clock.set(T0_PLUS_2Y + timedelta(days=1))
        now = api.clock.now()
        t = ok(await refund(api, t["id"], "software_bug"))
        assert lite(t) == ("refunded", 0, 40, 0, 40, 0)
        assert figures(await api.balance()) == (40, 0, 0)
        [fresh] = await lots(api)
        assert (fresh["source"], fresh["points"], fresh["available"], fresh["origin_lot_id"]) == (
            "returned",
            40,
            40,
            lot_id,
        )
        assert ts(fresh["expires_at"]) == now + GRACE
        old = next(lot for lot in await lots(api, True) if lot["id"] == lot_id)
        assert (old["held"], old["expired"], old["reissued"]) == (0, 80, 40)

    async def test_return_spanning_lots_goes_back_to_each_lot(self, api):
        await api.account()
        a = (await api.buy("acme", "points-60"))["lot"]
        api.clock.advance(timedelta(days=60))
        b = (await api.buy("acme", "points-120"))["lot"]
        t = await api.open("acme", "code-debugging")  # 80: A 60, B 20
        assert allocations(t) == [(1, a["id"], 60, 0, 0), (2, b["id"], 20, 0, 0)]
        api.clock.set(T0_PLUS_2Y + timedelta(days=1))  # A has expired, B is valid for 59 more days
        ok(await refund(api, t["id"], "withdrawn"))
        assert figures(await api.balance()) == (120, 0, 0)
        ret, expiry = (await entries(api))[1], (await entries(api))[0]
        assert ret["postings"] == [  # last taken, first returned
            {"lot_id": b["id"], "from_state": "held", "to_state": "available", "points": 20},
            {"lot_id": a["id"], "from_state": "held", "to_state": "available", "points": 60},
        ]
        assert (expiry["kind"], expiry["lot_id"], expiry["available_delta"]) == ("expiry", a["id"], -60)
        assert [(lot["id"], lot["available"], lot["expired"]) for lot in await lots(api, True)] == [
            (a["id"], 0, 60),
            (b["id"], 120, 0),
        ]

    @pytest.mark.parametrize("reason", ["withdrawn", "duplicate"])
    async def test_customer_refund_into_expired_lot_expires_at_once(self, api, reason):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem")
        api.clock.set(T0_PLUS_2Y + timedelta(days=1))
        assert figures(await api.balance()) == (0, 25, 0)  # held points do not expire while held
        t = ok(await refund(api, t["id"], reason))
        assert lite(t) == ("refunded", 0, 25, 0, 25, 0)
        assert figures(await api.balance()) == (0, 0, 0)
        newest = (await entries(api))[:3]
        assert [(e["kind"], e["available_delta"], e["held_delta"]) for e in newest] == [
            ("expiry", -25, 0),
            ("return", 25, -25),
            ("expiry", -95, 0),
        ]
        assert ts(newest[0]["effective_at"]) == T0_PLUS_2Y
        assert newest[0]["postings"] == [
            {"lot_id": lot_id, "from_state": "available", "to_state": "expired", "points": 25}
        ]
        assert await lots(api) == []
        [old] = await lots(api, True)
        assert (old["available"], old["held"], old["expired"], old["reissued"]) == (0, 0, 120, 0)

    async def test_lowering_capture_into_expired_lot_expires_at_once(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem")
        api.clock.set(T0_PLUS_2Y + timedelta(days=1))
        t = ok(await adjust(api, t["id"], 10, "customer disputed"))
        assert (t["captured_points"], t["returned_points"], t["forfeited_points"]) == (10, 0, 0)
        assert figures(await api.balance()) == (0, 10, 0)
        newest = (await entries(api))[:2]
        assert [(e["kind"], e["available_delta"], e["held_delta"]) for e in newest] == [
            ("expiry", -15, 0),
            ("capture_decrease", 15, -15),
        ]
        [old] = await lots(api, True)
        assert (old["id"], old["held"], old["expired"]) == (lot_id, 10, 110)

    async def test_credit_into_lot_expiring_within_grace_is_reissued(self, api):
        lot_id = await funded(api)
        api.clock.set(T0_PLUS_2Y - timedelta(days=10))
        now = api.clock.now()
        t = await api.open("acme", "store-problem")
        ok(await resolve(api, t["id"]))
        t = ok(await credit(api, t["id"], 10))
        assert lite(t) == ("resolved", 0, 25, 25, 10, 0)
        assert figures(await api.balance()) == (105, 0, 15)
        old, fresh = await lots(api)  # consumption order: the old lot expires first
        assert (old["id"], old["available"], old["deducted"], old["reissued"]) == (lot_id, 95, 15, 10)
        assert (fresh["source"], fresh["points"], fresh["available"], fresh["origin_lot_id"]) == (
            "returned",
            10,
            10,
            lot_id,
        )
        assert ts(fresh["expires_at"]) == now + GRACE

    async def test_lowering_capture_into_lot_expiring_within_grace_returns_to_it(self, api):
        lot_id = await funded(api)
        api.clock.set(T0_PLUS_2Y - timedelta(days=10))
        t = await api.open("acme", "store-problem")
        ok(await adjust(api, t["id"], 10, "customer disputed"))
        assert figures(await api.balance()) == (110, 10, 0)
        [lot] = await lots(api, True)
        assert (lot["id"], lot["available"], lot["held"], lot["reissued"]) == (lot_id, 110, 10, 0)

    async def test_customer_refund_into_lot_expiring_within_grace_returns_to_it(self, api):
        lot_id = await funded(api)
        api.clock.set(T0_PLUS_2Y - timedelta(days=10))
        t = await api.open("acme", "store-problem")
        ok(await refund(api, t["id"], "withdrawn"))
        [lot] = await lots(api, True)
        assert (lot["id"], lot["available"], lot["reissued"]) == (lot_id, 120, 0)

    async def test_refund_into_revoked_lot_is_revoked_again(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem")
        r = await api.post(f"/v1/lots/{lot_id}/revoke", {"reason": "chargeback"}, role="billing")
        revocation = ok(r)
        assert (revocation["revoked"], revocation["held_by_open_tickets"], revocation["unrecoverable"]) == (95, 25, 0)
        assert figures(await api.balance()) == (0, 25, 0)
        t = ok(await refund(api, t["id"], "software_bug"))
        assert lite(t) == ("refunded", 0, 25, 0, 25, 25)
        assert figures(await api.balance()) == (0, 0, 0)
        newest = (await entries(api))[:2]
        assert [(e["kind"], e["available_delta"], e["held_delta"], e["ticket_id"]) for e in newest] == [
            ("revocation", -25, 0, t["id"]),
            ("return", 25, -25, t["id"]),
        ]
        assert newest[0]["postings"] == [
            {"lot_id": lot_id, "from_state": "available", "to_state": "revoked", "points": 25}
        ]
        [lot] = await lots(api, True)
        assert (lot["available"], lot["held"], lot["revoked"]) == (0, 0, 120)

    async def test_lowering_capture_into_revoked_lot_is_forfeited(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem")
        ok(await api.post(f"/v1/lots/{lot_id}/revoke", {"reason": "chargeback"}, role="billing"))
        t = ok(await adjust(api, t["id"], 10, "customer disputed"))
        assert (t["captured_points"], t["forfeited_points"], t["returned_points"]) == (10, 15, 0)
        assert figures(await api.balance()) == (0, 10, 0)
        assert (await kinds(api))[-2:] == ["capture_decrease", "revocation"]


# ---- reads -------------------------------------------------------------------------------------


class TestGetTicket:
    async def test_shows_history_and_allocations(self, api):
        lot_id = await funded(api)
        t = await api.open("acme", "store-problem", subject="broken cart")
        api.clock.advance(timedelta(hours=1))
        ok(await adjust(api, t["id"], 40, "additional investigation"))
        api.clock.advance(timedelta(hours=1))
        ok(await resolve(api, t["id"], note="done"))
        api.clock.advance(timedelta(hours=1))
        ok(await credit(api, t["id"], 5, "goodwill"))
        r = await api.get(f"/v1/tickets/{t['id']}", role="viewer")
        got = ok(r)
        assert r.headers["etag"] == '"4"'
        assert got["version"] == 4
        assert history(got) == [
            ("opened", 25, None, ACTOR),
            ("adjusted", 40, "additional investigation", ACTOR),
            ("resolved", 40, None, ACTOR),
            ("credited", 5, "goodwill", ACTOR),
        ]
        assert [ts(h["at"]) for h in got["history"]] == [T0 + timedelta(hours=h) for h in range(4)]
        # credits undo the last capture step first
        assert allocations(got) == [(1, lot_id, 0, 25, 0), (2, lot_id, 0, 15, 5)]
        assert lite(got) == ("resolved", 0, 40, 40, 5, 0)
        assert got["subject"] == "broken cart"

    async def test_actor_is_the_key_name(self, api):
        await funded(api)
        r = await api.post(
            "/v1/accounts/acme/tickets", {"external_ref": "HD-1", "category": "store-problem"}, role="admin"
        )
        assert r.status_code == 201, r.text
        assert history(r.json()) == [("opened", 25, None, "test-admin")]
        assert (await entries(api))[0]["actor"] == "test-admin"

    async def test_unknown_ticket_is_not_found(self, api):
        await api.account()
        problem(await api.get("/v1/tickets/tkt_missing"), 404, "not-found")


class TestListTickets:
    async def test_status_filter(self, api):
        await funded(api)
        opened = await api.open("acme", "store-problem", ref="HD-1")
        api.clock.advance(timedelta(minutes=1))
        resolved = await api.open("acme", "consultation", ref="HD-2")
        ok(await resolve(api, resolved["id"]))
        api.clock.advance(timedelta(minutes=1))
        refunded = await api.open("acme", "small-mod", ref="HD-3")
        ok(await refund(api, refunded["id"]))
        api.clock.advance(timedelta(minutes=1))
        still = await api.open("acme", "consultation", ref="HD-4")

        open_items = await list_tickets(api, status="open")
        assert [(t["external_ref"], t["captured_points"]) for t in open_items] == [("HD-4", 10), ("HD-1", 25)]
        assert all("history" not in t and "allocations" not in t for t in open_items)
        closed = await list_tickets(api, status=["resolved", "refunded"])
        assert [(t["id"], t["status"]) for t in closed] == [(refunded["id"], "refunded"), (resolved["id"], "resolved")]
        assert [t["id"] for t in await list_tickets(api)] == [still["id"], refunded["id"], resolved["id"], opened["id"]]

    async def test_external_ref_filter(self, api):
        await funded(api)
        await api.open("acme", "store-problem", ref="HD-1")
        wanted = await api.open("acme", "consultation", ref="HD-2")
        items = await list_tickets(api, external_ref="HD-2")
        assert [(t["id"], t["category"], t["captured_points"]) for t in items] == [(wanted["id"], "consultation", 10)]
        assert await list_tickets(api, external_ref="HD-9") == []


# ---- the ticket's account, as the route found it -----------------------------------------------


async def test_a_ticket_write_does_not_look_up_its_ticket_s_account_again(api):
    """The route finds the ticket's account to check access; the command locks that account
    without a second look-up. (The ticket is opened in-process, as another replica would: one this
    process opened over the API is known from its answer on, test_known_owners.py.)"""
    await api.account()
    await api.buy()
    ctx = Context(actor="test", role="helpdesk", clock=api.clock, return_grace=GRACE)
    ticket = (
        await api.db.write(
            tickets.OpenTicket(ctx=ctx, account_id="acme", external_ref="E-1", category="other", estimated_points=10)
        )
    ).ticket
    with statements_sent(api.db) as statements:
        r = await api.post(f"/v1/tickets/{ticket.id}/resolve", {}, role="helpdesk")
    assert r.status_code == 200, r.text
    lookups = ticket_owner_lookups(statements)
    assert len(lookups) == 1, lookups  # the route's access check, not the command


@pytest.mark.parametrize("command", ["AdjustTicket", "ResolveTicket", "RefundTicket"])
async def test_a_ticket_command_given_another_account_finds_no_ticket_and_writes_nothing(api, command):
    await api.account()
    await api.account("other")
    await api.buy()
    await api.buy("other")
    ticket = await api.open()
    before = (await api.balance(), await api.balance("other"))
    ctx = Context(actor="test", role="admin", clock=api.clock, return_grace=GRACE)
    arguments = {"AdjustTicket": {"points": 10, "reason": "r"}, "RefundTicket": {"reason": "withdrawn"}}.get(
        command, {}
    )
    with pytest.raises(NotFoundError):
        await api.db.write(getattr(tickets, command)(ctx=ctx, ticket_id=ticket["id"], account_id="other", **arguments))
    assert (await api.balance(), await api.balance("other")) == before
    r = await api.get(f"/v1/tickets/{ticket['id']}")
    assert r.json()["version"] == 1 and r.json()["status"] == "open"


async def test_an_open_sends_at_most_nine_statements_inside_its_transaction(api):
    """A lone open on a warm service (catalogue cached, key known): the account with its lots,
    the external_ref check, and each table's new rows (its `ticket.opened` event among them);
    BEGIN and COMMIT, which a batch shares, not counted."""
    await api.account()
    await api.buy()
    await api.open()  # warms the key and catalogue caches
    with statements_sent(api.db) as statements:
        await api.open()
    begin = next(i for i, s in enumerate(statements) if s.startswith("BEGIN"))
    end = statements.index("COMMIT", begin)
    inside = statements[begin + 1 : end]
    assert len(inside) <= 9, "\n".join(inside)
