"""The ledger and the views over it (docs/design.md §2 the ledger, §6 the three parts; §8 statement,
ledger, lots, pagination conventions, errors, resource shapes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from support.figures import LOT_STATES, figures
from support.problems import invalid_under, problem_without_traceback
from support.times import T0, iso, ts

BALANCE_STATES = ("available", "held", "deducted")
ALL_KINDS = {
    "purchase",
    "license_bonus",
    "adjustment",
    "import",
    "expiry",
    "revocation",
    "capture",
    "capture_increase",
    "capture_decrease",
    "deduction",
    "return",
}
ENTRY_FIELDS = {
    "id",
    "seq",
    "account_id",
    "kind",
    "available_delta",
    "held_delta",
    "deducted_delta",
    "available_after",
    "held_after",
    "deducted_after",
    "postings",
    "lot_id",
    "ticket_id",
    "reason",
    "actor",
    "created_at",
    "effective_at",
    "pending",
}
LOT_FIELDS = {
    "id",
    "account_id",
    "source",
    "points",
    *LOT_STATES,
    "granted_at",
    "expires_at",
    "revoked_at",
    "plan",
    "paid",
    "payment_id",
    "license_key",
    "external_ref",
    "origin_lot_id",
}


async def get_ok(api: Any, path: str, **params: Any) -> dict[str, Any]:
    r = await api.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def all_entries(api: Any, account_id: str = "acme", **params: Any) -> list[dict[str, Any]]:
    return (await get_ok(api, f"/v1/accounts/{account_id}/ledger", limit=500, **params))["items"]


async def step(api: Any, method: str, path: str, body: Any, role: str, status: int = 200) -> dict[str, Any]:
    r = await api.request(method, path, role, json=body)
    assert r.status_code == status, r.text
    return r.json()


async def every_kind(api: Any) -> dict[str, Any]:
    """One account whose ledger holds every kind of entry, one minute apart. Final: 165 / 0 / 25."""
    minute = timedelta(minutes=1)
    await api.account()
    made: dict[str, Any] = {}
    made["purchase"] = (await api.buy(payment_id="pay-P"))["lot"]  # 1 purchase +120
    api.clock.advance(minute)
    made["license"] = (
        await step(
            api, "POST", "/v1/accounts/acme/licenses", {"license_key": "LIC-1", "product": "default"}, "billing", 201
        )
    )["lot"]  # 2 license_bonus +60
    api.clock.advance(minute)
    made["import"] = (
        await step(
            api,
            "POST",
            "/v1/accounts/acme/imports",
            {
                "points": 100,
                "granted_at": iso(T0 - timedelta(days=365)),
                "external_ref": "OLD-1",
                "reason": "migration",
            },
            "admin",
            201,
        )
    )["lot"]  # 3 import +100, expires 2027-01-15: consumed first
    api.clock.advance(minute)
    made["adjustment"] = (
        await step(api, "POST", "/v1/accounts/acme/adjustments", {"points": 40, "reason": "goodwill"}, "admin", 201)
    )["lot"]  # 4 +40
    api.clock.advance(minute)
    await step(api, "POST", "/v1/accounts/acme/adjustments", {"points": -10, "reason": "correction"}, "admin")  # 5 −10
    api.clock.advance(minute)
    ticket = made["ticket"] = await api.open(category="store-problem", ref="HD-1")  # 6 capture 25
    api.clock.advance(minute)
    await step(api, "POST", f"/v1/tickets/{ticket['id']}/adjust", {"points": 40, "reason": "more"}, "helpdesk")  # 7 +15
    api.clock.advance(minute)
    await step(
        api, "POST", f"/v1/tickets/{ticket['id']}/adjust", {"points": 30, "reason": "disputed"}, "helpdesk"
    )  # 8 −10
    api.clock.advance(minute)
    await step(api, "POST", f"/v1/tickets/{ticket['id']}/resolve", {}, "helpdesk")  # 9 deduction 30
    api.clock.advance(minute)
    bug = made["bug"] = await api.open(category="consultation", ref="HD-2")  # 10 capture 10
    api.clock.advance(minute)
    await step(api, "POST", f"/v1/tickets/{bug['id']}/refund", {"reason": "software_bug"}, "helpdesk")  # 11 return 10
    api.clock.advance(minute)
    await step(
        api, "POST", f"/v1/tickets/{ticket['id']}/credit", {"points": 5, "reason": "goodwill"}, "helpdesk"
    )  # 12 return 5
    api.clock.advance(minute)
    made["old"] = (
        await step(
            api,
            "POST",
            "/v1/accounts/acme/purchases",
            {"plan": "points-60", "payment_id": "pay-OLD", "purchased_at": "2024-01-01T00:00:00Z"},
            "admin",
            201,
        )
    )["lot"]  # 13 purchase +60, 14 expiry −60
    api.clock.advance(minute)
    await step(
        api, "POST", f"/v1/lots/{made['purchase']['id']}/revoke", {"reason": "chargeback"}, "billing"
    )  # 15 revocation −120
    return made


EXPECTED = [  # seq, kind, available, held, deducted deltas
    (1, "purchase", 120, 0, 0),
    (2, "license_bonus", 60, 0, 0),
    (3, "import", 100, 0, 0),
    (4, "adjustment", 40, 0, 0),
    (5, "adjustment", -10, 0, 0),
    (6, "capture", -25, 25, 0),
    (7, "capture_increase", -15, 15, 0),
    (8, "capture_decrease", 10, -10, 0),
    (9, "deduction", 0, -30, 30),
    (10, "capture", -10, 10, 0),
    (11, "return", 10, -10, 0),
    (12, "return", 5, 0, -5),
    (13, "purchase", 60, 0, 0),
    (14, "expiry", -60, 0, 0),
    (15, "revocation", -120, 0, 0),
]


class TestLedger:
    async def test_every_operation_writes_its_kind(self, api):
        await every_kind(api)
        entries = await all_entries(api)
        assert [
            (e["seq"], e["kind"], e["available_delta"], e["held_delta"], e["deducted_delta"]) for e in entries
        ] == EXPECTED[::-1]
        assert {e["kind"] for e in entries} == ALL_KINDS
        assert figures(await api.balance()) == (165, 0, 25)

    async def test_seq_is_gapless_and_running_balances_follow_the_deltas(self, api):
        await every_kind(api)
        entries = sorted(await all_entries(api), key=lambda e: e["seq"])
        assert [e["seq"] for e in entries] == list(range(1, 16))
        running = dict.fromkeys(BALANCE_STATES, 0)
        for e in entries:
            assert set(e) >= ENTRY_FIELDS
            assert (e["account_id"], e["pending"]) == ("acme", False)
            for state in BALANCE_STATES:
                running[state] += e[f"{state}_delta"]
                assert e[f"{state}_after"] == running[state], (e["seq"], state)
        assert (running["available"], running["held"], running["deducted"]) == (165, 0, 25)

    async def test_postings_explain_every_delta(self, api):
        await every_kind(api)
        for e in await all_entries(api):
            assert e["postings"], e
            effect = dict.fromkeys(BALANCE_STATES, 0)
            for p in e["postings"]:
                assert set(p) == {"lot_id", "from_state", "to_state", "points"}
                assert p["points"] > 0
                assert p["from_state"] in (None, *LOT_STATES) and p["to_state"] in LOT_STATES
                if p["from_state"] in effect:
                    effect[p["from_state"]] -= p["points"]
                if p["to_state"] in effect:
                    effect[p["to_state"]] += p["points"]
            assert effect == {s: e[f"{s}_delta"] for s in BALANCE_STATES}, e
            lot_ids = {p["lot_id"] for p in e["postings"]}
            assert e["lot_id"] == (next(iter(lot_ids)) if len(lot_ids) == 1 else None)

    async def test_postings_of_each_kind(self, api):
        made = await every_kind(api)
        by_seq = {e["seq"]: e for e in await all_entries(api)}
        imp, old, bought = made["import"]["id"], made["old"]["id"], made["purchase"]["id"]

        def postings(seq: int) -> list[tuple[str, str | None, str, int]]:
            """Postings merged per (lot, from, to): one lot may be posted once per capture step."""
            merged: dict[tuple[str, str | None, str], int] = {}
            for p in by_seq[seq]["postings"]:
                key = (p["lot_id"], p["from_state"], p["to_state"])
                merged[key] = merged.get(key, 0) + p["points"]
            return [(*key, n) for key, n in merged.items()]

        assert postings(1) == [(bought, None, "available", 120)]
        assert postings(5) == [(imp, "available", "written_off", 10)]
        assert postings(6) == [(imp, "available", "held", 25)]
        assert postings(7) == [(imp, "available", "held", 15)]
        assert postings(8) == [(imp, "held", "available", 10)]
        assert postings(9) == [(imp, "held", "deducted", 30)]
        assert postings(11) == [(imp, "held", "available", 10)]
        assert postings(12) == [(imp, "deducted", "available", 5)]
        assert postings(14) == [(old, "available", "expired", 60)]
        assert postings(15) == [(bought, "available", "revoked", 120)]

    async def test_entries_carry_ticket_reason_actor_and_times(self, api):
        made = await every_kind(api)
        by_seq = {e["seq"]: e for e in await all_entries(api)}
        assert by_seq[6]["ticket_id"] == made["ticket"]["id"]
        assert by_seq[11]["ticket_id"] == made["bug"]["id"]
        assert by_seq[1]["ticket_id"] is None
        assert (by_seq[4]["reason"], by_seq[5]["reason"], by_seq[15]["reason"]) == (
            "goodwill",
            "correction",
            "chargeback",
        )
        assert by_seq[1]["actor"] == "test-billing"
        assert by_seq[3]["actor"] == "test-admin"
        assert by_seq[6]["actor"] == "test-helpdesk"
        assert by_seq[14]["actor"] == "system:expiry"
        assert ts(by_seq[3]["effective_at"]) == T0 - timedelta(days=365)  # an import: its granted_at
        assert ts(by_seq[13]["effective_at"]) == datetime(2024, 1, 1, tzinfo=UTC)  # a purchase: its purchased_at
        assert ts(by_seq[14]["effective_at"]) == datetime(2026, 1, 1, tzinfo=UTC)  # an expiry: the lot's expires_at
        for seq, e in by_seq.items():
            expected_created = T0 + timedelta(minutes=(seq - 1) if seq < 14 else 12)
            if seq == 15:
                expected_created = T0 + timedelta(minutes=13)
            assert ts(e["created_at"]) == expected_created, seq

    async def test_operations_that_move_no_points_write_no_entry(self, api):
        await api.account()
        await api.buy()
        free = await api.open(category="general-question")
        await step(api, "POST", f"/v1/tickets/{free['id']}/resolve", {}, "helpdesk")
        ticket = await api.open(category="store-problem")
        await step(api, "POST", f"/v1/tickets/{ticket['id']}/adjust", {"points": 25, "reason": "same"}, "helpdesk")
        await api.put("/v1/accounts/acme", {"display_name": "Acme"})
        assert [e["kind"] for e in await all_entries(api)] == ["capture", "purchase"]

    async def test_entries_never_go_back_in_time(self, api):
        await api.account()
        api.clock.advance(timedelta(hours=1))
        await api.buy()
        api.clock.set(T0)  # the clock steps back (NTP, another node…)
        r = await api.post("/v1/accounts/acme/purchases", {"plan": "points-60", "payment_id": "later"}, role="billing")
        assert r.status_code == 201, r.text
        assert ts(r.json()["balance"]["as_of"]) == T0 + timedelta(hours=1)
        assert ts(r.json()["lot"]["granted_at"]) == T0 + timedelta(hours=1)
        entries = await all_entries(api)
        assert [ts(e["created_at"]) for e in entries] == [T0 + timedelta(hours=1)] * 2

    async def test_entries_are_per_account(self, api):
        await api.account("acme")
        await api.account("beta")
        await api.buy("acme")
        await api.buy("beta", "points-60")
        await api.buy("acme", "points-60")
        assert [(e["seq"], e["available_after"]) for e in await all_entries(api, "beta")] == [(1, 60)]
        assert [(e["seq"], e["available_after"]) for e in await all_entries(api, "acme")] == [(2, 180), (1, 120)]


class TestLedgerFilters:
    async def test_kind_filter_repeats(self, api):
        await every_kind(api)
        entries = await all_entries(api, kind=["purchase", "capture"])
        assert [(e["seq"], e["kind"]) for e in entries] == [
            (13, "purchase"),
            (10, "capture"),
            (6, "capture"),
            (1, "purchase"),
        ]

    async def test_modifications_view_keeps_part_one_kinds(self, api):
        await every_kind(api)
        entries = await all_entries(api, view="modifications")
        assert [(e["seq"], e["kind"]) for e in entries] == [
            (15, "revocation"),
            (14, "expiry"),
            (13, "purchase"),
            (5, "adjustment"),
            (4, "adjustment"),
            (3, "import"),
            (2, "license_bonus"),
            (1, "purchase"),
        ]

    async def test_modifications_view_combined_with_kind(self, api):
        await every_kind(api)
        entries = await all_entries(api, view="modifications", kind=["expiry", "capture"])
        assert [(e["seq"], e["kind"]) for e in entries] == [(14, "expiry")]

    async def test_invalid_kind_is_422(self, api):
        await api.account()
        r = await api.get("/v1/accounts/acme/ledger", params={"kind": "refund"})
        invalid_under(r, "#/query/kind")

    async def test_invalid_view_is_422(self, api):
        await api.account()
        r = await api.get("/v1/accounts/acme/ledger", params={"view": "tickets"})
        invalid_under(r, "#/query/view")

    async def test_pages_newest_first_reach_every_entry_once(self, api):
        await every_kind(api)
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = await get_ok(api, "/v1/accounts/acme/ledger", **params)
            assert 1 <= len(page["items"]) <= 2
            seen += [e["seq"] for e in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert pages < 20
        assert seen == list(range(15, 0, -1))
        assert pages == 8

    async def test_pages_reach_every_pending_expiry(self, api):
        await api.account()
        for ref, days in (("A", 1), ("B", 2), ("C", None)):
            body = {
                "points": 5,
                "granted_at": iso(T0),
                "external_ref": ref,
                "reason": "m",
                "expires_at": iso(T0 + timedelta(days=days)) if days else None,
            }
            await step(api, "POST", "/v1/accounts/acme/imports", body, "admin", 201)
        api.clock.advance(timedelta(days=3))
        assert [(e["kind"], e["pending"]) for e in await all_entries(api)] == [
            ("expiry", True),
            ("expiry", True),
            ("import", False),
            ("import", False),
            ("import", False),
        ]
        seen, cursor = [], None
        for _ in range(10):
            page = await get_ok(api, "/v1/accounts/acme/ledger", limit=1, **({"cursor": cursor} if cursor else {}))
            seen += [(e["kind"], e["seq"], e["pending"]) for e in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [
            ("expiry", None, True),
            ("expiry", None, True),
            ("import", 3, False),
            ("import", 2, False),
            ("import", 1, False),
        ]

    async def test_filtered_pages_keep_the_filter(self, api):
        await every_kind(api)
        first = await get_ok(api, "/v1/accounts/acme/ledger", kind="purchase", limit=1)
        assert [e["seq"] for e in first["items"]] == [13]
        second = await get_ok(api, "/v1/accounts/acme/ledger", kind="purchase", limit=1, cursor=first["next_cursor"])
        assert [e["seq"] for e in second["items"]] == [1]
        assert second["next_cursor"] is None

    async def test_cursor_from_a_kind_filter_used_without_it_is_422(self, api):
        await every_kind(api)
        cursor = (await get_ok(api, "/v1/accounts/acme/ledger", kind="purchase", limit=1))["next_cursor"]
        assert cursor
        r = await api.get("/v1/accounts/acme/ledger", params={"limit": 1, "cursor": cursor})
        invalid_under(r, "#/query/cursor")
        r = await api.get(
            "/v1/accounts/acme/ledger", params={"limit": 1, "cursor": cursor, "kind": ["purchase", "capture"]}
        )
        invalid_under(r, "#/query/cursor")

    async def test_cursor_from_another_account_is_422(self, api):
        await every_kind(api)
        await api.account("beta")
        cursor = (await get_ok(api, "/v1/accounts/acme/ledger", limit=1))["next_cursor"]
        r = await api.get("/v1/accounts/beta/ledger", params={"cursor": cursor})
        invalid_under(r, "#/query/cursor")

    @pytest.mark.parametrize("cursor", ["garbage", "", "eyJzIjoieCJ9", "!!!", "a" * 1001])
    async def test_garbage_cursor_is_422(self, api, cursor):
        await api.account()
        r = await api.get("/v1/accounts/acme/ledger", params={"cursor": cursor})
        invalid_under(r, "#/query/cursor")


class TestStatement:
    async def _arrange(self, api: Any) -> dict[str, dict[str, Any]]:
        await api.account()
        await api.buy(plan="points-120")
        api.clock.advance(timedelta(minutes=1))
        await api.buy(plan="points-60")
        tickets = {}
        for ref in ("T1", "T2", "T3", "T4"):
            api.clock.advance(timedelta(minutes=1))
            tickets[ref] = await api.open(category="consultation", ref=ref)
        await step(api, "POST", f"/v1/tickets/{tickets['T1']['id']}/resolve", {}, "helpdesk")
        await step(api, "POST", f"/v1/tickets/{tickets['T2']['id']}/refund", {"reason": "withdrawn"}, "helpdesk")
        return tickets

    async def test_full_statement_reconciles(self, api):
        await self._arrange(api)
        st = await get_ok(api, "/v1/accounts/acme/statement")
        assert figures(st["balance"]) == (150, 20, 10)
        part1 = sum(e["available_delta"] for e in st["modifications"]["items"])
        part2 = sum(t["captured_points"] for t in st["in_progress"]["items"])
        part3 = sum(t["charged_points"] - t["returned_points"] for t in st["closed"]["items"])
        assert (part1, part2, part3) == (180, 20, 10)
        assert st["balance"]["available"] == part1 - part2 - part3
        assert [t["external_ref"] for t in st["in_progress"]["items"]] == ["T4", "T3"]
        assert [(t["external_ref"], t["status"]) for t in st["closed"]["items"]] == [
            ("T2", "refunded"),
            ("T1", "resolved"),
        ]
        for t in st["in_progress"]["items"] + st["closed"]["items"]:
            assert "history" not in t and "allocations" not in t

    async def test_limit_1_pages_each_part_and_each_cursor_continues_on_its_endpoint(self, api):
        await self._arrange(api)
        st = await get_ok(api, "/v1/accounts/acme/statement", limit=1)

        assert [(e["seq"], e["kind"]) for e in st["modifications"]["items"]] == [(2, "purchase")]
        more = await get_ok(
            api, "/v1/accounts/acme/ledger", view="modifications", limit=1, cursor=st["modifications"]["next_cursor"]
        )
        assert [(e["seq"], e["kind"]) for e in more["items"]] == [(1, "purchase")]
        assert more["next_cursor"] is None

        assert [t["external_ref"] for t in st["in_progress"]["items"]] == ["T4"]
        more = await get_ok(
            api,
            "/v1/accounts/acme/tickets",
            status=["open", "awaiting_points"],
            limit=1,
            cursor=st["in_progress"]["next_cursor"],
        )
        assert [t["external_ref"] for t in more["items"]] == ["T3"]
        assert more["next_cursor"] is None

        assert [t["external_ref"] for t in st["closed"]["items"]] == ["T2"]
        more = await get_ok(
            api,
            "/v1/accounts/acme/tickets",
            status=["resolved", "refunded"],
            limit=1,
            cursor=st["closed"]["next_cursor"],
        )
        assert [t["external_ref"] for t in more["items"]] == ["T1"]
        assert more["next_cursor"] is None

    async def test_a_part_cursor_does_not_fit_another_part(self, api):
        await self._arrange(api)
        st = await get_ok(api, "/v1/accounts/acme/statement", limit=1)
        r = await api.get(
            "/v1/accounts/acme/tickets",
            params={"status": ["resolved", "refunded"], "cursor": st["in_progress"]["next_cursor"]},
        )
        invalid_under(r, "#/query/cursor")
        r = await api.get("/v1/accounts/acme/ledger", params={"cursor": st["modifications"]["next_cursor"]})
        invalid_under(r, "#/query/cursor")

    async def test_statement_limit_outside_range_is_422(self, api):
        await api.account()
        for limit in (0, 501):
            r = await api.get("/v1/accounts/acme/statement", params={"limit": limit})
            invalid_under(r, "#/query/limit")

    async def test_viewer_reads_its_own_statement_only(self, api):
        await self._arrange(api)
        await api.account("beta")
        r = await api.get("/v1/accounts/acme/statement", role="viewer")
        assert r.status_code == 200, r.text
        r = await api.get("/v1/accounts/beta/statement", role="viewer")
        problem_without_traceback(r, 404, "not-found")


class TestLots:
    async def _arrange(self, api: Any) -> dict[str, str]:
        await api.account()

        async def imp(ref: str, points: int, granted: datetime, expires: datetime | None) -> str:
            body = {
                "points": points,
                "granted_at": iso(granted),
                "external_ref": ref,
                "reason": "migration",
                "expires_at": iso(expires) if expires else None,
            }
            return (await step(api, "POST", "/v1/accounts/acme/imports", body, "admin", 201))["lot"]["id"]

        ids = {}
        ids["never"] = await imp("N", 50, T0 - timedelta(days=5), None)
        ids["p1"] = (await api.buy(payment_id="p1"))["lot"]["id"]  # expires T0 + 2y
        ids["year"] = await imp("I", 30, T0 - timedelta(days=365), T0 + timedelta(days=365))
        ids["same_expiry_older"] = await imp("G", 5, T0 - timedelta(days=1), datetime(2028, 1, 15, 12, 0, tzinfo=UTC))
        ids["soon"] = await imp("E", 10, T0 - timedelta(days=10), T0 + timedelta(days=5))
        api.clock.advance(timedelta(hours=1))
        ids["p2"] = (await api.buy(plan="points-60", payment_id="p2"))["lot"]["id"]  # expires T0 + 2y + 1h
        ticket = await api.open(category="store-problem")  # 10 from "soon", 15 from "year"
        await step(api, "POST", f"/v1/tickets/{ticket['id']}/resolve", {}, "helpdesk")
        return ids

    async def test_lots_in_consumption_order(self, api):
        ids = await self._arrange(api)
        items = (await get_ok(api, "/v1/accounts/acme/lots"))["items"]
        assert [lot["id"] for lot in items] == [
            ids["year"],
            ids["same_expiry_older"],
            ids["p1"],
            ids["p2"],
            ids["never"],
        ]
        assert [lot["available"] for lot in items] == [15, 5, 120, 60, 50]

    async def test_include_empty_shows_fully_used_lots(self, api):
        ids = await self._arrange(api)
        items = (await get_ok(api, "/v1/accounts/acme/lots", include_empty="true"))["items"]
        assert [lot["id"] for lot in items] == [
            ids["soon"],
            ids["year"],
            ids["same_expiry_older"],
            ids["p1"],
            ids["p2"],
            ids["never"],
        ]
        soon = items[0]
        assert (soon["points"], soon["available"], soon["deducted"]) == (10, 0, 10)

    async def test_each_lot_states_sum_to_its_points(self, api):
        await self._arrange(api)
        await step(api, "POST", "/v1/accounts/acme/adjustments", {"points": -20, "reason": "w/o"}, "admin")
        api.clock.set(T0 + timedelta(days=400))
        items = (await get_ok(api, "/v1/accounts/acme/lots", include_empty="true"))["items"]
        assert len(items) == 6
        for lot in items:
            assert set(lot) >= LOT_FIELDS
            assert sum(lot[s] for s in LOT_STATES) == lot["points"], lot
        by_source = {(lot["source"], lot["points"]): {s: lot[s] for s in LOT_STATES if lot[s]} for lot in items}
        assert by_source[("import", 10)] == {"deducted": 10}
        assert by_source[("import", 30)] == {"deducted": 15, "written_off": 15}
        assert by_source[("import", 5)] == {"written_off": 5}
        assert by_source[("import", 50)] == {"available": 50}

    async def test_lots_page_in_the_same_order(self, api):
        ids = await self._arrange(api)
        seen, cursor = [], None
        for _ in range(10):
            params = {"include_empty": "true", "limit": 4, **({"cursor": cursor} if cursor else {})}
            page = await get_ok(api, "/v1/accounts/acme/lots", **params)
            seen += [lot["id"] for lot in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [ids["soon"], ids["year"], ids["same_expiry_older"], ids["p1"], ids["p2"], ids["never"]]

    async def test_lots_cursor_is_bound_to_include_empty(self, api):
        await self._arrange(api)
        cursor = (await get_ok(api, "/v1/accounts/acme/lots", include_empty="true", limit=1))["next_cursor"]
        r = await api.get("/v1/accounts/acme/lots", params={"cursor": cursor})
        invalid_under(r, "#/query/cursor")


class TestErrors:
    async def test_unknown_route_is_a_404_problem(self, api):
        r = await api.get("/v1/nothing-here")
        body = problem_without_traceback(r, 404, "not-found")
        assert body["title"] and body["detail"]

    async def test_unknown_route_without_a_key_is_404_too(self, api):
        r = await api.client.get("/v1/nothing-here")
        assert r.status_code in (401, 404)
        assert r.headers["content-type"] == "application/problem+json"

    async def test_wrong_method_is_a_405_problem(self, api):
        r = await api.request("DELETE", "/v1/plans")
        problem_without_traceback(r, 405, "method-not-allowed")
        assert "GET" in r.headers.get("allow", "")

    async def test_405_allows_every_method_of_the_path(self, api):
        """Not only the methods of the first route that matched (one route per method)."""
        r = await api.request("DELETE", "/v1/accounts/acme")
        problem_without_traceback(r, 405, "method-not-allowed")
        assert r.headers["allow"] == "GET, PUT"
        r = await api.request("PATCH", "/v1/accounts/acme/tickets")
        assert r.headers["allow"] == "GET, POST"

    async def test_malformed_json_is_a_422_problem_with_errors(self, api):
        await api.account()
        r = await api.request(
            "POST",
            "/v1/accounts/acme/purchases",
            "billing",
            content=b'{"plan": "points-120",',
            headers={"Content-Type": "application/json"},
        )
        body = invalid_under(r, "#")
        assert len(body["errors"]) == 1

    @pytest.mark.parametrize("content", [b"{", b"\x00", b'{"display_name": "Acme"'], ids=["brace", "nul", "truncated"])
    async def test_malformed_json_is_422_even_where_every_field_is_optional(self, api, content):
        r = await api.request("PUT", "/v1/accounts/acme", content=content, headers={"Content-Type": "application/json"})
        invalid_under(r, "#")
        assert (await api.get("/v1/accounts/acme")).status_code == 404

    async def test_missing_body_is_a_422_problem(self, api):
        await api.account()
        r = await api.request(
            "POST", "/v1/accounts/acme/purchases", "billing", headers={"Content-Type": "application/json"}
        )
        invalid_under(r, "#")

    async def test_non_json_content_type_is_415(self, api):
        await api.account()
        r = await api.request(
            "POST",
            "/v1/accounts/acme/purchases",
            "billing",
            content=b"plan=points-120&payment_id=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        problem_without_traceback(r, 415, "unsupported-media-type")
        assert await all_entries(api) == []

    async def test_body_over_64_kib_is_413(self, api):
        await api.account()
        big = b'{"display_name": "' + b"x" * (64 * 1024) + b'"}'
        r = await api.request(
            "PUT", "/v1/accounts/acme", "admin", content=big, headers={"Content-Type": "application/json"}
        )
        problem_without_traceback(r, 413, "payload-too-large")

    async def test_body_of_exactly_64_kib_is_read(self, api):
        await api.account()
        prefix, suffix = b'{"metadata": {"k": "', b'"}}'
        body = prefix + b"x" * (64 * 1024 - len(prefix) - len(suffix)) + suffix
        assert len(body) == 64 * 1024
        r = await api.request(
            "PUT", "/v1/accounts/acme", "admin", content=body, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 200, r.text

    async def test_problem_type_is_described(self, api):
        r = await api.client.get("/problems/insufficient-points")
        assert r.status_code == 200, r.text
        assert "Insufficient points" in r.text
        assert "409" in r.text

    async def test_unknown_problem_type_is_404(self, api):
        r = await api.client.get("/problems/no-such-problem")
        problem_without_traceback(r, 404, "not-found")

    async def test_missing_key_is_401(self, api):
        r = await api.client.get("/v1/accounts/acme/ledger")
        problem_without_traceback(r, 401, "unauthorized")


class TestPagedVerify:
    """`GET /v1/admin/verify?limit=` checks a database page by page, each page its own snapshot."""

    async def test_pages_cover_every_account_once_and_find_a_planted_disagreement(self, api):
        names = [f"acct-{n:02d}" for n in range(7)]
        for name in names:
            await api.account(name)
            await api.buy(name, "points-60")
        with api.db.engine.begin() as conn:  # a counter that the ledger does not explain, on page 2
            conn.execute(text("UPDATE accounts SET available = available + 1 WHERE id = 'acct-04'"))
        whole = (await api.get("/v1/admin/verify")).json()
        seen, found, cursor, pages = 0, [], None, 0
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            r = await api.get("/v1/admin/verify", params=params)
            assert r.status_code == 200, r.text
            page = r.json()
            seen += page["checked_accounts"]
            found += page["disagreements"]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert (seen, pages) == (whole["checked_accounts"], 3)
        assert found == whole["disagreements"] and {d["account_id"] for d in found} == {"acct-04"}
        with api.db.engine.begin() as conn:
            conn.execute(text("UPDATE accounts SET available = available - 1 WHERE id = 'acct-04'"))

    async def test_a_cursor_keeps_its_page_size_and_account_id_checks_one_account(self, api):
        for name in ("a1", "a2", "a3"):
            await api.account(name)
        first = (await api.get("/v1/admin/verify", params={"limit": 1})).json()
        second = (await api.get("/v1/admin/verify", params={"cursor": first["next_cursor"]})).json()
        assert (first["checked_accounts"], second["checked_accounts"]) == (1, 1) and second["next_cursor"]
        one = (await api.get("/v1/admin/verify", params={"limit": 2, "account_id": "a2"})).json()
        assert (one["ok"], one["checked_accounts"], one["next_cursor"]) == (True, 1, None)
        r = await api.get("/v1/admin/verify", params={"account_id": "a2", "cursor": first["next_cursor"]})
        assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/query/cursor"
        assert (await api.get("/v1/admin/verify", params={"limit": 10_001})).status_code == 422
        assert (await api.get("/v1/admin/verify")).json()["next_cursor"] is None
