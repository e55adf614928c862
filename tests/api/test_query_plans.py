"""Every statement the API sends on a hot path reaches its rows through an index.

A scenario calls every operation of the OpenAPI document (each read and write at least once, with
its filters and a second page), recording each statement the service sends with its parameters.
Each one is then explained on the same database: on SQLite, `EXPLAIN QUERY PLAN` must not `SCAN`
one of the ledger's tables; on PostgreSQL, `EXPLAIN` with `enable_seqscan = off` must not keep a
`Seq Scan` of one (the planner turns to an index whenever one can serve; on a test database's tiny
tables a sequential scan would otherwise always look cheapest). A table that grows with history
read whole is what makes a read slow down year by year (docs/performance.md, "Cost and history").

On SQLite the same statements are also checked to keep their plan from one run to the next
(`test_sqlite_plans_each_statement_once`).

Exempt, by design: the whole-database `verify` (it checks every row; `verify?account_id=` is
checked), the finance report (`WHOLE_HISTORY`) and statements with no table of the ledger in them
(the catalogue, the API keys).
"""

from __future__ import annotations

import asyncio
import ctypes
import ipaddress
import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from points_service.app import create_app
from points_service.db import schema as t
from points_service.services import dispatch
from points_service.services.dispatch import Dispatcher
from points_service.settings import Settings

from conftest import Api
from support.times import T0
from support.webhooks import signed_headers

SECRET = "whsec_" + "cXVlcnktcGxhbnMtb2YtdGhlLXNlcnZpY2U="
# The plans depend on the catalog's statistics: each test on a fresh copy of the template.
pytestmark = pytest.mark.fresh_database


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, auth_cache_seconds=0, webhook_secrets=SECRET)


LEDGER_TABLES = (
    "accounts", "lots", "tickets", "ledger_entries", "postings", "idempotency_keys", "events",
    "webhook_deliveries", "webhook_attempts", "disputes",
)  # fmt: skip
# Not hot paths: the finance report's opening liability is every posting recorded before `from`,
# so its one aggregate statement reads the postings recorded before `to` whole, by design — a
# month-end report run by billing, not a request the service answers per customer action.
WHOLE_HISTORY = {"finance_report"}
_SKIP = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET|SHOW|PRAGMA|SELECT 1\b)", re.IGNORECASE)


@dataclass
class Sent:
    statement: str
    parameters: Any
    operation: str


class Recorder:
    """The statements the service sends, each with the operation being called."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.operation = "setup"

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool) -> None:
        if self.operation in WHOLE_HISTORY:
            return
        if _SKIP.match(statement) or not any(re.search(rf"\b{t}\b", statement) for t in LEDGER_TABLES):
            return
        first = parameters[0] if many and parameters else parameters
        self.sent.append(Sent(statement, first, self.operation))


def _signed(body: str, msg_id: str) -> dict[str, str]:
    return signed_headers(body, msg_id, SECRET)


async def _scenario(api: Api, recorder: Recorder) -> set[str]:
    """Calls every operation (with its filters and second pages); returns the operationIds called."""
    called: set[str] = set()

    async def call(operation: str, method: str, path: str, body: Any = None, role: str = "admin", **kw: Any) -> Any:
        recorder.operation = operation
        headers = {**(api.auth(role) if role else {}), **kw.pop("headers", {})}
        raw = kw.pop("raw", False)
        r = await api.client.request(method, path, json=body, headers=headers, **kw)
        recorder.operation = "setup"
        assert r.status_code < 300, (operation, r.status_code, r.text)
        called.add(operation)
        return None if raw else r.json()

    usd = {"amount": "50.00", "currency": "USD"}
    await call("put_plan", "PUT", "/v1/plans/points-90", {"points": 90, "price": usd})
    pricing = {"type": "fixed", "points": 5}
    await call("put_category", "PUT", "/v1/categories/tiny", {"group": "g", "name": "Tiny", "pricing": pricing})
    product = {"name": "Pro", "bonus_points": 30, "bonus_policy": "every_license"}
    await call("put_license_product", "PUT", "/v1/license-products/pro", product)
    await call("put_account", "PUT", "/v1/accounts/acme", {"display_name": "ACME"})
    await call("put_account", "PUT", "/v1/accounts/other", {})
    for n in (0, 1, 2, 0):  # the last one replays its Idempotency-Key
        purchase = {"plan": "points-120", "payment_id": f"pay-{n}"}
        await call(
            "create_purchase",
            "POST",
            "/v1/accounts/acme/purchases",
            purchase,
            "billing",
            headers={"Idempotency-Key": f"k-{n}"},
        )
    await call(
        "create_license", "POST", "/v1/accounts/acme/licenses", {"license_key": "LIC-1", "product": "pro"}, "billing"
    )
    legacy = {"points": 40, "granted_at": "2025-06-01T00:00:00Z", "external_ref": "old-1", "reason": "migration"}
    await call("create_import", "POST", "/v1/accounts/acme/imports", legacy)
    lot = (
        await call("create_adjustment", "POST", "/v1/accounts/acme/adjustments", {"points": 10, "reason": "goodwill"})
    )["lot"]
    await call("create_adjustment", "POST", "/v1/accounts/acme/adjustments", {"points": -5, "reason": "write-off"})
    event = {
        "type": "payment.succeeded",
        "data": {
            "payment_id": "pay-wh",
            "account_id": "acme",
            "plan": "points-60",
            "amount": "34.50",
            "currency": "USD",
            "paid_at": T0.isoformat(),
        },
    }
    body = json.dumps(event)
    await call(
        "receive_billing_event", "POST", "/v1/webhooks/billing", role="", content=body, headers=_signed(body, "msg-1")
    )
    tickets = []
    for n in range(4):
        opened = {"external_ref": f"HD-{n}", "category": "store-problem"}
        tickets.append((await call("open_ticket", "POST", "/v1/accounts/acme/tickets", opened, "helpdesk"))["id"])
    await call("get_ticket", "GET", f"/v1/tickets/{tickets[0]}")
    await call(
        "adjust_ticket",
        "POST",
        f"/v1/tickets/{tickets[0]}/adjust",
        {"points": 30, "reason": "more"},
        "helpdesk",
        headers={"If-Match": '"1"'},
    )
    await call("resolve_ticket", "POST", f"/v1/tickets/{tickets[0]}/resolve", {}, "helpdesk")
    await call("resolve_ticket", "POST", f"/v1/tickets/{tickets[1]}/resolve", {}, "helpdesk")
    await call("refund_ticket", "POST", f"/v1/tickets/{tickets[2]}/refund", {"reason": "software_bug"}, "helpdesk")
    await call(
        "credit_ticket", "POST", f"/v1/tickets/{tickets[1]}/credit", {"points": 5, "reason": "goodwill"}, "helpdesk"
    )
    await call("revoke_lot", "POST", f"/v1/lots/{lot['id']}/revoke", {"reason": "mistake"}, "billing")
    claim = {"reason": "the fix did not hold", "points": 5}
    first = await call("open_dispute", "POST", f"/v1/tickets/{tickets[0]}/disputes", claim, "viewer")
    second = await call(
        "open_dispute", "POST", f"/v1/tickets/{tickets[1]}/disputes", {"reason": "too much"}, "helpdesk"
    )
    await call("get_dispute", "GET", f"/v1/disputes/{first['id']}", role="viewer")
    await call("accept_dispute", "POST", f"/v1/disputes/{first['id']}/accept", {"note": "agreed"}, "helpdesk")
    await call("reject_dispute", "POST", f"/v1/disputes/{second['id']}/reject", {"note": "it works"}, "helpdesk")
    await call("open_dispute", "POST", f"/v1/tickets/{tickets[1]}/disputes", {"reason": "again"}, "helpdesk")
    opened = (await call("list_events", "GET", "/v1/events", params={"type": "ticket.opened", "limit": 1}))["items"]
    await call("get_event", "GET", f"/v1/events/{opened[0]['id']}")
    await call("put_account", "PUT", "/v1/accounts/acme", {"low_balance_threshold": 10_000})
    for operation, path in (
        ("quote_category", "/v1/categories/store-problem/quote"),
        ("get_account", "/v1/accounts/acme"),
        ("get_balance", "/v1/accounts/acme/balance"),
        ("get_statement", "/v1/accounts/acme/statement?limit=2"),
        ("list_plans", "/v1/plans"),
        ("list_categories", "/v1/categories"),
        ("list_license_products", "/v1/license-products"),
        ("list_webhook_events", "/v1/admin/webhook-events"),
        ("list_accounts", "/v1/accounts?expiring_before=2030-01-01T00:00:00Z"),
        ("verify_ledger", "/v1/admin/verify?account_id=acme"),
        ("verify_ledger", "/v1/admin/verify?limit=1"),  # a page of accounts: an id range
        ("finance_report", "/v1/reports/finance?from=2020-01-01T00:00:00Z&to=2026-01-15T00:00:00Z&group_by=plan"),
        ("expiry_forecast", "/v1/reports/expiry-forecast?months=60"),
        ("get_estimate_report", "/v1/reports/estimates?from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z"),
        ("healthz", "/healthz"),
        ("readyz", "/readyz"),
    ):
        await call(operation, "GET", path)
    for operation, path, filters in (
        ("list_accounts", "/v1/accounts", {}),
        ("list_ledger_entries", "/v1/accounts/acme/ledger", {}),
        ("list_ledger_entries", "/v1/accounts/acme/ledger", {"kind": "purchase"}),
        ("list_lots", "/v1/accounts/acme/lots", {}),
        ("list_lots", "/v1/accounts/acme/lots", {"include_empty": "true"}),
        ("list_tickets", "/v1/accounts/acme/tickets", {}),
        ("list_tickets", "/v1/accounts/acme/tickets", {"status": "resolved"}),
        ("list_tickets", "/v1/accounts/acme/tickets", {"external_ref": "HD-1"}),
        ("list_idle_tickets", "/v1/tickets", {"idle_for": "PT1H"}),
        ("list_events", "/v1/events", {}),
        ("list_events", "/v1/events", {"type": "ticket.opened"}),
        ("list_events", "/v1/events", {"type": ["ticket.opened", "points.granted"]}),
        ("list_events", "/v1/events", {"account_id": "acme"}),
        ("list_events", "/v1/events", {"account_id": "acme", "type": "points.granted"}),
        ("list_events", "/v1/events", {"created_after": "2020-01-01T00:00:00Z"}),
        ("list_disputes", "/v1/disputes", {}),
        ("list_disputes", "/v1/disputes", {"status": "open"}),
        ("list_disputes", "/v1/disputes", {"status": ["accepted", "rejected"]}),
        ("list_account_disputes", "/v1/accounts/acme/disputes", {}),
    ):
        page = await call(operation, "GET", path, params={**filters, "limit": 1})
        if page["next_cursor"]:  # a second page adds its keyset condition
            await call(operation, "GET", path, params={**filters, "limit": 1, "cursor": page["next_cursor"]})
    for accept in ("application/x-ndjson", "text/csv"):  # a chunk, and the next one after its keyset
        period = {"from": "2020-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"}
        await call("export_ledger", "GET", "/v1/ledger/export", params=period, headers={"Accept": accept}, raw=True)
    await _push_scenario(api, call, recorder)
    api.clock.advance(timedelta(days=800))  # lots due to expire, not yet written
    await call("get_balance", "GET", "/v1/accounts/acme/balance")
    await call("get_statement", "GET", "/v1/accounts/acme/statement")
    await call("list_ledger_entries", "GET", "/v1/accounts/acme/ledger")
    # As of an instant in the past (docs/design.md §15): the same reads rebuilt from what was recorded by then.
    at = (api.clock.now() - timedelta(days=1)).isoformat()
    await call("get_balance", "GET", "/v1/accounts/acme/balance", params={"as_of": at})
    await call("get_statement", "GET", "/v1/accounts/acme/statement", params={"as_of": at, "limit": 1})
    for operation, path, filters in (
        ("list_ledger_entries", "/v1/accounts/acme/ledger", {}),
        ("list_ledger_entries", "/v1/accounts/acme/ledger", {"kind": "purchase"}),
        ("list_lots", "/v1/accounts/acme/lots", {}),
        ("list_lots", "/v1/accounts/acme/lots", {"include_empty": "true"}),
        ("list_tickets", "/v1/accounts/acme/tickets", {}),
        ("list_tickets", "/v1/accounts/acme/tickets", {"status": "resolved"}),
    ):
        page = await call(operation, "GET", path, params={**filters, "as_of": at, "limit": 1})
        if page["next_cursor"]:
            params = {**filters, "as_of": at, "limit": 1, "cursor": page["next_cursor"]}
            await call(operation, "GET", path, params=params)
    await call("run_expiry_sweep", "POST", "/v1/admin/expire", {})
    return called


async def _push_scenario(api: Api, call: Any, recorder: Recorder) -> None:
    """The webhook endpoints' operations, and the dispatcher's statements (fan-out, claim, record:
    every send refused by the address policy, so nothing leaves the machine)."""
    hook = {"url": "https://93.184.216.34/hooks", "event_types": ["*"]}
    endpoint = await call("create_webhook_endpoint", "POST", "/v1/webhook-endpoints", hook)
    spare = await call("create_webhook_endpoint", "POST", "/v1/webhook-endpoints", {**hook, "account_id": "acme"})
    page = await call("list_webhook_endpoints", "GET", "/v1/webhook-endpoints", params={"limit": 1})
    await call(
        "list_webhook_endpoints", "GET", "/v1/webhook-endpoints", params={"limit": 1, "cursor": page["next_cursor"]}
    )
    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    await call("get_webhook_endpoint", "GET", path)
    await call("disable_webhook_endpoint", "POST", f"{path}/disable")
    await call("enable_webhook_endpoint", "POST", f"{path}/enable")
    await call("rotate_webhook_endpoint_secret", "POST", f"{path}/rotate-secret")
    recorder.operation = "dispatcher"
    # Every send is refused before it leaves (the name "resolves" to a private address).
    dispatcher = Dispatcher(api.db.engine, api.clock, resolver=lambda host, port: [ipaddress.ip_address("10.0.0.1")])
    try:
        for _ in range(2):
            await asyncio.to_thread(dispatcher.run_once)
            api.clock.advance(timedelta(seconds=5))
        with api.db.engine.connect() as conn:
            event_id = conn.execute(select(t.events.c.id).where(t.events.c.account_id == "acme")).scalar()
        await call("redeliver_webhook_event", "POST", f"{path}/redeliver", {"event_id": event_id})
        await asyncio.to_thread(dispatcher.run_once)
        await asyncio.to_thread(dispatch.outbox_state_now, api.db.engine)
    finally:
        dispatcher.stop()
    attempts = await call("list_webhook_deliveries", "GET", f"{path}/deliveries", params={"limit": 1})
    await call(
        "list_webhook_deliveries", "GET", f"{path}/deliveries", params={"limit": 1, "cursor": attempts["next_cursor"]}
    )
    await call("delete_webhook_endpoint", "DELETE", f"/v1/webhook-endpoints/{spare['id']}", raw=True)


def _is_pg(api: Api) -> bool:
    return api.db.engine.dialect.name == "postgresql"


def _sqlite_scans(api: Api, sent: Sent) -> list[str]:
    with api.db.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sent.statement}", sent.parameters).all()
    details = [str(row[-1]) for row in rows]
    # A page of a whole table in an index's order (no WHERE, a LIMIT) walks a page of that index:
    # SQLite calls it a SCAN … USING INDEX; anything else named SCAN reads the table through.
    walk = " WHERE " not in sent.statement and " LIMIT " in sent.statement
    return [
        d
        for d in details
        if (m := re.match(r"SCAN (\w+)( USING (COVERING )?INDEX)?", d))
        and m.group(1) in LEDGER_TABLES
        and not (walk and m.group(2))
    ]


def _pg_scans(api: Api, sent: Sent) -> list[str]:
    with api.db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        [[plan]] = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sent.statement}", sent.parameters).all()
        conn.exec_driver_sql("RESET enable_seqscan")
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in LEDGER_TABLES:
            found.append(f"Seq Scan on {node['Relation Name']} (filter: {node.get('Filter', '-')})")
        for child in node.get("Plans", []):
            walk(child)

    walk((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
    return found


async def test_every_statement_on_a_hot_path_uses_an_index(api: Api) -> None:
    recorder = Recorder()
    event.listen(api.db.engine, "before_cursor_execute", recorder)
    try:
        called = await _scenario(api, recorder)
    finally:
        event.remove(api.db.engine, "before_cursor_execute", recorder)
    document = create_app(Settings(database_url="sqlite://")).openapi()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert called == operations, f"not called: {sorted(operations - called)}"

    explain = _pg_scans if _is_pg(api) else _sqlite_scans
    scans: dict[str, list[str]] = {}
    for sent in recorder.sent:
        for scan in explain(api, sent):
            scans.setdefault(f"{sent.operation}: {scan}", []).append(" ".join(sent.statement.split())[:400])
    assert not scans, "\n\n".join(f"{where}\n  {stmts[0]}" for where, stmts in scans.items())


# ---- SQLite keeps each statement's plan ---------------------------------------------------------

SQLITE_STMTSTATUS_REPREPARE = 5
# Planned again for each pattern by design: a LIKE pattern bound as a parameter (the staff pages'
# account search, a scan of the accounts that stops at a page of matches).
REPLANNED_BY_DESIGN = re.compile(r"\bLIKE \?")


def _sqlite_library() -> ctypes.CDLL:
    """The SQLite library the `sqlite3` module runs on: the one mapped into this process."""
    try:
        with open("/proc/self/maps") as maps:
            path = next((line.split()[-1] for line in maps if "libsqlite3" in line), None)
    except OSError:  # not Linux
        path = None
    if path is None:
        pytest.skip("the sqlite3 module's SQLite is not a shared library this process can name")
    lib = ctypes.CDLL(path)
    lib.sqlite3_libversion.restype = ctypes.c_char_p
    assert lib.sqlite3_libversion().decode() == sqlite3.sqlite_version
    lib.sqlite3_open_v2.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_char_p]
    lib.sqlite3_prepare_v2.argtypes = [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p
    ]  # fmt: skip
    for name in ("sqlite3_close", "sqlite3_finalize", "sqlite3_reset", "sqlite3_step", "sqlite3_bind_parameter_count"):
        getattr(lib, name).argtypes = [ctypes.c_void_p]
    lib.sqlite3_bind_null.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.sqlite3_stmt_status.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    return lib


def _replanned(lib: ctypes.CDLL, path: str, statements: list[str]) -> list[str]:
    """The statements SQLite prepares again each time a parameter is bound: each is prepared on a
    read-only connection, its parameters bound and the statement stepped twice, and SQLite's own
    count of its re-preparations read (`SQLITE_STMTSTATUS_REPREPARE`). Which value is bound does not
    matter: binding any value to a parameter that the plan depended on marks the plan stale."""
    db = ctypes.c_void_p()
    assert lib.sqlite3_open_v2(path.encode(), ctypes.byref(db), 0x1, None) == 0  # SQLITE_OPEN_READONLY
    found = []
    try:
        for sql in statements:
            stmt = ctypes.c_void_p()
            assert lib.sqlite3_prepare_v2(db, sql.encode(), -1, ctypes.byref(stmt), None) == 0, sql
            try:
                for _ in range(2):
                    for n in range(1, lib.sqlite3_bind_parameter_count(stmt) + 1):
                        lib.sqlite3_bind_null(stmt, n)
                    lib.sqlite3_step(stmt)  # a write fails on this connection, after any re-preparation
                    lib.sqlite3_reset(stmt)
                if lib.sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_REPREPARE, 0):
                    found.append(sql)
            finally:
                lib.sqlite3_finalize(stmt)
    finally:
        lib.sqlite3_close(db)
    return found


async def test_sqlite_plans_each_statement_once(api: Api) -> None:
    """No statement the service sends makes SQLite plan it again at every run. SQLite does that when
    a bound parameter is compared to a column that a partial index's condition names (`status =
    ?` beside `ix_tickets_idle_due … WHERE status = 'open'`): preparing the statement again cost
    more than running it (docs/performance.md). Such values are written into the statement
    (`schema.is_word`, `literal_column`)."""
    if _is_pg(api):
        pytest.skip("SQLite's planning")
    lib = _sqlite_library()
    recorder = Recorder()
    event.listen(api.db.engine, "before_cursor_execute", recorder)
    try:
        await _scenario(api, recorder)
    finally:
        event.remove(api.db.engine, "before_cursor_execute", recorder)
    statements = sorted({sent.statement for sent in recorder.sent if not REPLANNED_BY_DESIGN.search(sent.statement)})
    assert len(statements) > 100  # the scenario's reads and writes
    path = api.db.engine.url.database
    assert path
    replanned = await asyncio.to_thread(_replanned, lib, path, statements)
    assert not replanned, "\n\n".join(" ".join(sql.split())[:600] for sql in replanned)


def test_the_replanning_detector_sees_a_bound_status(api: Api) -> None:
    """The negative control: the statement this fixed, a ticket status bound as a parameter."""
    if _is_pg(api):
        pytest.skip("SQLite's planning")
    path = api.db.engine.url.database
    assert path
    bound = "SELECT id FROM tickets WHERE account_id = ? AND status = ?"
    written = "SELECT id FROM tickets WHERE account_id = ? AND status = 'open'"
    assert _replanned(_sqlite_library(), path, [bound, written]) == [bound]


def test_the_detectors_see_a_full_scan(api: Api) -> None:
    """The negative control: a statement no index can serve is reported by both detectors."""
    sent = Sent("SELECT id FROM ledger_entries WHERE reason = 'x'", (), "control")
    explain = _pg_scans if _is_pg(api) else _sqlite_scans
    assert explain(api, sent), "a full scan of ledger_entries went unnoticed"


# ---- the work of a read does not grow with the account's history ------------------------------

LIMIT = 5
READS = [
    "/v1/accounts/acme",
    "/v1/accounts/acme/balance",
    f"/v1/accounts/acme/statement?limit={LIMIT}",
    f"/v1/accounts/acme/ledger?limit={LIMIT}",
    f"/v1/accounts/acme/ledger?limit={LIMIT}&kind=purchase",
    f"/v1/accounts/acme/lots?limit={LIMIT}",
    f"/v1/accounts/acme/lots?limit={LIMIT}&include_empty=true",
    f"/v1/accounts/acme/tickets?limit={LIMIT}",
    f"/v1/accounts/acme/tickets?limit={LIMIT}&status=open",
    f"/v1/accounts/acme/tickets?limit={LIMIT}&status=resolved",
    f"/v1/accounts/acme/tickets?limit={LIMIT}&status=open&status=refunded",
]


def _rows_touched_pg(api: Api, sent: Sent) -> int:
    """Rows the executed plan read from the ledger's tables: returned, and removed by filters.

    The planner is steered to the paths a large table gets (index scans in index order): on a test
    database's few hundred rows, reading them all and sorting is what it would rightly choose."""
    with api.db.engine.connect() as conn:
        for path in ("seqscan", "bitmapscan", "sort"):
            conn.exec_driver_sql(f"SET enable_{path} = off")
        [[plan]] = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sent.statement}", sent.parameters).all()
        conn.exec_driver_sql("RESET ALL")
    total = 0

    def walk(node: dict[str, Any]) -> None:
        nonlocal total
        if node.get("Relation Name") in LEDGER_TABLES:
            read = (
                node["Actual Rows"]
                + node.get("Rows Removed by Filter", 0)
                + node.get("Rows Removed by Index Recheck", 0)
            )
            total += read * node["Actual Loops"]
        for child in node.get("Plans", []):
            walk(child)

    walk((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
    return total


def _steps_sqlite(api: Api, sent: Sent) -> int:
    """SQLite virtual machine instructions to run the statement to its end (they grow with the
    rows it visits)."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    with api.db.engine.connect() as conn:
        driver = conn.connection.driver_connection
        driver.set_progress_handler(count, 1)
        try:
            conn.exec_driver_sql(sent.statement, sent.parameters).all()
        finally:
            driver.set_progress_handler(None, 1)
    return steps


async def _work_of_reads(api: Api, page_two: dict[str, str]) -> dict[str, int]:
    """Each read's work, summed over the statements it sends."""
    recorder = Recorder()
    event.listen(api.db.engine, "before_cursor_execute", recorder)
    try:
        for path in [*READS, *page_two.values()]:
            recorder.operation = path
            r = await api.get(path)
            assert r.status_code == 200, (path, r.text)
    finally:
        event.remove(api.db.engine, "before_cursor_execute", recorder)
    measure = _rows_touched_pg if _is_pg(api) else _steps_sqlite
    work: dict[str, int] = {}
    for sent in recorder.sent:
        name = next((label for label, path in page_two.items() if path == sent.operation), sent.operation)
        work[name] = work.get(name, 0) + measure(api, sent)
    return work


async def _cycles(api: Api, first: int, count: int) -> None:
    """History that leaves nothing live: a 60-point pack, a ticket that takes all of it, resolved;
    every fourth cycle a refunded ticket too."""
    for n in range(first, first + count):
        await api.buy(plan="points-60", payment_id=f"cycle-{n}")
        ticket = await api.open(category="sixty", ref=f"C-{n}")
        assert (await api.post(f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk")).status_code == 200
        if n % 4 == 0:
            ticket = await api.open(category="tiny", ref=f"R-{n}")
            r = await api.post(f"/v1/tickets/{ticket['id']}/refund", {"reason": "duplicate"}, role="helpdesk")
            assert r.status_code == 200, r.text


async def _second_pages(api: Api) -> dict[str, str]:
    """The second page of each list (its cursor as of now)."""
    pages = {}
    for label, path in (
        ("ledger p2", "/v1/accounts/acme/ledger"),
        ("tickets p2", "/v1/accounts/acme/tickets"),
        ("lots p2", "/v1/accounts/acme/lots?include_empty=true"),
    ):
        sep = "&" if "?" in path else "?"
        cursor = (await api.get(f"{path}{sep}limit={LIMIT}")).json()["next_cursor"]
        assert cursor, label
        pages[label] = f"{path}{sep}limit={LIMIT}&cursor={cursor}"
    return pages


async def test_a_read_does_the_same_work_at_ten_times_the_history(api: Api) -> None:
    """Each account read, with a page of 5, is measured on an account with 24 cycles of history and
    again after 216 more (10x the entries, tickets and consumed lots), with the same live state:
    the work (PostgreSQL: rows its plan read; SQLite: VM instructions) stays within 1.5x."""
    await api.account()
    for code, points in (("sixty", 60), ("tiny", 5)):
        category = {"group": "g", "name": code, "pricing": {"type": "fixed", "points": points}}
        assert (await api.put(f"/v1/categories/{code}", category)).status_code in (200, 201)
    # What is live: a lot consumed after every cycle's pack, and two open tickets holding from it.
    live = {"points": 300, "reason": "live", "expires_at": (T0 + timedelta(days=3650)).isoformat()}
    assert (await api.post("/v1/accounts/acme/adjustments", live)).status_code == 201
    await _cycles(api, 0, 24)  # every list has more than a page (6 refunded tickets)
    for ref in ("OPEN-1", "OPEN-2"):
        await api.open(category="tiny", ref=ref)
    before = await _work_of_reads(api, await _second_pages(api))
    await _cycles(api, 24, 216)
    after = await _work_of_reads(api, await _second_pages(api))
    grown = {read: (before[read], after[read]) for read in before if after[read] > 1.5 * before[read] + 20}
    assert not grown, f"work grew with history (before, after): {grown}"
