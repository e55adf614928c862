"""Pages read with fewer statements, each the same page as read apart:

* the statement's two ticket parts, read with the rest of it by one statement
  (`queries.statement`): each part is the first page `tickets_page` reads for its statuses, row
  for row and with the same cursor;
* a ledger page with its entries' postings joined (`queries.ledger_page`): the entries of the page
  statement alone, each with the postings `postings_of` reads for it, in order;
* the whole statement, with one statement: what `account_and_balance`, `tickets_page` (each part)
  and `ledger_page` read apart;
* an account's ledger page, with the account beside it in one statement
  (`queries.account_ledger_page`): what `account_and_balance` then `ledger_page` read."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from points_service.db.records import Entry
from points_service.domain.errors import NotFoundError
from points_service.services import queries
from points_service.services.balance import PendingExpiry

from conftest import Api, statements_sent
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


def _ticket_pages_apart(conn: Any, account_id: str, limit: int) -> list[queries.KeyedPage]:
    """The statement's ticket parts as `tickets_page` reads them, each by its statuses."""
    return [
        queries.tickets_page(conn, account_id, statuses=list(part), external_ref=None, after=None, limit=limit)
        for part in PARTS
    ]


def _pages(conn: Any, account_id: str, now: datetime, limit: int) -> tuple[list[Any], list[Any]]:
    st = queries.statement(conn, account_id, now, timedelta(0), limit)
    merged = [st.in_progress, st.closed]
    return [(p.items, p.next_key) for p in merged], [
        (p.items, p.next_key) for p in _ticket_pages_apart(conn, account_id, limit)
    ]


async def test_each_part_is_the_page_its_statuses_give(api: Api) -> None:
    await _with_every_status(api, "acme")
    await _with_every_status(api, "globex")  # another account's tickets stay out
    with api.db.engine.connect() as conn:
        merged, apart = _pages(conn, "acme", api.clock.now(), 50)
        statuses = [{ticket.status for ticket in items} for items, _ in merged]
        assert statuses == [{"awaiting_points", "open"}, {"refunded", "resolved"}]
        assert [len(items) for items, _ in merged] == [5, 5]
        assert {ticket.account_id for items, _ in merged for ticket in items} == {"acme"}
        for limit in (1, 2, 3, 4, 5, 6, 50):
            merged, apart = _pages(conn, "acme", api.clock.now(), limit)
            assert merged == apart, limit
            assert [key is not None for _, key in merged] == [limit < 5, limit < 5]


async def test_no_ticket(api: Api) -> None:
    await api.account("empty")
    with api.db.engine.connect() as conn:
        assert _pages(conn, "empty", api.clock.now(), 3)[0] == [([], None), ([], None)]


@pytest.mark.parametrize("path", ["/v1/accounts/acme/statement", "/v1/accounts/acme/statement?limit=3"])
async def test_the_statement_sends_one_statement_and_no_transaction(api: Api, path: str) -> None:
    await _with_every_status(api, "acme")
    with statements_sent(api.db) as statements:
        r = await api.get(path)
    assert r.status_code == 200, r.text
    sent = [s for s in statements if "FROM api_keys" not in s]  # the caller's key, if it is not cached yet
    assert len(sent) == 1, sent  # neither BEGIN nor ROLLBACK around it: one statement is one snapshot
    assert all(re.search(rf"\b{table}\b", sent[0]) for table in ("accounts", "lots", "tickets", "postings"))


async def test_the_statement_is_its_three_reads_apart(api: Api) -> None:
    """Every part, for limits that cut each part and that do not, on an account with tickets in
    every status and modifications with several postings, before its lots expire and after (their
    expiries pending, not yet written); an account with nothing; and one that does not exist."""
    await _with_every_status(api, "acme")
    await api.buy("acme", "points-60")
    body = {"points": -1300, "reason": "takes from several lots"}
    r = await api.post("/v1/accounts/acme/adjustments", body, role="admin")
    assert r.status_code in (200, 201), r.text
    await _with_every_status(api, "globex")  # another account's rows stay out
    await api.account("empty")
    window = timedelta(days=30)
    with api.db.engine.connect() as conn:
        for account_id in ("acme", "empty"):
            for now in (api.clock.now(), api.clock.now() + timedelta(days=800)):
                for limit in (1, 2, 3, 4, 5, 6, 50):
                    account, balance, due = queries.account_and_balance(conn, account_id, now, window)
                    in_progress, closed = _ticket_pages_apart(conn, account_id, limit)
                    kinds = queries.MODIFICATION_KINDS
                    modifications = queries.ledger_page(
                        conn, account, now, kinds=kinds, before_seq=None, limit=limit, due=due
                    )
                    apart = queries.StatementView(account, balance, modifications, in_progress, closed)
                    assert queries.statement(conn, account_id, now, window, limit) == apart, (account_id, now, limit)
        acme = queries.statement(conn, "acme", api.clock.now() + timedelta(days=800), window, 50)
        assert isinstance(acme.modifications.items[0][0], PendingExpiry)  # the later instant's
        assert max(len(postings) for _, postings in acme.modifications.items) >= 2
        assert [len(part.items) for part in (acme.in_progress, acme.closed)] == [5, 5]
        with pytest.raises(NotFoundError):
            queries.statement(conn, "nobody", api.clock.now(), window, 5)


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
    body = {"points": -1300, "reason": "takes from several lots"}
    r = await api.post("/v1/accounts/acme/adjustments", body, role="admin")
    assert r.status_code in (200, 201), r.text
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


async def test_an_account_ledger_page_is_its_two_reads_apart(api: Api) -> None:
    """`account_ledger_page` reads the account beside the page in one statement: the same page as
    `account_and_balance` then `ledger_page`, for three kind filters, limits that cut the page and
    that do not, three cursors, before the lots expire and after (their expiries pending)."""
    await _with_every_status(api, "acme")
    await api.buy("acme", "points-60")
    r = await api.post("/v1/accounts/acme/adjustments", {"points": -1300, "reason": "several lots"}, role="admin")
    assert r.status_code in (200, 201), r.text
    await _with_every_status(api, "globex")
    with api.db.engine.connect() as conn:
        last_seq = queries.account_and_balance(conn, "acme", api.clock.now(), timedelta(0))[0].last_seq
        for now in (api.clock.now(), api.clock.now() + timedelta(days=800)):
            account, _, due = queries.account_and_balance(conn, "acme", now, timedelta(0))
            for kinds in (None, queries.MODIFICATION_KINDS, ["capture_increase"]):
                for limit in (1, 2, 3, 7, 500):
                    for before in (None, last_seq + 2, last_seq - 2, 3):
                        one = queries.account_ledger_page(
                            conn, "acme", now, kinds=kinds, before_seq=before, limit=limit
                        )
                        apart = queries.ledger_page(
                            conn, account, now, kinds=kinds, before_seq=before, limit=limit, due=due
                        )
                        assert one == apart, (now, kinds, limit, before)
        later = queries.account_ledger_page(
            conn, "acme", api.clock.now() + timedelta(days=800), kinds=None, before_seq=None, limit=500
        )
        assert isinstance(later.items[0][0], PendingExpiry)
        assert max(len(postings) for _, postings in later.items) >= 2
        with pytest.raises(NotFoundError):
            queries.account_ledger_page(conn, "nobody", api.clock.now(), kinds=None, before_seq=None, limit=5)
