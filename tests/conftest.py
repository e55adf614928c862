"""Shared fixtures: a migrated database per test, the app over ASGI, a controllable clock."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, insert
from sqlalchemy.engine import make_url

from points_service.app import create_app
from points_service.db.engine import create_engine
from points_service.db.migrate import upgrade
from points_service.db.schema import api_keys, metadata
from points_service.services.keys import hash_key
from points_service.services.uow import Database
from points_service.services.verify import verify
from points_service.settings import Settings

from pgtools import BACKENDS, PG_URL, RecycledDatabase, admin_sql
from support.times import T0
from testkeys import TEST_KEYS  # one key per role, stored in the templates each test copies


class FrozenClock:
    """A clock that only moves when the test moves it."""

    def __init__(self, now: datetime = T0) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    def set(self, moment: datetime) -> None:
        self.current = moment


def _add_test_keys(url: str) -> None:
    engine = create_engine(Settings(database_url=url), connections=1)
    try:
        with engine.connect() as conn:  # autocommit: the INSERT is its own transaction
            conn.execute(
                insert(api_keys),
                [
                    {
                        "id": f"key_test_{role}",
                        "name": f"test-{role}",
                        "role": role,
                        "account_id": "acme" if role == "viewer" else None,
                        "key_hash": hash_key(secret),
                        "created_at": T0,
                    }
                    for role, secret in TEST_KEYS.items()
                ],
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite database without keys (for the CLI tests)."""
    path = tmp_path_factory.mktemp("template") / "points.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def keyed_template_db(template_db: Path) -> Path:
    """The migrated SQLite database with the test keys, copied for each test."""
    path = template_db.with_name("keyed.db")
    shutil.copy(template_db, path)
    _add_test_keys(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test's database is copied from."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests need POINTS_TEST_DATABASE_URL (make test starts a server)")
    name = f"points_template_{os.getpid()}"

    admin_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin_sql(f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    _add_test_keys(url)
    yield name
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test, on each backend (sync: runs outside the loop)."""
    if request.param == "sqlite":
        path = tmp_path / "points.db"
        shutil.copy(request.getfixturevalue("keyed_template_db"), path)
        yield f"sqlite:///{path}"
        return
    recycled: RecycledDatabase = request.getfixturevalue("pg_database")
    name = recycled.take(fresh=request.node.get_closest_marker("fresh_database") is not None)
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_database(pg_template: str) -> Iterator[RecycledDatabase]:
    """This test process's PostgreSQL database, given back to each test in the template's state."""
    recycled = RecycledDatabase(pg_template, [table.name for table in reversed(metadata.sorted_tables)])
    yield recycled
    recycled.drop()


@pytest.fixture
def settings(database_url: str) -> Settings:
    # NORMAL survives process crashes (not power loss): all a test needs, at a fraction of the fsyncs.
    return Settings(database_url=database_url, auth_cache_seconds=0, sqlite_synchronous="NORMAL")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@contextlib.contextmanager
def statements_sent(db: Database) -> Iterator[list[str]]:
    """The SQL statements `db` sends inside the block, each on one line."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


# The access check's look-up of a ticket's account (queries.TICKET_OWNER), as `statements_sent` writes it.
TICKET_OWNER_LOOKUP = "SELECT tickets.account_id FROM tickets"


def ticket_owner_lookups(statements: list[str]) -> list[str]:
    """The look-ups of a ticket's account among `statements` (from `statements_sent`)."""
    return [s for s in statements if s.startswith(TICKET_OWNER_LOOKUP)]


@dataclass
class Api:
    """The app over ASGI, with one key per role (`viewer` bound to account `acme`)."""

    client: httpx.AsyncClient
    clock: FrozenClock
    db: Database
    keys: dict[str, str] = field(default_factory=dict)
    _serial: int = 0

    def serial(self) -> int:
        """A number unique within the test, for payment ids and external references."""
        self._serial += 1
        return self._serial

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    async def request(self, method: str, path: str, role: str = "admin", **kwargs: Any) -> httpx.Response:
        headers = {**self.auth(role), **kwargs.pop("headers", {})} if role else kwargs.pop("headers", {})
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str, role: str = "admin", **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, role, **kwargs)

    async def post(self, path: str, json: Any = None, role: str = "admin", **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, role, json=json, **kwargs)

    async def put(self, path: str, json: Any = None, role: str = "admin", **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, role, json=json, **kwargs)

    # Shortcuts for arranging a scenario; each asserts that the step succeeded.
    async def account(self, account_id: str = "acme") -> None:
        r = await self.put(f"/v1/accounts/{account_id}", {})
        assert r.status_code in (200, 201), r.text

    async def buy(
        self, account_id: str = "acme", plan: str = "points-120", payment_id: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        payment_id = payment_id or f"pay-{account_id}-{plan}-{self.serial()}"
        r = await self.post(
            f"/v1/accounts/{account_id}/purchases", {"plan": plan, "payment_id": payment_id, **extra}, role="billing"
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def open(
        self, account_id: str = "acme", category: str = "store-problem", ref: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        body = {"external_ref": ref or f"T-{self.serial()}", "category": category, **extra}
        r = await self.post(f"/v1/accounts/{account_id}/tickets", body, role="helpdesk")
        assert r.status_code == 201, r.text
        return r.json()

    async def balance(self, account_id: str = "acme") -> dict[str, Any]:
        r = await self.get(f"/v1/accounts/{account_id}/balance")
        assert r.status_code == 200, r.text
        return r.json()


async def _assert_verified(db: Database) -> None:
    report = await db.read(verify)
    assert report.ok, report.disagreements


@pytest.fixture
async def api(settings: Settings, clock: FrozenClock) -> AsyncIterator[Api]:
    """The app with keys for every role. After the test, the ledger must verify clean."""
    db = Database.from_settings(settings)
    app = create_app(settings, clock=clock, database=db)
    keys = dict(TEST_KEYS)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client=client, clock=clock, db=db, keys=keys)
    await _assert_verified(db)
    await db.dispose()
