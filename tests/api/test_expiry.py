"""Expiry (docs/design.md §4 "Expiry", §6 the three parts reconcile; the balance, lots,
statement, `GET /v1/accounts?expiring_before=`, `POST /v1/admin/expire`)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from points_service.services import expiry
from points_service.services.context import Context

from conftest import statements_sent
from support.figures import LOT_STATES, MODIFICATION_KINDS, expired, figures, states
from support.problems import problem
from support.times import T0, T0_PLUS_2Y, iso, ts


async def ledger(api: Any, account_id: str = "acme", **params: Any) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/accounts/{account_id}/ledger", params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def statement(api: Any, account_id: str = "acme") -> dict[str, Any]:
    r = await api.get(f"/v1/accounts/{account_id}/statement", params={"limit": 500})
    assert r.status_code == 200, r.text
    return r.json()


def assert_reconciles(st: dict[str, Any]) -> int:
    """docs/design.md §6: available = Σ part-1 available_delta − Σ part-2 captured − Σ part-3 (charged − returned)."""
    assert {e["kind"] for e in st["modifications"]["items"]} <= MODIFICATION_KINDS
    part1 = sum(e["available_delta"] for e in st["modifications"]["items"])
    part2 = sum(t["captured_points"] for t in st["in_progress"]["items"])
    part3 = sum(t["charged_points"] - t["returned_points"] for t in st["closed"]["items"])
    assert st["balance"]["available"] == part1 - part2 - part3
    assert st["balance"]["held"] == part2
    assert st["balance"]["deducted"] == part3
    return st["balance"]["available"]


async def import_(api: Any, points: int, account_id: str = "acme", **body: Any) -> dict[str, Any]:
    body = {
        "points": points,
        "granted_at": iso(api.clock.now()),
        "external_ref": f"OLD-{account_id}-{points}-{len(body)}",
        "reason": "migration",
        **body,
    }
    r = await api.post(f"/v1/accounts/{account_id}/imports", body)
    assert r.status_code == 201, r.text
    return r.json()["lot"]


async def lots(api: Any, account_id: str = "acme", include_empty: bool = True) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/accounts/{account_id}/lots", params={"include_empty": str(include_empty).lower()})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def system_context(api: Any) -> Context:
    return Context(actor="system:expiry", role="system", clock=api.clock, return_grace=timedelta(days=30))


async def sweep(api: Any, **params: Any) -> httpx.Response:
    return await api.post("/v1/admin/expire", params=params)


class TestDueExpiryBeforeAnyWrite:
    """An import granted two years and a day ago: due, but no write has persisted its expiry."""

    async def _arrange(self, api: Any) -> dict[str, Any]:
        await api.account()
        lot = await import_(api, 100, external_ref="OLD-1")  # granted now, expires omitted → T0 + 2y
        assert ts(lot["expires_at"]) == T0_PLUS_2Y
        api.clock.set(T0_PLUS_2Y + timedelta(days=1))  # granted 2 years + 1 day ago
        return lot

    async def test_points_are_not_spendable(self, api):
        await self._arrange(api)
        assert figures(await api.balance()) == (0, 0, 0)
        r = await api.post(
            "/v1/accounts/acme/tickets", {"external_ref": "T-1", "category": "store-problem"}, role="helpdesk"
        )
        body = problem(r, 409, "insufficient-points")
        assert (body["available"], body["required"]) == (0, 25)
        assert figures(await api.balance()) == (0, 0, 0)

    async def test_statement_shows_a_pending_expiry_and_reconciles(self, api):
        lot = await self._arrange(api)
        st = await statement(api)
        items = st["modifications"]["items"]
        assert [(e["kind"], e["seq"], e["pending"], e["available_delta"]) for e in items] == [
            ("expiry", None, True, -100),
            ("import", 1, False, 100),
        ]
        pending = items[0]
        assert pending["lot_id"] == lot["id"]
        assert pending["actor"] == "system:expiry"
        assert ts(pending["effective_at"]) == T0_PLUS_2Y
        assert pending["available_after"] == 0
        assert pending["postings"] == [
            {"lot_id": lot["id"], "from_state": "available", "to_state": "expired", "points": 100}
        ]
        assert assert_reconciles(st) == 0

    async def test_ledger_and_lots_show_it_too(self, api):
        lot = await self._arrange(api)
        entries = await ledger(api)
        assert [(e["kind"], e["pending"]) for e in entries] == [("expiry", True), ("import", False)]
        assert [(e["kind"], e["pending"]) for e in await ledger(api, kind="expiry")] == [("expiry", True)]
        assert [e["kind"] for e in await ledger(api, kind="import")] == ["import"]
        (shown,) = await lots(api)
        assert shown["id"] == lot["id"]
        assert states(shown) == {**dict.fromkeys(LOT_STATES, 0), "expired": 100}
        assert await lots(api, include_empty=False) == []

    async def test_the_next_write_persists_it_exactly_once(self, api):
        lot = await self._arrange(api)
        r = await api.post(
            "/v1/accounts/acme/tickets", {"external_ref": "T-1", "category": "store-problem"}, role="helpdesk"
        )
        assert r.status_code == 409  # a failed write persists nothing
        assert [e["pending"] for e in await ledger(api, kind="expiry")] == [True]

        await api.buy()
        await api.buy()
        expiries = await ledger(api, kind="expiry")
        assert len(expiries) == 1
        expiry = expiries[0]
        assert (expiry["seq"], expiry["pending"], expiry["available_delta"], expiry["lot_id"]) == (
            2,
            False,
            -100,
            lot["id"],
        )
        assert expiry["actor"] == "system:expiry"
        assert ts(expiry["effective_at"]) == T0_PLUS_2Y
        assert ts(expiry["created_at"]) == T0_PLUS_2Y + timedelta(days=1)
        assert [(e["seq"], e["kind"]) for e in await ledger(api)] == [
            (4, "purchase"),
            (3, "purchase"),
            (2, "expiry"),
            (1, "import"),
        ]

        st = await statement(api)
        assert all(not e["pending"] for e in st["modifications"]["items"])
        assert assert_reconciles(st) == 240

    async def test_a_persisting_write_reports_the_expired_lot(self, api):
        lot = await self._arrange(api)
        await api.buy()
        (shown, *_) = await lots(api)
        assert shown["id"] == lot["id"]
        assert states(shown) == {**dict.fromkeys(LOT_STATES, 0), "expired": 100}
        r = await api.post("/v1/admin/expire")
        assert expired(r.json()) == {"expired_lots": 0, "expired_points": 0, "accounts": []}


class TestExpiryBoundary:
    async def _bought_at_t0(self, api: Any) -> dict[str, Any]:
        await api.account()
        lot = (await api.buy())["lot"]
        assert ts(lot["expires_at"]) == T0_PLUS_2Y
        return lot

    async def test_available_one_second_before(self, api):
        lot = await self._bought_at_t0(api)
        api.clock.set(T0_PLUS_2Y - timedelta(seconds=1))
        assert figures(await api.balance()) == (120, 0, 0)
        (shown,) = await lots(api, include_empty=False)
        assert (shown["id"], shown["available"], shown["expired"]) == (lot["id"], 120, 0)
        ticket = await api.open(category="store-problem")
        assert ticket["captured_points"] == 25

    @pytest.mark.parametrize("after", [timedelta(0), timedelta(seconds=1)])
    async def test_gone_at_and_after_expires_at(self, api, after):
        lot = await self._bought_at_t0(api)
        api.clock.set(T0_PLUS_2Y + after)
        balance = await api.balance()
        assert figures(balance) == (0, 0, 0)
        assert balance["expiring"] == []
        assert await lots(api, include_empty=False) == []
        (shown,) = await lots(api)
        assert shown["id"] == lot["id"]
        assert states(shown) == {**dict.fromkeys(LOT_STATES, 0), "expired": 120}
        r = await api.post(
            "/v1/accounts/acme/tickets", {"external_ref": "T-1", "category": "consultation"}, role="helpdesk"
        )
        assert (problem(r, 409, "insufficient-points")["available"]) == 0

    async def test_a_capture_at_expires_at_persists_the_expiry_effective_at_expires_at(self, api):
        await self._bought_at_t0(api)
        api.clock.set(T0_PLUS_2Y)
        await api.open(category="general-question")  # zero points: opens with any balance
        entries = await ledger(api)
        assert [(e["seq"], e["kind"], e["available_delta"]) for e in entries] == [
            (2, "expiry", -120),
            (1, "purchase", 120),
        ]
        assert ts(entries[0]["effective_at"]) == ts(entries[0]["created_at"]) == T0_PLUS_2Y


class TestExpirySweep:
    async def _two_idle_accounts(self, api: Any) -> None:
        for account_id in ("acme", "beta"):
            await api.account(account_id)
        await api.buy("acme", "points-120")
        await api.buy("acme", "points-60")
        await api.buy("beta", "points-300")
        await import_(api, 50, account_id="beta", expires_at=None)  # never expires
        api.clock.set(T0_PLUS_2Y + timedelta(days=1))

    async def test_persists_idle_accounts_expiries(self, api):
        await self._two_idle_accounts(api)
        r = await sweep(api)
        assert r.status_code == 200, r.text
        assert expired(r.json()) == {"expired_lots": 3, "expired_points": 480, "accounts": ["acme", "beta"]}
        acme = await ledger(api, "acme", kind="expiry")
        assert [(e["pending"], e["available_delta"], e["actor"]) for e in acme] == [
            (False, -60, "system:expiry"),
            (False, -120, "system:expiry"),
        ]
        assert all(ts(e["effective_at"]) == T0_PLUS_2Y for e in acme)
        beta = await ledger(api, "beta", kind="expiry")
        assert [(e["pending"], e["available_delta"]) for e in beta] == [(False, -300)]
        assert figures(await api.balance("acme")) == (0, 0, 0)
        assert figures(await api.balance("beta")) == (50, 0, 0)

    async def test_running_it_twice_expires_nothing_the_second_time(self, api):
        await self._two_idle_accounts(api)
        await sweep(api)
        before = await ledger(api, "acme") + await ledger(api, "beta")
        r = await sweep(api)
        assert r.status_code == 200, r.text
        assert expired(r.json()) == {"expired_lots": 0, "expired_points": 0, "accounts": []}
        assert await ledger(api, "acme") + await ledger(api, "beta") == before

    async def test_account_id_scopes_it(self, api):
        await self._two_idle_accounts(api)
        r = await sweep(api, account_id="beta")
        assert expired(r.json()) == {"expired_lots": 1, "expired_points": 300, "accounts": ["beta"]}
        assert [e["pending"] for e in await ledger(api, "acme", kind="expiry")] == [True, True]
        r = await sweep(api)
        assert expired(r.json()) == {"expired_lots": 2, "expired_points": 180, "accounts": ["acme"]}

    async def test_scoped_to_an_account_with_nothing_due(self, api):
        await self._two_idle_accounts(api)
        await api.account("gamma")
        r = await sweep(api, account_id="gamma")
        assert expired(r.json()) == {"expired_lots": 0, "expired_points": 0, "accounts": []}

    async def test_one_expiry_entry_per_lot(self, api):
        await self._two_idle_accounts(api)
        await sweep(api)
        await api.buy("acme")
        await sweep(api)
        for account_id in ("acme", "beta"):
            expired_lots = [lot["id"] for lot in await lots(api, account_id) if lot["expired"]]
            entry_lots = [e["lot_id"] for e in await ledger(api, account_id, kind="expiry")]
            assert sorted(entry_lots) == sorted(expired_lots)
            assert len(set(entry_lots)) == len(entry_lots)
            seqs = [e["seq"] for e in await ledger(api, account_id)]
            assert seqs == list(range(len(seqs), 0, -1))

    async def test_concurrent_sweeps_write_one_expiry_entry_per_lot(self, api):
        await self._two_idle_accounts(api)
        results = await asyncio.gather(*(sweep(api) for _ in range(5)))
        assert [r.status_code for r in results] == [200] * 5
        assert sum(r.json()["expired_lots"] for r in results) == 3
        assert sum(r.json()["expired_points"] for r in results) == 480
        for account_id, count in (("acme", 2), ("beta", 1)):
            entries = await ledger(api, account_id, kind="expiry")
            assert len(entries) == count
            assert len({e["lot_id"] for e in entries}) == count
        assert figures(await api.balance("acme")) == (0, 0, 0)
        assert figures(await api.balance("beta")) == (50, 0, 0)

    async def test_concurrent_sweeps_and_writes_write_one_expiry_entry_per_lot(self, api):
        await self._two_idle_accounts(api)
        calls = [sweep(api) for _ in range(3)] + [
            api.post("/v1/accounts/acme/purchases", {"plan": "points-60", "payment_id": f"late-{i}"}, role="billing")
            for i in range(3)
        ]
        results = await asyncio.gather(*calls)
        assert [r.status_code for r in results] == [200, 200, 200, 201, 201, 201]
        assert len(await ledger(api, "acme", kind="expiry")) == 2
        assert figures(await api.balance("acme")) == (180, 0, 0)

    async def test_it_works_in_chunks_each_committed_before_the_next(self, api, monkeypatch):
        """Chunks of 2 due lots: every account is swept, with several reads of due lots; a failure
        in the second chunk leaves the first committed, and the next sweep finishes the rest once."""
        monkeypatch.setattr(expiry, "CHUNK", 2)
        for n in range(5):  # bought an hour apart: due in this order
            await api.account(f"acct-{n}")
            await api.buy(f"acct-{n}", "points-60")
            api.clock.advance(timedelta(hours=1))
        api.clock.set(T0_PLUS_2Y + timedelta(days=1))
        original = expiry.ExpireAccount.apply
        failing = {"acct-2"}

        def apply(command: Any, tx: Any) -> Any:
            if command.account_id in failing:
                raise RuntimeError("the process dies here")
            return original(command, tx)

        monkeypatch.setattr(expiry.ExpireAccount, "apply", apply)
        with statements_sent(api.db) as statements, pytest.raises(RuntimeError):
            await expiry.sweep(api.db, system_context(api))
        assert sum("FROM lots" in s and "LIMIT" in s for s in statements) >= 2
        swept = {
            n for n in range(5) if [e["pending"] for e in await ledger(api, f"acct-{n}", kind="expiry")] == [False]
        }
        assert {0, 1} <= swept and 2 not in swept  # the first chunk committed before the failure

        failing.clear()
        r = await sweep(api)
        assert r.status_code == 200, r.text
        assert r.json()["accounts"] == [f"acct-{n}" for n in range(5) if n not in swept]
        for n in range(5):
            entries = await ledger(api, f"acct-{n}", kind="expiry")
            assert [(e["pending"], e["available_delta"]) for e in entries] == [(False, -60)]
        r = await sweep(api)
        assert expired(r.json()) == {"expired_lots": 0, "expired_points": 0, "accounts": []}

    async def test_only_admin_may_sweep(self, api):
        r = await api.post("/v1/admin/expire", role="billing")
        problem(r, 403, "forbidden")


class TestHeldPointsDoNotExpire:
    async def test_held_points_survive_expiry_and_resolve_deducts_them(self, api):
        await api.account()
        lot = (await api.buy())["lot"]
        ticket = await api.open(category="store-problem")
        api.clock.set(T0_PLUS_2Y + timedelta(days=30))
        assert figures(await api.balance()) == (0, 25, 0)
        (shown,) = await lots(api, include_empty=False)  # held points keep the lot listed
        assert states(shown) == {**dict.fromkeys(LOT_STATES, 0), "held": 25, "expired": 95}

        r = await api.post(f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk")
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["deducted_points"]) == ("resolved", 25)
        assert figures(await api.balance()) == (0, 0, 25)
        assert [(e["kind"], e["available_delta"], e["held_delta"], e["deducted_delta"]) for e in await ledger(api)] == [
            ("deduction", 0, -25, 25),
            ("expiry", -95, 0, 0),
            ("capture", -25, 25, 0),
            ("purchase", 120, 0, 0),
        ]
        (shown,) = await lots(api)
        assert (shown["id"], states(shown)) == (
            lot["id"],
            {**dict.fromkeys(LOT_STATES, 0), "deducted": 25, "expired": 95},
        )

    async def test_held_points_can_still_be_raised_only_from_live_lots(self, api):
        await api.account()
        await api.buy()
        ticket = await api.open(category="store-problem")
        api.clock.set(T0_PLUS_2Y + timedelta(days=1))
        r = await api.post(f"/v1/tickets/{ticket['id']}/adjust", {"points": 30, "reason": "more"}, role="helpdesk")
        body = problem(r, 409, "insufficient-points")
        assert (body["available"], body["required"]) == (0, 5)
        assert figures(await api.balance()) == (0, 25, 0)

    async def test_points_returned_to_an_expired_lot_by_a_withdrawal_expire_with_their_own_entry(self, api):
        await api.account()
        await api.buy()
        ticket = await api.open(category="store-problem")
        api.clock.set(T0_PLUS_2Y + timedelta(days=1))
        r = await api.post(f"/v1/tickets/{ticket['id']}/refund", {"reason": "withdrawn"}, role="helpdesk")
        assert r.status_code == 200, r.text
        assert figures(await api.balance()) == (0, 0, 0)
        assert [(e["kind"], e["available_delta"]) for e in await ledger(api)] == [
            ("expiry", -25),
            ("return", 25),
            ("expiry", -95),
            ("capture", -25),
            ("purchase", 120),
        ]
        assert_reconciles(await statement(api))


class TestExpiringList:
    async def test_balance_lists_lots_expiring_within_90_days_soonest_first(self, api):
        await api.account()
        in_60 = await import_(api, 50, external_ref="E60", expires_at=iso(T0 + timedelta(days=60)))
        in_30 = await import_(api, 20, external_ref="E30", expires_at=iso(T0 + timedelta(days=30)))
        at_90 = await import_(api, 7, external_ref="E90", expires_at=iso(T0 + timedelta(days=90)))
        await import_(api, 9, external_ref="E90+", expires_at=iso(T0 + timedelta(days=90, seconds=1)))
        await import_(api, 11, external_ref="NEVER", expires_at=None)
        await api.buy()  # expires in two years
        balance = await api.balance()
        assert balance["available"] == 50 + 20 + 7 + 9 + 11 + 120
        assert [(e["lot_id"], e["points"], ts(e["expires_at"])) for e in balance["expiring"]] == [
            (in_30["id"], 20, T0 + timedelta(days=30)),
            (in_60["id"], 50, T0 + timedelta(days=60)),
            (at_90["id"], 7, T0 + timedelta(days=90)),
        ]

    async def test_expiring_counts_only_available_points(self, api):
        await api.account()
        soon = await import_(api, 30, external_ref="E30", expires_at=iso(T0 + timedelta(days=30)))
        await api.open(category="store-problem")  # takes 25 of the soonest lot
        balance = await api.balance()
        assert [(e["lot_id"], e["points"]) for e in balance["expiring"]] == [(soon["id"], 5)]
        r = await api.post("/v1/accounts/acme/adjustments", {"points": -5, "reason": "w/o"})
        assert r.status_code == 200, r.text
        assert (await api.balance())["expiring"] == []

    async def test_the_window_moves_with_the_clock(self, api):
        await api.account()
        lot = (await api.buy())["lot"]
        api.clock.set(T0_PLUS_2Y - timedelta(days=90, seconds=1))
        assert (await api.balance())["expiring"] == []
        api.clock.set(T0_PLUS_2Y - timedelta(days=90))
        assert [(e["lot_id"], e["points"]) for e in (await api.balance())["expiring"]] == [(lot["id"], 120)]
        api.clock.set(T0_PLUS_2Y)
        assert (await api.balance())["expiring"] == []


class TestAccountsExpiringBefore:
    async def _accounts(self, api: Any) -> dict[str, dict[str, Any]]:
        for account_id in ("acme", "beta", "delta", "gamma", "omega"):
            await api.account(account_id)
        return {
            "acme-60": await import_(api, 50, "acme", external_ref="A60", expires_at=iso(T0 + timedelta(days=60))),
            "acme-80": await import_(api, 10, "acme", external_ref="A80", expires_at=iso(T0 + timedelta(days=80))),
            "acme-150": await import_(api, 70, "acme", external_ref="A150", expires_at=iso(T0 + timedelta(days=150))),
            "beta-30": await import_(api, 20, "beta", external_ref="B30", expires_at=iso(T0 + timedelta(days=30))),
            "gamma-200": await import_(api, 40, "gamma", external_ref="G200", expires_at=iso(T0 + timedelta(days=200))),
            "delta-never": await import_(api, 99, "delta", external_ref="DN", expires_at=None),
            "omega-past": await import_(
                api,
                5,
                "omega",
                external_ref="OP",
                granted_at=iso(T0 - timedelta(days=10)),
                expires_at=iso(T0 - timedelta(days=1)),
            ),
        }

    async def test_the_plain_list_shows_each_balance_as_the_account_reads_it_with_one_query_for_all_lots(self, api):
        await self._accounts(api)
        api.clock.set(T0 + timedelta(days=45))  # beta's lot is now due, acme's 60-day lot expiring
        with statements_sent(api.db) as statements:
            r = await api.get("/v1/accounts", params={"limit": 100})
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [a["account_id"] for a in items] == ["acme", "beta", "delta", "gamma", "omega"]
        assert sum("FROM lots" in s for s in statements) == 1, "one query for the page's lots, not one per account"
        for item in items:
            own = await api.balance(item["account_id"])
            assert {**item["balance"], "as_of": None} == {**own, "as_of": None}, item["account_id"]
        assert figures(items[1]["balance"])[0] == 0 and items[0]["balance"]["expiring"][0]["points"] == 50

    async def test_lists_accounts_with_points_expiring_before_soonest_first(self, api):
        made = await self._accounts(api)
        r = await api.get("/v1/accounts", params={"expiring_before": iso(T0 + timedelta(days=100))}, role="helpdesk")
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [(a["account_id"], a["expiring_points"]) for a in items] == [("beta", 20), ("acme", 60)]
        assert [(e["lot_id"], e["points"], ts(e["expires_at"])) for e in items[1]["expiring"]] == [
            (made["acme-60"]["id"], 50, T0 + timedelta(days=60)),
            (made["acme-80"]["id"], 10, T0 + timedelta(days=80)),
        ]
        assert r.json()["next_cursor"] is None

    async def test_pages_in_the_same_order(self, api):
        await self._accounts(api)
        seen, cursor = [], None
        for _ in range(10):
            params = {
                "expiring_before": iso(T0 + timedelta(days=365)),
                "limit": 1,
                **({"cursor": cursor} if cursor else {}),
            }
            r = await api.get("/v1/accounts", params=params)
            assert r.status_code == 200, r.text
            seen += [(a["account_id"], a["expiring_points"]) for a in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert seen == [("beta", 20), ("acme", 130), ("gamma", 40)]

    async def test_cursor_is_bound_to_the_timestamp(self, api):
        await self._accounts(api)
        r = await api.get("/v1/accounts", params={"expiring_before": iso(T0 + timedelta(days=365)), "limit": 1})
        cursor = r.json()["next_cursor"]
        r = await api.get(
            "/v1/accounts", params={"expiring_before": iso(T0 + timedelta(days=300)), "limit": 1, "cursor": cursor}
        )
        body = problem(r, 422, "validation-error")
        assert [e["pointer"] for e in body["errors"]] == ["#/query/cursor"]

    async def test_points_held_or_already_expired_are_not_listed(self, api):
        await self._accounts(api)
        await api.open("beta", category="consultation")  # 10 of beta's 20 now held
        r = await api.get("/v1/accounts", params={"expiring_before": iso(T0 + timedelta(days=100))})
        assert [(a["account_id"], a["expiring_points"]) for a in r.json()["items"]] == [("beta", 10), ("acme", 60)]

    async def test_naive_timestamp_is_422(self, api):
        r = await api.get("/v1/accounts", params={"expiring_before": "2026-03-01T00:00:00"})
        body = problem(r, 422, "validation-error")
        assert [e["pointer"] for e in body["errors"]] == ["#/query/expiring_before"]

    async def test_offset_timestamp_is_accepted(self, api):
        await self._accounts(api)
        r = await api.get("/v1/accounts", params={"expiring_before": "2026-02-14T14:00:00+02:00"})  # T0 + 30d, 12:00Z
        assert r.status_code == 200, r.text
        assert r.json()["items"] == []
        r = await api.get("/v1/accounts", params={"expiring_before": "2026-02-14T14:00:01+02:00"})
        assert [a["account_id"] for a in r.json()["items"]] == ["beta"]
