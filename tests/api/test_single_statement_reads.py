"""Reads that fit in one statement run without BEGIN/COMMIT (`Database.read_one`).

A balance read, an owner look-up and an API-key look-up are each one statement, which reads one
consistent snapshot on its own on both databases. These tests pin that they stay one statement,
that they really run outside a transaction, and that a reader's connection is left as it was:
reads of several statements still BEGIN a read-only snapshot (REPEATABLE READ on PostgreSQL), and
end it.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from points_service.services.uow import Database
from points_service.settings import Settings

from conftest import Api, statements_sent


def _in_transaction(conn: Any) -> bool:
    driver = conn.connection.driver_connection  # sqlite3's or psycopg's connection
    if hasattr(driver, "in_transaction"):
        return bool(driver.in_transaction)
    return driver.info.transaction_status != 0  # psycopg: IDLE is 0


def _record_statements(db: Database) -> list[tuple[str, bool]]:
    """Each statement run from now on: its first words, and whether it ran inside a transaction."""
    seen: list[tuple[str, bool]] = []

    def record(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split(None, 2)[: 2 if statement.startswith("BEGIN") else 1]
        seen.append((" ".join(words).upper(), _in_transaction(conn)))

    event.listen(db.engine, "after_cursor_execute", record)
    return seen


async def test_a_balance_read_is_one_statement_outside_any_transaction(api: Api) -> None:
    await api.account("acme")
    await api.post("/v1/accounts/acme/adjustments", {"points": 50, "reason": "seed"})
    seen = _record_statements(api.db)
    balance = await api.balance("acme")
    assert balance["available"] == 50
    # The balance statement also finds the account (no separate look-up); the tests' key cache is
    # off, so the key is looked up too: also one statement, outside any transaction.
    assert seen == [("SELECT", False), ("SELECT", False)], seen


@pytest.mark.parametrize("suffix", ["", "/balance", "/statement"])
async def test_routes_that_find_their_account_answer_absence_and_access_as_before(api: Api, suffix: str) -> None:
    """These routes skip the separate look-up of the account (their own first query finds it)."""
    await api.account("acme")
    await api.account("other")
    cases = [
        ("nobody", "admin", 404, "account 'nobody' does not exist"),
        ("bad%20id", "admin", 404, "account 'bad id' does not exist"),  # before any 422
        ("other", "viewer", 404, "account 'other' does not exist"),  # the viewer is acme's
        ("nobody", "viewer", 404, "account 'nobody' does not exist"),
        ("acme", "viewer", 200, None),
        ("other", "helpdesk", 200, None),
    ]
    for account, role, status, detail in cases:
        r = await api.get(f"/v1/accounts/{account}{suffix}", role=role)
        assert r.status_code == status, (account, role, r.text)
        if detail is not None:
            assert r.json()["type"] == "/problems/not-found" and r.json()["detail"] == detail, r.text


@pytest.mark.parametrize("suffix", ["", "/ledger", "/statement"])
async def test_account_views_read_the_account_once_with_its_lots(api: Api, suffix: str) -> None:
    """The account, its balance and its due expiries come from one statement (the account joined
    to its lots); the ledger page reads its entries with their postings beside them in the same
    statement, and the statement its entries and its two ticket lists. One statement reads one
    snapshot: no transaction is begun around it."""
    await api.account("acme")
    await api.post("/v1/accounts/acme/adjustments", {"points": 50, "reason": "seed"})
    with statements_sent(api.db) as statements:
        r = await api.get(f"/v1/accounts/acme{suffix}")
    assert r.status_code == 200, r.text
    selects = [s for s in statements if s.startswith("SELECT") and "FROM api_keys" not in s]
    assert len(selects) == 1, selects
    on_accounts = [s for s in selects if "FROM accounts" in s]
    assert len(on_accounts) == 1 and "JOIN lots" in on_accounts[0], on_accounts
    assert not [s for s in selects if "FROM lots" in s], "the lots come with the account"
    assert not [s for s in statements if s.split()[0] in ("BEGIN", "COMMIT", "ROLLBACK")], statements


@pytest.mark.parametrize("query", ["", "?status=open&status=awaiting_points", "?external_ref=r-1"])
async def test_a_tickets_page_is_one_statement_outside_any_transaction(api: Api, query: str) -> None:
    await api.account("acme")
    await api.post("/v1/accounts/acme/adjustments", {"points": 50, "reason": "seed"})
    await api.post("/v1/accounts/acme/tickets", {"external_ref": "r-1", "category": "consultation"})
    seen = _record_statements(api.db)
    r = await api.get(f"/v1/accounts/acme/tickets{query}")
    assert r.status_code == 200 and len(r.json()["items"]) == 1, r.text
    # The key's look-up (the tests' key cache is off) and the account's, by the access check, are
    # single statements too: nothing begins a transaction.
    assert seen and all(words == "SELECT" and not inside for words, inside in seen), seen


async def test_reads_leave_their_connection_as_they_found_it(settings: Settings) -> None:
    db = Database.from_settings(settings.model_copy(update={"readers": 1}))
    try:
        seen = _record_statements(db)
        assert (await db.read_one(text("SELECT 1")))[0][0] == 1

        def isolation(conn: Connection) -> str:
            if db.is_sqlite:
                return "serializable"  # SQLite's only level
            return str(conn.execute(text("SHOW transaction_isolation")).scalar_one())

        assert await db.read(isolation) in ("repeatable read", "serializable")
        assert (await db.read_one(text("SELECT 2")))[0][0] == 2
        if db.is_sqlite:
            assert seen == [("SELECT", False), ("BEGIN", True), ("ROLLBACK", False), ("SELECT", False)], seen
        else:
            assert seen == [
                ("SELECT", False),
                ("BEGIN ISOLATION", True),
                ("SHOW", True),
                ("ROLLBACK", False),
                ("SELECT", False),
            ], seen
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/v1/accounts/nobody/statement?limit=0", None),
        ("GET", "/v1/accounts/nobody/ledger?limit=0", None),
        ("POST", "/v1/accounts/nobody/tickets", {"external_ref": "T", "category": "consultation", "bogus": 1}),
        ("POST", "/v1/accounts/nobody/purchases", {"plan": 5}),
        ("POST", "/v1/accounts/nobody/adjustments", {"points": "x"}),
    ],
)
async def test_routes_that_find_their_account_later_still_answer_404_before_422(
    api: Api, method: str, path: str, body: Any
) -> None:
    """These routes make no look-up of their own (their read or command finds the account); a
    request that fails validation first still gets the 404 an absent account is owed first."""
    r = await api.request(method, path, "admin", json=body)
    assert r.status_code == 404, r.text
    assert r.json()["detail"] == "account 'nobody' does not exist"
    await api.account("nobody")
    r = await api.request(method, path, "admin", json=body)
    assert r.status_code == 422, r.text  # the account exists: the request's own fault is told


async def test_a_write_whose_command_finds_no_account_is_404_and_stored_under_its_key(api: Api) -> None:
    headers = {"Idempotency-Key": "missing-account"}
    body = {"points": 5, "reason": "r"}
    first = await api.post("/v1/accounts/nobody/adjustments", body, headers=headers)
    assert first.status_code == 404 and first.json()["detail"] == "account 'nobody' does not exist", first.text
    await api.account("nobody")
    again = await api.post("/v1/accounts/nobody/adjustments", body, headers=headers)
    assert again.status_code == 404 and again.headers.get("idempotent-replayed") == "true", again.text
