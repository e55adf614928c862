"""Reads that fit in one statement run without BEGIN/COMMIT (`Database.read_rows`).

A balance read, an owner look-up and an API-key look-up are each one statement, which reads one
consistent snapshot on its own on both databases. These tests pin that they stay one statement,
that they really run outside a transaction, and that the connection they used goes back to the
pool as it was: later transactions still BEGIN (IMMEDIATE for writes on SQLite), with their
isolation level.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text

from points_service.db.engine import WRITE_OPTION, create_engine
from points_service.services.uow import Database
from points_service.settings import Settings

from conftest import Api, statements_sent


def _in_transaction(conn: Any) -> bool:
    driver = conn.connection.driver_connection  # aiosqlite's or asyncpg's connection
    return bool(driver.in_transaction if hasattr(driver, "in_transaction") else driver.is_in_transaction())


def _record_statements(db: Database) -> list[tuple[str, bool]]:
    """Each statement run from now on: its first words, and whether it ran inside a transaction."""
    seen: list[tuple[str, bool]] = []

    def record(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split(None, 2)[:2 if statement.startswith("BEGIN") else 1]
        seen.append((" ".join(words).upper(), _in_transaction(conn)))

    event.listen(db.engine.sync_engine, "after_cursor_execute", record)
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


@pytest.mark.parametrize("suffix, reads", [("", 1), ("/ledger", 3), ("/statement", 5)])
async def test_account_views_read_the_account_once_with_its_lots(api: Api, suffix: str, reads: int) -> None:
    """The account, its balance and its due expiries come from one statement (the account joined
    to its lots); the ledger page adds its entries and their postings, the statement its two
    ticket lists."""
    await api.account("acme")
    await api.post("/v1/accounts/acme/adjustments", {"points": 50, "reason": "seed"})
    with statements_sent(api.db) as statements:
        r = await api.get(f"/v1/accounts/acme{suffix}")
    assert r.status_code == 200, r.text
    selects = [s for s in statements if s.startswith("SELECT") and "FROM api_keys" not in s]
    assert len(selects) == reads, selects
    on_accounts = [s for s in selects if "FROM accounts" in s]
    assert len(on_accounts) == 1 and "JOIN lots" in on_accounts[0], on_accounts
    assert not [s for s in selects if "FROM lots" in s], "the lots come with the account"


def _one_connection(settings: Settings) -> Database:
    return Database(create_engine(settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0})))


async def test_the_statement_runs_outside_a_transaction_and_the_connection_is_returned_as_it_was(
    settings: Settings,
) -> None:
    db = _one_connection(settings)
    try:
        seen = _record_statements(db)
        assert (await db.read_rows(text("SELECT 1")))[0][0] == 1
        async with db.sessions() as session:  # the same pooled connection, as a writer takes it
            await session.connection(execution_options={WRITE_OPTION: True})
            await session.execute(text("SELECT 1"))
        async with db.snapshot() as session:
            await session.execute(text("SELECT 1"))
            if not db.is_sqlite:
                level = (await session.execute(text("SHOW transaction_isolation"))).scalar_one()
                assert level == "repeatable read"
        async with db.sessions() as session:
            if not db.is_sqlite:
                level = (await session.execute(text("SHOW transaction_isolation"))).scalar_one()
                assert level == "read committed"
        assert (await db.read_rows(text("SELECT 2")))[0][0] == 2
        if db.is_sqlite:  # BEGIN is a statement there; the writer's takes the lock up front
            assert seen == [
                ("SELECT", False),
                ("BEGIN IMMEDIATE", True), ("SELECT", True),
                ("BEGIN", True), ("SELECT", True),
                ("SELECT", False),
            ], seen
        else:
            assert seen == [
                ("SELECT", False), ("SELECT", True), ("SELECT", True), ("SHOW", True), ("SHOW", True), ("SELECT", False)
            ], seen
    finally:
        await db.dispose()
