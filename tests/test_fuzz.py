"""Schemathesis over the whole API: every operation for every role, and a stateful run along the links.

Each test runs the app in process (ASGI) over its own copy of a database seeded with realistic
data: account `acme` with purchased lots, a license bonus, an import, an open, a resolved and a
refunded ticket; account `other` with a lot, a revoked lot and an open ticket; a stored webhook
delivery. Valid path parameters and catalogue codes in bodies mostly name those objects, so most
requests reach real objects instead of 404s. After each test the ledger must verify clean.

Every default check runs (`call_and_validate`), with one refinement: `positive_data_acceptance`
also accepts the SPEC's own 422/412 answers that no JSON Schema can state (`BODY_RULES`, each
pinned to its operation, pointer and message). The test acts as a correct client would: the
role's key where the operation asks for one (`RoleKey`), Idempotency-Keys unique to the request,
three billing events in four signed. And schemathesis relabels its coverage-phase headers by the
document (`relabel_coverage_headers`): that phase sends placeholders it cannot make valid.

`POINTS_FUZZ_EXAMPLES` sets the examples per operation and role (default 50; `make fuzz` runs a
long campaign). Without it, a role is fuzzed only on the operations it may call (the others
answer 403 whatever the input, which tests/api/test_permissions.py proves).

Runs are derandomized, so a failure in CI reproduces locally (`POINTS_FUZZ_SEED`
with `--hypothesis-seed` explores elsewhere).

`make test` fuzzes on SQLite only: the campaign is about the HTTP contract (status codes, schemas,
validation), which hardly depends on the database, and a PostgreSQL run would double this file's
time beyond the budget of `make test`. What does depend on it (text PostgreSQL cannot store, like
NUL) has regression tests on both databases in tests/api/test_strange_inputs.py, and `make fuzz`
runs the long campaign on both (`POINTS_FUZZ_BACKENDS=sqlite,postgresql`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase
from schemathesis.generation.value import GeneratedValue
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.engine import make_url

from points_service.app import create_app
from points_service.settings import Settings

from api.test_permissions import ENDPOINTS
from pgtools import PG_URL, admin_sql
from support.times import T0
from support.webhooks import signed_headers
from testkeys import TEST_KEYS


class FrozenClock:
    """The app's clock, stopped at T0 (as the conftest clock is until a test moves it)."""

    def now(self) -> datetime:
        return T0


EXAMPLES = int(os.environ.get("POINTS_FUZZ_EXAMPLES") or 50)
# Derandomized unless a campaign asks for other ground (`make fuzz FUZZ_SEED=7` also passes
# `--hypothesis-seed=7`, so that run can be repeated).
RANDOM_SEED = os.environ.get("POINTS_FUZZ_SEED") or None
STATEFUL_EXAMPLES = max(25, EXAMPLES // 4)
ROLES = ("admin", "billing", "helpdesk", "viewer")
# `make test` fuzzes on SQLite only (see the module docstring); `make fuzz` on both databases.
BACKENDS = [name.strip() for name in (os.environ.get("POINTS_FUZZ_BACKENDS") or "sqlite").split(",") if name.strip()]
WEBHOOK_SECRET = "whsec_" + "ZnV6emluZy10aGUtcG9pbnRzLXNlcnZpY2U="

SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=RANDOM_SEED is None,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        # The app and its database are per test, not per example: the examples of one operation
        # share them on purpose (state accumulates, as in real use).
        HealthCheck.function_scoped_fixture,
    ],
    print_blob=True,
)


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TEST_KEYS[role]}"}


# ---- the seeded database ----------------------------------------------------------------------


@dataclass
class Seeded:
    """Ids and codes of the seeded objects, which generated requests are steered to."""

    accounts: list[str] = field(default_factory=lambda: ["acme", "other"])
    tickets: list[str] = field(default_factory=list)
    lots: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    disputes: list[str] = field(default_factory=list)


def _ok(response: Any, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200, 201)), (response.status_code, response.text)
    return response.json()


def seed(client: asgi.ASGIClient) -> Seeded:
    """Two accounts with lots and tickets in every state, through the API itself."""
    seeded = Seeded()
    admin, billing, helpdesk = auth("admin"), auth("billing"), auth("helpdesk")
    for account_id in seeded.accounts:
        _ok(client.put(f"/v1/accounts/{account_id}", json={"display_name": account_id.title()}, headers=admin))
    for account_id, plan, payment in (
        ("acme", "points-120", "pay-acme-1"),
        ("acme", "points-300", "pay-acme-2"),
        ("other", "points-60", "pay-other-1"),
        ("other", "points-60", "pay-other-2"),
    ):
        body = _ok(
            client.post(
                f"/v1/accounts/{account_id}/purchases", json={"plan": plan, "payment_id": payment}, headers=billing
            )
        )
        seeded.lots.append(body["lot"]["id"])
    _ok(client.post(f"/v1/lots/{seeded.lots[-1]}/revoke", json={"reason": "charged back"}, headers=billing), 200)
    body = _ok(
        client.post(
            "/v1/accounts/acme/licenses", json={"license_key": "LIC-ACME-1", "product": "default"}, headers=billing
        )
    )
    seeded.lots.append(body["lot"]["id"])
    legacy = {"points": 40, "granted_at": "2025-06-01T00:00:00Z", "external_ref": "legacy-1", "reason": "old helpdesk"}
    seeded.lots.append(_ok(client.post("/v1/accounts/acme/imports", json=legacy, headers=admin))["lot"]["id"])
    opened = {}
    for account_id, ref, category in (
        ("acme", "HD-1", "store-problem"),
        ("acme", "HD-2", "consultation"),
        ("acme", "HD-3", "small-mod"),
        ("other", "HD-9", "consultation"),
    ):
        ticket = _ok(
            client.post(
                f"/v1/accounts/{account_id}/tickets", json={"external_ref": ref, "category": category}, headers=helpdesk
            )
        )
        opened[ref] = ticket["id"]
        seeded.tickets.append(ticket["id"])
    _ok(client.post(f"/v1/tickets/{opened['HD-2']}/resolve", json={"note": "answered"}, headers=helpdesk), 200)
    _ok(client.post(f"/v1/tickets/{opened['HD-3']}/refund", json={"reason": "duplicate"}, headers=helpdesk), 200)
    claim = {"reason": "too much", "points": 5}
    dispute = _ok(client.post(f"/v1/tickets/{opened['HD-2']}/disputes", json=claim, headers=helpdesk), 201)
    seeded.disputes.append(dispute["id"])
    event = {
        "type": "payment.succeeded",
        "data": {
            "payment_id": "pay-other-3",
            "account_id": "other",
            "plan": "points-120",
            "amount": "68.50",
            "currency": "USD",
            "paid_at": T0.isoformat(),
        },
    }
    _ok(
        client.post("/v1/webhooks/billing", data=json.dumps(event), headers=signed(json.dumps(event), "msg_seed_1")),
        200,
    )
    for kind, target in (
        ("plans", seeded.plans),
        ("categories", seeded.categories),
        ("license-products", seeded.products),
    ):
        body = _ok(client.get(f"/v1/{kind}", params={"include_inactive": "true", "limit": 500}, headers=admin), 200)
        target.extend(item["code"] for item in body["items"])
    return seeded


def signed(body: str, msg_id: str) -> dict[str, str]:
    """Standard Webhooks headers for `body`, signed now with the configured secret."""
    return signed_headers(body, msg_id, WEBHOOK_SECRET)


def _settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        auth_cache_seconds=1,
        sqlite_synchronous="NORMAL",
        webhook_secrets=WEBHOOK_SECRET,
        dispatch=False,  # the fuzzer's endpoints are never sent to
    )


@dataclass
class Template:
    """The keyed test database with the seed data, made once per worker and backend; each test
    (and each stateful scenario) gets its own copy."""

    backend: str
    source: str  # SQLite: the file; PostgreSQL: the template database's name
    seeded: Seeded
    copies: Iterator[int] = field(default_factory=lambda: iter(range(10**9)))

    def copy(self, where: Path) -> tuple[str, Any]:
        """A fresh copy: its URL, and what drops it."""
        if self.backend == "sqlite":
            path = where / f"points-{next(self.copies)}.db"
            shutil.copy(self.source, path)
            return f"sqlite:///{path}", lambda: None
        name = f"fuzz_{uuid.uuid4().hex[:16]}"
        admin_sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.source}"')
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        return url, lambda: admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _seeded(url: str) -> Seeded:
    app = create_app(_settings(url), clock=FrozenClock())
    with asgi.get_client(app) as client:
        seeded = seed(client)
    asgi.shutdown_lifespans()  # disposes the engine: the database is complete and unused
    return seeded


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "seeded.db"
        shutil.copy(request.getfixturevalue("keyed_template_db"), path)
        yield Template("sqlite", str(path), _seeded(f"sqlite:///{path}"))
        return
    name = f"fuzz_seeded_{os.getpid()}"
    admin_sql(f'CREATE DATABASE "{name}" TEMPLATE "{request.getfixturevalue("pg_template")}"')
    try:
        yield Template(
            "postgresql", name, _seeded(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
        )
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Serving:
    """The app over a fresh copy of the seeded database; on close the ledger must verify clean."""

    def __init__(self, template: Template, where: Path) -> None:
        url, self.drop = template.copy(where)
        self.app = create_app(_settings(url), clock=FrozenClock())
        self.client = asgi.get_client(self.app).__enter__()

    def close(self) -> None:
        try:
            report = _ok(self.client.get("/v1/admin/verify", headers=auth("admin")), 200)
            assert report["ok"], report["disagreements"]
        finally:
            self.client.__exit__(None, None, None)
            asgi.shutdown_lifespans()  # disposes the app's engine
            self.drop()


@pytest.fixture
def fuzz_app(tmp_path: Path, seeded_template: Template) -> Iterator[Any]:
    serving = Serving(seeded_template, tmp_path)
    yield serving.app
    serving.close()


@dataclass
class Target:
    """What the running test aims at: its role's key and its seeded objects."""

    role: str = "admin"
    seeded: Seeded = field(default_factory=Seeded)


TARGET = Target()


@pytest.fixture
def target(seeded_template: Template) -> Iterator[Target]:
    global TARGET
    TARGET = Target(seeded=seeded_template.seeded)
    yield TARGET
    TARGET = Target()


# ---- the schema, with the role's key and aimed values ----------------------------------------

# The document only: an app over an in-memory database that is never touched. Each test sends
# its requests to its own app over a seeded database (`app=`), built by the same factory.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings(database_url="sqlite://", dispatch=False)))


@schema.auth(refresh_interval=None)
class RoleKey:
    """The running test's role key, where the operation asks for one. Schemathesis leaves it out
    of the cases that test a missing or malformed `Authorization` (expecting 401)."""

    def get(self, case: Any, context: Any) -> str:
        return TEST_KEYS[TARGET.role]

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers["Authorization"] = f"Bearer {data}"


def _known_codes(path: str) -> list[str]:
    seeded = TARGET.seeded
    if path.startswith("/v1/plans"):
        return seeded.plans
    if path.startswith("/v1/license-products"):
        return seeded.products
    return seeded.categories


def _aimed(generated: Any, alternatives: dict[str, list[Any]]) -> st.SearchStrategy:
    """The generated dict, or with some valid values replaced by alternatives (drawn, so shrinkable).

    Negative cases (schemathesis wraps them in a `GeneratedValue`) keep their invalid values."""
    if isinstance(generated, GeneratedValue) or not isinstance(generated, dict):
        return st.just(generated)
    choices = {
        name: st.sampled_from([value, *alternatives[name]]) if alternatives.get(name) else st.just(value)
        for name, value in generated.items()
    }
    return st.fixed_dictionaries(choices)


def _known_ids(path: str) -> dict[str, list[str]]:
    seeded = TARGET.seeded
    return {
        "account_id": seeded.accounts,
        "ticket_id": seeded.tickets,
        "lot_id": seeded.lots,
        "dispute_id": seeded.disputes,
        "code": _known_codes(path),
    }


@schema.hook
def before_generate_path_parameters(context: Any, strategy: st.SearchStrategy) -> st.SearchStrategy:
    """Most valid path parameters name a seeded object, so most requests reach real ones."""
    path = context.operation.path
    return strategy.flatmap(lambda generated: _aimed(generated, {k: v * 2 for k, v in _known_ids(path).items()}))


def aim_path(case: Any) -> None:
    """The same for the cases no strategy drew (the coverage and examples phases): two in three
    valid path parameters are replaced by a seeded object's id, chosen by the case's content."""
    if not case.path_parameters or case.meta is None or case.meta.is_negative_at(ParameterLocation.PATH):
        return
    known = _known_ids(case.path)
    if all(value in known.get(name, [value]) for name, value in case.path_parameters.items()):
        return
    digest = hashlib.sha256(repr((case.path_parameters, case.query, case.body)).encode()).digest()
    if digest[0] % 3 == 0:
        return
    case.path_parameters = {  # an assignment: schemathesis revalidates the case's metadata
        name: known[name][digest[i + 1] % len(known[name])] if known.get(name) else value
        for i, (name, value) in enumerate(case.path_parameters.items())
    }


def _date_time_fields(document: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The names of the request bodies' and the query's date-time fields, read from the document."""

    def is_instant(node: dict[str, Any]) -> bool:
        return node.get("format") == "date-time" or any(is_instant(alt) for alt in node.get("anyOf", []))

    bodies: set[str] = set()
    query: set[str] = set()
    components = document["components"]["schemas"]
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and is_instant(parameter["schema"]):
                    query.add(parameter["name"])
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            model = components.get(body.get("$ref", "").rsplit("/", 1)[-1], body)
            bodies.update(name for name, prop in model.get("properties", {}).items() if is_instant(prop))
    return bodies, query


# Instants that exist in their own offset but fall outside years 1-9999 in UTC: every date-time
# field (and the billing events' dates) sometimes gets one, and must answer 422, never 500.
CALENDAR_EDGES = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]
BODY_INSTANTS, QUERY_INSTANTS = _date_time_fields(schema.raw_schema)
assert {"purchased_at", "granted_at", "expires_at"} <= BODY_INSTANTS and "expiring_before" in QUERY_INSTANTS


def _edge_events() -> list[dict[str, Any]]:
    """Billing events whose date falls outside the calendar in UTC."""
    payment = {"payment_id": "pay-edge", "account_id": "acme", "plan": "points-60", "amount": "34.50"}
    payment["currency"] = "USD"
    license = {"license_key": "LIC-EDGE", "account_id": "acme", "product": "default"}
    return [
        *({"type": "payment.succeeded", "data": {**payment, "paid_at": edge}} for edge in CALENDAR_EDGES),
        *({"type": "license.purchased", "data": {**license, "purchased_at": edge}} for edge in CALENDAR_EDGES),
    ]


@schema.hook
def before_generate_query(context: Any, strategy: st.SearchStrategy) -> st.SearchStrategy:
    """Date-time filters sometimes name an instant outside the calendar."""
    return strategy.flatmap(lambda generated: _aimed(generated, dict.fromkeys(QUERY_INSTANTS, CALENDAR_EDGES)))


@schema.hook
def before_generate_body(context: Any, strategy: st.SearchStrategy) -> st.SearchStrategy:
    """Catalogue codes in bodies often name real entries, instants often fall in the allowed window
    (and sometimes outside the calendar)."""

    def aim(generated: Any) -> st.SearchStrategy:
        seeded = TARGET.seeded
        recent = [(T0 - timedelta(days=1)).isoformat(), T0.isoformat()]
        known: dict[str, list[Any]] = {
            **dict.fromkeys(BODY_INSTANTS, CALENDAR_EDGES),
            "plan": seeded.plans,
            "product": seeded.products,
            "category": seeded.categories,
            "purchased_at": [*recent, *CALENDAR_EDGES],
            "granted_at": [*recent, *CALENDAR_EDGES],
            "expires_at": [(T0 + timedelta(days=400)).isoformat(), *CALENDAR_EDGES],
            "estimated_points": [None],
            "quantity": [None, 1, 2],
            "paid": [None, {"amount": "68.50", "currency": "USD"}],
        }
        return _aimed(generated, known)

    if context.operation.path == "/v1/webhooks/billing":
        edge_events = _edge_events()
        return strategy.flatmap(
            lambda generated: (
                st.just(generated)
                if isinstance(generated, GeneratedValue)
                else st.sampled_from([generated, generated, *edge_events])
            )
        )
    return strategy.flatmap(aim)


# ---- what a correct client does -----------------------------------------------------------------


def relabel_coverage_headers(case: Any) -> None:
    """Let schemathesis judge coverage-phase headers by the document.

    Its coverage phase writes only alphanumeric header values, so for a pattern it cannot satisfy
    (`If-Match: "3"`) it sends a placeholder (`If-Match: 0`) still labelled valid, which the API
    rightly refuses. Assigning the container makes schemathesis revalidate it against the
    document: the case is then labelled as the invalid request it is, and checked as one."""
    if case.meta is not None and case.meta.phase.name == TestPhase.COVERAGE and case.headers is not None:
        case.headers = case.headers


def unique_idempotency_key(case: Any) -> None:
    """Make a valid Idempotency-Key unique to the request's content, as a correct client does.

    The fuzzer draws few distinct keys ("0", "00", …) for many different requests; the API rightly
    answers those 422 `idempotency-key-reused` (docs/design.md §8), which would hide the operation itself.
    Keys derived from the content keep the generated key's text, replay identical requests, and
    leave invalid keys (negative cases) alone.
    """
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if not isinstance(key, str) or not re.fullmatch(r"[\x20-\x7e]{1,255}", key):
        return
    headers = {name.lower(): value for name, value in case.headers.items() if name.lower() != "idempotency-key"}
    content = json.dumps(
        [case.method, case.path, case.path_parameters, case.query, headers, repr(case.body)],
        sort_keys=True,
        default=repr,
    )
    case.headers["Idempotency-Key"] = f"{key[:200]}~{hashlib.sha256(content.encode()).hexdigest()[:20]}"


def sign_webhook(case: Any) -> None:
    """Sign three billing events in four (as the billing system does), so the fuzzer reaches the
    event handling; the others keep their generated, invalid signatures (401)."""
    if case.operation.path != "/v1/webhooks/billing" or case.meta is None:
        return
    if case.meta.is_negative_at(ParameterLocation.HEADER) or not isinstance(case.body, dict):
        return
    body = json.dumps(case.body, allow_nan=False)  # what the transport sends for a JSON body
    if hashlib.sha256(body.encode()).digest()[0] % 4 == 0:
        return
    msg_id = case.headers.get("webhook-id") or "msg"
    case.headers.update({k: v for k, v in signed(body, msg_id).items() if k != "content-type"})


# ---- the checks ---------------------------------------------------------------------------------

# Rules (docs/design.md §11) that JSON Schema cannot state: a schema-valid request that breaks one is answered 422
# (or 412) by design, so `positive_data_acceptance` accepts exactly these answers as well. Each is
# (operations, status, problem slug, error pointer, detail pattern); anything else a schema-valid
# request gets outside 2xx/401/403/404/409 still fails.
_LISTS = ("list_plans", "list_categories", "list_license_products", "list_accounts", "list_ledger_entries",
          "list_lots", "list_tickets", "list_webhook_events", "list_events", "list_idle_tickets",
          "list_webhook_endpoints", "list_webhook_deliveries", "list_disputes", "list_account_disputes",
          "verify_ledger")  # fmt: skip
_TICKET_WRITES = ("adjust_ticket", "resolve_ticket", "refund_ticket", "credit_ticket")
_PRICED = ("open_ticket", "adjust_ticket", "resolve_ticket")
# fmt: off
AS_OF = ("get_balance", "get_statement", "list_ledger_entries", "list_lots", "list_tickets")
BODY_RULES: list[tuple[tuple[str, ...], int, str, str, str]] = [
    # §3 conventions: a cursor is valid only for the endpoint and filters that produced it
    (_LISTS, 422, "validation-error", "#/query/cursor", r"the cursor is not valid for this endpoint and these filters"),
    # §3: a stale If-Match answers 412 with current_version
    (_TICKET_WRITES, 412, "precondition-failed", "", r"the ticket is at version \d+"),
    # §1 catalogue: codes name entries of a catalogue that changes at run time
    (("create_purchase",), 422, "validation-error", "#/plan", r"unknown plan '.*'"),
    (("create_license",), 422, "validation-error", "#/product", r"unknown license product '.*'"),
    (("open_ticket", "adjust_ticket"), 422, "validation-error", "#/category",
     r"unknown category '.*'|category '.*' is no longer offered"),
    # §2 numbers: exactly the currency's minor digits
    (("put_plan",), 422, "validation-error", "#/price/amount",
     r"amount must be a decimal string with exactly \d minor digits for [A-Z]{3}, like '.*'"),
    (("create_purchase",), 422, "validation-error", "#/paid/amount",
     r"amount must be a decimal string with exactly \d minor digits for [A-Z]{3}, like '.*'"),
    # §3 purchases: up to 5 minutes ahead and 7 days back (admin: any past time)
    (("create_purchase", "create_license"), 422, "validation-error", "#/purchased_at",
     r"must not be more than (5 minutes in the future|7 days in the past.*)"),
    # §3 imports: granted in the past, expiring after the grant
    (("create_import",), 422, "validation-error", "#/granted_at", r"must not be in the future"),
    (("create_import",), 422, "validation-error", "#/expires_at", r"must be after granted_at"),
    # §3 adjustments: −N writes off available points (422 if fewer are available); expiry of +N only
    (("create_adjustment",), 422, "validation-error", "#/points", r"only \d+ points are available to write off"),
    (("create_adjustment",), 422, "validation-error", "#/expires_at",
     r"must be in the future|applies only to positive adjustments"),
    # §1 pricing rules of the categories: range min ≤ max, formulas within the points limit
    (("put_category",), 422, "validation-error", "#/pricing/max", r"max must be at least min"),
    (("put_category",), 422, "validation-error", "#/pricing",
     r"the formula exceeds \d+ points at its minimum quantity"),
    # §3 quote and tickets: quantity for formulas only, estimated_points per the category's rule
    (("quote_category", *_PRICED), 422, "validation-error", "#/(query/)?quantity",
     r"quantity \(.*\) is required for this category|quantity must be at least \d+|"
     r"quantity prices the ticket above \d+ points|quantity applies only to formula-priced categories"),
    (_PRICED, 422, "validation-error", "#/estimated_points",
     r"this category (and quantity )?costs? exactly \d+ points|"
     r"estimated_points (is required: .*|must be (between|at least) .*)"),
    # §2 ticket states: a credit is 1 ≤ points ≤ deducted − returned, else 422 with max_points
    (("credit_ticket",), 422, "validation-error", "#/points", r"a credit must be between 1 and \d+ points"),
    # §6.3 disputes: a claim, and an accepted credit, name at most what is left to return
    (("open_dispute",), 422, "validation-error", "#/points", r"a claim must be between 1 and \d+ points"),
    (("accept_dispute",), 422, "validation-error", "#/points", r"a credit must be between 1 and \d+ points"),
    # §1 numbers and time: every instant within years 1-9999 once in UTC
    (("create_purchase", "create_license", "create_import", "create_adjustment", "list_accounts", "list_events",
      "finance_report", "export_ledger", "get_estimate_report", *AS_OF), 422,
     "validation-error", "#/(query/)?[a-z_]+", r"must fall within the years 1 to 9999 once converted to UTC"),
    # §6.2 a period [from, to) of at most 10 years (docs/design.md §13); a finance report's ends by now
    (("finance_report", "export_ledger", "get_estimate_report"), 422, "validation-error", "#/query/from",
     r"from must not be after to"),
    (("finance_report", "export_ledger", "get_estimate_report"), 422, "validation-error", "#/query/to",
     r"to must be at most 10 years after from"),
    (("finance_report",), 422, "validation-error", "#/query/to",
     r"to must not be in the future: a report covers what was recorded"),
    # §6.2 as of: an instant not in the future
    (AS_OF, 422, "validation-error", "#/query/as_of", r"must not be in the future"),
    # §6.3: idle for 1 hour to 3 years
    (("list_idle_tickets",), 422, "validation-error", "#/query/idle_for",
     r"must be a duration from 1 hour \(PT1H\) to 3 years \(P3Y\)"),
    # §4: an event that cannot be applied yet is stored as failed and answered 422, so the sender retries
    (("receive_billing_event",), 422, "validation-error", "#/data", r".+"),
    # §6.1 push: an endpoint's URL must reach a public host (resolved), its account must exist,
    # and a redelivered event must be one the endpoint takes
    (("create_webhook_endpoint",), 422, "validation-error", "#/url", r".+"),
    (("create_webhook_endpoint",), 422, "validation-error", "#/account_id", r"account '.*' does not exist"),
    (("redeliver_webhook_event",), 422, "validation-error", "#/event_id",
     r"the endpoint does not take this event \(its types or account\)"),
]
# fmt: on


def _spec_rule(case: Any, response: Any) -> bool:
    """Whether the answer is one of BODY_RULES for this operation (every error it lists)."""
    try:
        problem = response.json()
    except ValueError:
        return False
    if not isinstance(problem, dict):
        return False
    operation = case.operation.definition.raw.get("operationId")
    errors = problem.get("errors")
    for operations, status, slug, pointer, detail in BODY_RULES:
        if operation not in operations or response.status_code != status or problem.get("type") != f"/problems/{slug}":
            continue
        if not pointer:
            if re.fullmatch(detail, str(problem.get("detail"))):
                return True
        elif (
            isinstance(errors, list)
            and len(errors) >= 1  # several only when each is this rule's (both instants of a period)
            and all(
                isinstance(error, dict)
                and re.fullmatch(pointer, str(error.get("pointer")))
                and re.fullmatch(detail, str(error.get("detail")))
                for error in errors
            )
        ):
            return True
    return False


def positive_data_acceptance_per_spec(ctx: Any, response: Any, case: Any) -> bool | None:
    """`positive_data_acceptance`, except for the SPEC's own rules (BODY_RULES)."""
    if _spec_rule(case, response):
        return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = {"excluded_checks": [positive_data_acceptance], "additional_checks": [positive_data_acceptance_per_spec]}


# ---- stateless: every operation, every role ---------------------------------------------------


# Who may call what (docs/design.md §7), as the permission matrix states it.
PERMITTED = {(e.method, e.path): e.roles for e in ENDPOINTS}


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest, target: Target) -> str:
    """The role whose key the requests carry. In `make test` a role the operation refuses is not
    fuzzed: the permission matrix and the attack matrices prove every such call is a 403 (before
    the body is read), and the campaign (`POINTS_FUZZ_EXAMPLES`, `make fuzz`) fuzzes them too."""
    operation = re.search(r"\[(\w+) ([^]\s]+)\]", request.node.name)
    if not os.environ.get("POINTS_FUZZ_EXAMPLES") and operation is not None:
        permitted = PERMITTED.get((operation[1], operation[2]))
        if permitted is not None and request.param not in permitted:
            pytest.skip(f"{request.param} is refused this operation (403): tests/api/test_permissions.py")
    target.role = request.param
    return request.param


@schema.parametrize()
@SETTINGS
def test_every_operation(case: Any, role: str, fuzz_app: Any) -> None:
    relabel_coverage_headers(case)
    aim_path(case)
    unique_idempotency_key(case)
    sign_webhook(case)
    case.call_and_validate(app=fuzz_app, **CHECKS)


# ---- stateful: along the links ----------------------------------------------------------------


@pytest.mark.parametrize("stateful_role", ["admin", "helpdesk"])
def test_links(stateful_role: str, target: Target, tmp_path: Path, seeded_template: Template) -> None:
    """Scenarios following the OpenAPI links (put_account → purchase / open_ticket → the ticket's
    operations, purchase → revoke_lot), each on a fresh copy of the seeded database, so that
    Hypothesis can replay and shrink a failing scenario."""
    target.role = stateful_role

    class Links(schema.as_state_machine()):  # type: ignore[misc]  # a base class made at run time
        def setup(self) -> None:
            self.serving = Serving(seeded_template, tmp_path)

        def teardown(self) -> None:
            self.serving.close()

        def before_call(self, case: Any) -> None:
            unique_idempotency_key(case)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"app": self.serving.app}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, transport_kwargs=kwargs, **CHECKS)

    Links.run(
        settings=hypothesis.settings(
            SETTINGS, max_examples=STATEFUL_EXAMPLES, stateful_step_count=10, suppress_health_check=list(HealthCheck)
        )
    )
