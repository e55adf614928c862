"""Pages read with fewer statements, each the same page as read apart:

* the statement's two ticket parts, with one statement (`queries.ticket_parts`): each part is the
  first page `tickets_page` reads for its statuses, row for row and with the same cursor;
* a ledger page with its entries' postings joined (`queries.ledger_page`): the entries of the page
  statement alone, each with the postings `postings_of` reads for it, in order."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from points_service.db.records import Entry
from points_service.services import queries

from conftest import Api
from support.ui_scenario import scripted

PARTS = (queries.IN_PROGRESS, queries.CLOSED)


async def _with_every_status(api: Api, account_id: str) -> None:
    """Tickets in each of the four statuses, several of each, opened at distinct and equal instants."""
    await scripted(api, account_id, closed=5)  # resolved, one refunded, two open
    for n in range(3):  # more than the account's points can pay: waiting for points
        api.clock.advance(timedelta(minutes=n))  # two of them at the same instant: the id breaks the tie
        body = {"external_ref": f"W-{n}", "category": "other", "estimated_points": 5000, "when_insufficient": "wait"}
        r = await api.post(f"/v1/accounts/{account_id}/tickets", body, role="helpdesk")
        assert r.status_code == 202 and r.json()["status"] == "awaiting_points", r.text


def _pages(conn: Any, account_id: str, limit: int) -> tuple[list[Any], list[Any]]:
    merged = queries.ticket_parts(conn, account_id, PARTS, limit=limit)
    apart = [
        queries.tickets_page(conn, account_id, statuses=list(part), external_ref=None, after=None, limit=limit)
        for part in PARTS
    ]
    return [(p.items, p.next_key) for p in merged], [(p.items, p.next_key) for p in apart]


async def test_each_part_is_the_page_its_statuses_give(api: Api) -> None:
    await _with_every_status(api, "acme")
    await _with_every_status(api, "globex")  # another account's tickets stay out
    with api.db.engine.connect() as conn:
        merged, apart = _pages(conn, "acme", 50)
        statuses = [{ticket.status for ticket in items} for items, _ in merged]
        assert statuses == [{"awaiting_points", "open"}, {"refunded", "resolved"}]
        assert [len(items) for items, _ in merged] == [5, 5]
        assert {ticket.account_id for items, _ in merged for ticket in items} == {"acme"}
        for limit in (1, 2, 3, 4, 5, 6, 50):
            merged, apart = _pages(conn, "acme", limit)
            assert merged == apart, limit
            assert [key is not None for _, key in merged] == [limit < 5, limit < 5]


async def test_no_ticket_no_account(api: Api) -> None:
    await api.account("empty")
    with api.db.engine.connect() as conn:
        for account_id in ("empty", "nobody"):
            assert [(p.items, p.next_key) for p in queries.ticket_parts(conn, account_id, PARTS, limit=3)] == [
                ([], None),
                ([], None),
            ]


async def test_the_statement_sends_one_statement_for_its_ticket_parts(api: Api) -> None:
    await _with_every_status(api, "acme")
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM api_keys" not in statement:  # the caller's key, if it is not cached yet
            sent.append(statement)

    event.listen(api.db.engine, "before_cursor_execute", record)
    try:
        assert (await api.get("/v1/accounts/acme/statement")).status_code == 200
    finally:
        event.remove(api.db.engine, "before_cursor_execute", record)
    assert sum(bool(re.search(r"\bFROM tickets\b", statement)) for statement in sent) == 1
    assert sum(bool(re.search(r"\bpostings\b", statement)) for statement in sent) == 1  # joined to the ledger page
    assert len(sent) == 5  # BEGIN, the account and its lots, the ledger page, the tickets, ROLLBACK


def _apart(conn: Any, account_id: str, kinds: Any, before_seq: int, limit: int) -> list[tuple[Entry, Any]]:
    """A ledger page's entries as the page statement reads them, each with `postings_of`'s postings."""
    chosen = sorted(set(kinds)) if kinds is not None else []
    params = {"account_id": account_id, "before_seq": before_seq, "limit": limit + 1}
    params |= {f"kind_{n}": kind for n, kind in enumerate(chosen)}
    entries = [Entry(*row) for row in conn.execute(queries._ledger_page_statement(len(chosen)), params)][:limit]
    postings = queries.postings_of(conn, [e.id for e in entries])
    return [(e, postings.get(e.id, [])) for e in entries]


async def test_a_ledger_page_has_each_entry_with_its_own_postings(api: Api) -> None:
    await _with_every_status(api, "acme")
    await api.buy("acme", "points-60")
    big = await api.open("acme", "store-problem", ref="SPAN", subject="over several lots")
    r = await api.post(f"/v1/tickets/{big['id']}/adjust", {"points": 1340, "reason": "spans the lots"}, role="helpdesk")
    assert r.status_code == 200, r.text
    await _with_every_status(api, "globex")
    with api.db.engine.connect() as conn:
        account = queries.account_and_balance(conn, "acme", api.clock.now(), timedelta(0))[0]
        whole = queries.ledger_page(
            conn, account, api.clock.now(), kinds=None, before_seq=None, limit=500, due=[]
        ).items
        assert len(whole) == account.last_seq
        counts = [len(postings) for _, postings in whole]
        assert max(counts) >= 2, counts  # the adjustment took points from several lots
        for kinds in (None, queries.MODIFICATION_KINDS, ["capture_increase"]):
            for limit in (1, 2, 3, 7, 500):
                for before in (account.last_seq + 1, account.last_seq - 2, 3):
                    page = queries.ledger_page(
                        conn, account, api.clock.now(), kinds=kinds, before_seq=before, limit=limit, due=[]
                    )
                    assert page.items == _apart(conn, "acme", kinds, before, limit), (kinds, limit, before)
