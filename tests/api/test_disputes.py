"""Disputes over HTTP (docs/design.md §3): open on a resolved ticket, accept (a credit) or reject.

Every test's ledger is verified by the `api` fixture at teardown.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from support.figures import figures
from support.problems import loose_problem, ok, ok_created, problem
from support.times import T0_PLUS_2Y, ts

GRACE = timedelta(days=30)  # RETURN_GRACE default


async def resolved(api, account_id: str = "acme", category: str = "store-problem") -> dict[str, Any]:
    """A resolved ticket of `category` (store-problem: 25 points) on a freshly funded account."""
    await api.account(account_id)
    await api.buy(account_id)
    ticket = await api.open(account_id, category)
    return ok(await api.post(f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk"))


async def dispute(api, ticket_id: str, role: str = "viewer", **body: Any):
    return await api.post(f"/v1/tickets/{ticket_id}/disputes", {"reason": "the fix did not hold", **body}, role=role)


async def accept(api, dispute_id: str, role: str = "helpdesk", **body: Any):
    return await api.post(f"/v1/disputes/{dispute_id}/accept", {"note": "agreed", **body}, role=role)


async def reject(api, dispute_id: str, role: str = "helpdesk", note: str = "the fix works"):
    return await api.post(f"/v1/disputes/{dispute_id}/reject", {"note": note}, role=role)


def history(ticket: dict[str, Any]) -> list[tuple[str, int, str | None, str | None]]:
    return [(h["action"], h["points"], h["reason"], h["note"]) for h in ticket["history"]]


async def events(api, *types: str) -> list[dict[str, Any]]:
    """The events of these types, oldest first."""
    items = ok(await api.get("/v1/events", params={"type": list(types), "limit": 500}))["items"]
    return list(reversed(items))


async def newest_entry(api) -> dict[str, Any]:
    return ok(await api.get("/v1/accounts/acme/ledger", params={"limit": 1}))["items"][0]


class TestLifecycle:
    async def test_open_then_accept_credits_the_claim(self, api):
        ticket = await resolved(api)
        r = await dispute(api, ticket["id"], points=10)
        opened = ok_created(r)
        assert r.headers["location"] == f"/v1/disputes/{opened['id']}"
        assert opened["id"].startswith("dsp_")
        assert {k: opened[k] for k in ("ticket_id", "account_id", "status", "points_claimed", "points_credited")} == {
            "ticket_id": ticket["id"],
            "account_id": "acme",
            "status": "open",
            "points_claimed": 10,
            "points_credited": None,
        }
        assert (opened["reason"], opened["opened_by"], opened["closed_at"], opened["closed_by"]) == (
            "the fix did not hold",
            "test-viewer",
            None,
            None,
        )
        assert ok(await api.get(f"/v1/disputes/{opened['id']}", role="viewer")) == opened

        accepted = ok(await accept(api, opened["id"], note="the first fix did not hold"))
        assert (accepted["status"], accepted["points_credited"], accepted["resolution_note"]) == (
            "accepted",
            10,
            "the first fix did not hold",
        )
        assert accepted["closed_by"] == "test-helpdesk" and ts(accepted["closed_at"]) == api.clock.now()
        assert figures(await api.balance()) == (105, 0, 15)

        after = ok(await api.get(f"/v1/tickets/{ticket['id']}"))
        assert (after["status"], after["deducted_points"], after["returned_points"]) == ("resolved", 25, 10)
        why = f"dispute {opened['id']}"
        assert history(after)[-3:] == [
            ("disputed", 10, why, "the fix did not hold"),
            ("credited", 10, "dispute", opened["id"]),  # as a credit's; no link field: the id is the note
            ("dispute_accepted", 10, why, "the first fix did not hold"),
        ]
        entry = await newest_entry(api)
        assert (entry["kind"], entry["available_delta"], entry["deducted_delta"], entry["ticket_id"]) == (
            "return",
            10,
            -10,
            ticket["id"],
        )
        assert (entry["reason"], entry["dispute_id"]) == ("dispute", opened["id"])
        told = await events(api, "dispute.opened", "dispute.accepted", "ticket.credited")
        assert [e["type"] for e in told] == ["dispute.opened", "ticket.credited", "dispute.accepted"]
        assert told[0]["data"] == opened
        assert told[2]["data"] == accepted
        assert told[1]["data"]["returned_points"] == 10
        assert told[1]["data"]["history"][-1] == ok(await api.get(f"/v1/tickets/{ticket['id']}"))["history"][-2]

    async def test_a_client_finds_dispute_credits_by_reason_and_plain_credits_link_nothing(self, api):
        ticket = await resolved(api)
        ok(await api.post(f"/v1/tickets/{ticket['id']}/credit", {"points": 5, "reason": "goodwill"}, role="helpdesk"))
        first = ok_created(await dispute(api, ticket["id"], points=5))
        ok(await accept(api, first["id"]))
        second = ok_created(await dispute(api, ticket["id"], points=3))
        ok(await accept(api, second["id"]))

        entries = ok(await api.get("/v1/accounts/acme/ledger", params={"limit": 500}))["items"]
        by_reason = [(e["available_delta"], e["dispute_id"]) for e in entries if e["reason"] == "dispute"]
        assert by_reason == [(3, second["id"]), (5, first["id"])]  # newest first
        assert all(e["dispute_id"] is None for e in entries if e["reason"] != "dispute")
        [plain] = [e for e in entries if e["reason"] == "goodwill"]
        assert (plain["kind"], plain["available_delta"], plain["dispute_id"]) == ("return", 5, None)
        returns = ok(await api.get("/v1/accounts/acme/ledger", params={"kind": "return"}))["items"]
        assert [e["dispute_id"] for e in returns] == [second["id"], first["id"], None]
        after = ok(await api.get(f"/v1/tickets/{ticket['id']}"))
        credited = [(h["points"], h["reason"], h["note"]) for h in after["history"] if h["action"] == "credited"]
        assert credited == [(5, "goodwill", None), (5, "dispute", first["id"]), (3, "dispute", second["id"])]

    async def test_accept_without_a_claim_credits_everything_left(self, api):
        ticket = await resolved(api)
        opened = ok_created(await dispute(api, ticket["id"], role="helpdesk"))
        assert opened["points_claimed"] is None
        assert ok(await accept(api, opened["id"]))["points_credited"] == 25
        assert figures(await api.balance()) == (120, 0, 0)

    async def test_accept_with_points_credits_those(self, api):
        ticket = await resolved(api)
        opened = ok_created(await dispute(api, ticket["id"], points=20))
        assert ok(await accept(api, opened["id"], points=5))["points_credited"] == 5
        assert figures(await api.balance()) == (100, 0, 20)

    async def test_open_then_reject_keeps_the_charge(self, api):
        ticket = await resolved(api)
        opened = ok_created(await dispute(api, ticket["id"]))
        rejected = ok(await reject(api, opened["id"], note="the export fails on the customer's server"))
        assert (rejected["status"], rejected["points_credited"], rejected["resolution_note"]) == (
            "rejected",
            None,
            "the export fails on the customer's server",
        )
        assert figures(await api.balance()) == (95, 0, 25)
        after = ok(await api.get(f"/v1/tickets/{ticket['id']}"))
        assert history(after)[-1] == (
            "dispute_rejected",
            0,
            f"dispute {opened['id']}",
            "the export fails on the customer's server",
        )
        assert [e["data"] for e in await events(api, "dispute.rejected")] == [rejected]
        # closed: a new dispute may be opened, and the lists show both
        second = ok_created(await dispute(api, ticket["id"]))
        everyone = ok(await api.get("/v1/disputes", role="helpdesk"))["items"]
        assert [d["id"] for d in everyone] == [second["id"], opened["id"]]
        assert [d["id"] for d in ok(await api.get("/v1/disputes", params={"status": "open"}))["items"]] == [
            second["id"]
        ]
        mine = ok(await api.get("/v1/accounts/acme/disputes", role="viewer"))["items"]
        assert [d["id"] for d in mine] == [second["id"], opened["id"]]
        page = ok(await api.get("/v1/accounts/acme/disputes", params={"limit": 1}))
        rest = ok(await api.get("/v1/accounts/acme/disputes", params={"limit": 1, "cursor": page["next_cursor"]}))
        assert [d["id"] for d in page["items"] + rest["items"]] == [second["id"], opened["id"]]
        assert rest["next_cursor"] is None


class TestRefusals:
    async def test_only_a_resolved_ticket_with_points_left_can_be_disputed(self, api):
        await api.account()
        await api.buy()
        still_open = await api.open()
        refunded = await api.open()
        credited = await api.open()
        for ticket in (refunded, credited):
            ok(await api.post(f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk"))
        ok(await api.post(f"/v1/tickets/{refunded['id']}/refund", {"reason": "other"}, role="helpdesk"))
        ok(await api.post(f"/v1/tickets/{credited['id']}/credit", {"points": 25, "reason": "all"}, role="helpdesk"))
        for ticket in (still_open, refunded, credited):  # not resolved; refunded; nothing left to return
            loose_problem(await dispute(api, ticket["id"]), 409, "invalid-state")

    async def test_a_second_open_dispute_conflicts(self, api):
        ticket = await resolved(api)
        first = ok_created(await dispute(api, ticket["id"]))
        body = problem(await dispute(api, ticket["id"], role="helpdesk"), 409, "conflict")
        assert body["dispute_id"] == first["id"]

    async def test_a_claim_above_what_is_left_is_invalid(self, api):
        ticket = await resolved(api)
        body = problem(await dispute(api, ticket["id"], points=26), 422, "validation-error")
        assert body["max_points"] == 25

    async def test_a_viewer_cannot_see_or_dispute_another_accounts_ticket(self, api):
        ticket = await resolved(api, "other")
        problem(await dispute(api, ticket["id"]), 404, "not-found")
        opened = ok_created(await dispute(api, ticket["id"], role="helpdesk"))
        problem(await api.get(f"/v1/disputes/{opened['id']}", role="viewer"), 404, "not-found")
        problem(await accept(api, opened["id"], role="viewer"), 404, "not-found")
        problem(await api.get("/v1/accounts/other/disputes", role="viewer"), 404, "not-found")

    async def test_a_viewer_may_open_but_not_decide(self, api):
        ticket = await resolved(api)
        opened = ok_created(await dispute(api, ticket["id"]))
        problem(await accept(api, opened["id"], role="viewer"), 403, "forbidden")
        problem(await reject(api, opened["id"], role="viewer"), 403, "forbidden")
        problem(await api.get("/v1/disputes", role="viewer"), 403, "forbidden")
        problem(await dispute(api, ticket["id"], role="billing"), 403, "forbidden")

    async def test_a_decided_dispute_cannot_be_decided_again(self, api):
        ticket = await resolved(api)
        opened = ok_created(await dispute(api, ticket["id"]))
        ok(await reject(api, opened["id"]))
        loose_problem(await accept(api, opened["id"]), 409, "invalid-state")
        loose_problem(await reject(api, opened["id"]), 409, "invalid-state")

    async def test_an_unknown_dispute_is_not_found(self, api):
        problem(await accept(api, "dsp_nope"), 404, "not-found")
        problem(await api.get("/v1/disputes/dsp_nope"), 404, "not-found")


class TestReturnPolicy:
    async def test_accept_after_the_lot_expired_reissues_the_points(self, api):
        ticket = await resolved(api)
        lot_id = ticket["allocations"][0]["lot_id"]
        opened = ok_created(await dispute(api, ticket["id"], points=10))
        api.clock.set(T0_PLUS_2Y + timedelta(days=1))
        now = api.clock.now()
        assert ok(await accept(api, opened["id"]))["points_credited"] == 10
        [fresh] = ok(await api.get("/v1/accounts/acme/lots"))["items"]
        assert (fresh["source"], fresh["points"], fresh["available"], fresh["origin_lot_id"]) == (
            "returned",
            10,
            10,
            lot_id,
        )
        assert ts(fresh["expires_at"]) == now + GRACE
        entry = await newest_entry(api)
        assert entry["postings"] == [
            {"lot_id": lot_id, "from_state": "deducted", "to_state": "reissued", "points": 10},
            {"lot_id": fresh["id"], "from_state": None, "to_state": "available", "points": 10},
        ]
        assert (entry["kind"], entry["reason"], entry["dispute_id"]) == ("return", "dispute", opened["id"])
        assert figures(await api.balance()) == (10, 0, 15)

    async def test_accept_after_the_lot_was_revoked_forfeits_the_points_in_an_unlinked_entry(self, api):
        ticket = await resolved(api)
        lot_id = ticket["allocations"][0]["lot_id"]
        opened = ok_created(await dispute(api, ticket["id"], points=10))
        ok(await api.post(f"/v1/lots/{lot_id}/revoke", {"reason": "charged back"}, role="billing"))
        ok(await accept(api, opened["id"]))
        entries = ok(await api.get("/v1/accounts/acme/ledger", params={"limit": 2}))["items"]
        assert [(e["kind"], e["reason"], e["dispute_id"]) for e in entries] == [
            ("revocation", "returned to a revoked lot", None),
            ("return", "dispute", opened["id"]),
        ]
        assert ok(await api.get(f"/v1/tickets/{ticket['id']}"))["forfeited_points"] == 10

    async def test_accept_caps_the_claim_at_what_is_left(self, api):
        ticket = await resolved(api)
        opened = ok_created(await dispute(api, ticket["id"], points=20))
        ok(await api.post(f"/v1/tickets/{ticket['id']}/credit", {"points": 15, "reason": "goodwill"}, role="helpdesk"))
        assert ok(await accept(api, opened["id"]))["points_credited"] == 10
        assert figures(await api.balance()) == (120, 0, 0)
        loose_problem(await dispute(api, ticket["id"]), 409, "invalid-state")  # nothing left to dispute

    async def test_a_dispute_whose_ticket_was_refunded_meanwhile_can_only_be_rejected(self, api):
        ticket = await resolved(api)
        opened = ok_created(await dispute(api, ticket["id"]))
        ok(await api.post(f"/v1/tickets/{ticket['id']}/refund", {"reason": "other"}, role="helpdesk"))
        loose_problem(await accept(api, opened["id"]), 409, "invalid-state")
        assert ok(await reject(api, opened["id"]))["status"] == "rejected"


class TestConcurrency:
    async def test_concurrent_accept_and_reject_one_wins(self, api, database_url):
        ticket = await resolved(api)
        opened = ok_created(await dispute(api, ticket["id"]))
        holder = None
        if database_url.startswith("postgresql"):
            # Hold the account's lock until both commands wait for it, so they race for real.
            dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
            holder = await psycopg.AsyncConnection.connect(dsn)
            await holder.execute("SELECT id FROM accounts WHERE id = 'acme' FOR UPDATE")
        tasks = [asyncio.create_task(accept(api, opened["id"])), asyncio.create_task(reject(api, opened["id"]))]
        if holder is not None:
            await asyncio.sleep(0.5)
            assert not any(task.done() for task in tasks)
            await holder.commit()
            await holder.close()
        first, second = await asyncio.gather(*tasks)
        assert sorted([first.status_code, second.status_code]) == [200, 409]
        winner = first if first.status_code == 200 else second
        loser = second if winner is first else first
        loose_problem(loser, 409, "invalid-state")
        final = ok(await api.get(f"/v1/disputes/{opened['id']}"))
        assert final == winner.json()
        credited = 25 if final["status"] == "accepted" else 0
        assert figures(await api.balance()) == (95 + credited, 0, 25 - credited)
        decisions = await events(api, "dispute.accepted", "dispute.rejected")
        assert [e["data"] for e in decisions] == [final]


async def test_the_staff_list_filters_by_status(api):
    await api.account()
    await api.buy()
    opened = {}
    for status in ("open", "accepted", "rejected"):
        ticket = await api.open()
        ok(await api.post(f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk"))
        opened[status] = ok_created(await dispute(api, ticket["id"]))["id"]
    ok(await accept(api, opened["accepted"]))
    ok(await reject(api, opened["rejected"]))
    for wanted in ("open", "accepted", "rejected"):
        items = ok(await api.get("/v1/disputes", params={"status": wanted}, role="helpdesk"))["items"]
        assert [d["id"] for d in items] == [opened[wanted]]


async def test_verify_checks_each_disputes_credit_against_its_linked_entries(api):
    """`points_credited` is what the dispute's linked entries gave back, on its ticket; a dispute
    not accepted has none. (The fixture verifies the ledger at teardown: restored first.)"""
    ticket = await resolved(api)
    accepted = ok_created(await dispute(api, ticket["id"], points=10))
    ok(await accept(api, accepted["id"]))
    rejected = ok_created(await dispute(api, ticket["id"]))
    ok(await reject(api, rejected["id"]))
    assert ok(await api.get("/v1/admin/verify"))["ok"]

    with api.db.engine.begin() as conn:  # the credit moves to the rejected dispute
        conn.execute(
            text("UPDATE ledger_entries SET dispute_id = :to WHERE dispute_id = :was"),
            {"to": rejected["id"], "was": accepted["id"]},
        )
    report = ok(await api.get("/v1/admin/verify"))
    assert sorted((d["check"], d["expected"], d["found"]) for d in report["disagreements"]) == [
        (
            f"dispute {accepted['id']} credited by its linked entries",
            {"tickets": [ticket["id"]], "points": 10},
            {"tickets": [ticket["id"]], "points": 0},
        ),
        (
            f"dispute {rejected['id']} credited by its linked entries",
            {"tickets": [ticket["id"]], "points": 0},
            {"tickets": [ticket["id"]], "points": 10},
        ),
    ]
    with api.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger_entries SET dispute_id = :to WHERE dispute_id = :was"),
            {"to": accepted["id"], "was": rejected["id"]},
        )
    assert ok(await api.get("/v1/admin/verify"))["ok"]
