"""Attack matrices generated from the OpenAPI document, so a new endpoint is attacked automatically.

The cases come from the app's own document (`app.openapi()`, the authoritative one): every path and
operation, its parameters and its request schema. Nothing here names an endpoint by hand except
the tables that say what docs/design.md §7 wants of each `operationId`; a meta-test fails when the document
has an operation, a parameter or an identifier-like body field that those tables do not classify,
and the body generator fails loudly for an operation it does not know how to build a body for.

1. Object level (docs/design.md §7 "404 (a viewer naming another account or its objects, whatever the
   method)"): account A (`acme`, the viewer's) and account B (`other`). Every operation that names
   B's account, tickets or lots in its path or query, called as A's viewer and as every role:
   404 for the viewer (the same answer as for an object that does not exist), 403 for a role the
   rules refuse, and no side effect (B's account, statement, lots with the empty ones, tickets,
   compared before and after); the roles the rules allow get the documented success and never
   touch A. Bodies naming B's payment ids, license keys and import references get the documented
   answer. An Idempotency-Key never replays another key's response. No GET, followed page by page
   with every filter, ever shows B's rows to A's viewer, and a cursor of B's list is refused.
2. Function level: every role × every operation → allowed exactly where the table of docs/design.md §7 allows
   (`ROLE_TABLE`, one entry per operationId; a test asserts it covers exactly the document's).
3. Mass assignment: every JSON body (except the webhook's, docs/design.md §8) with fields that are not in its
   schema added (`available`, `status`, `version`, `account_id`, `held`, `id`, `points_hacked`, at
   every level of the body) → 422 whose `errors` point at the field, and nothing applied.
4. Secrets: keys stored only as 64-hex SHA-256 digests (no column of any table holds a key),
   compared with `hmac.compare_digest`, never in a log record (every logger at DEBUG) nor in a
   response; a revoked key is refused on the next request, on every operation.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text

from points_service.api import deps
from points_service.api.observability import JsonFormatter
from points_service.app import create_app
from points_service.db.schema import api_keys
from points_service.services.dispatch import Dispatcher
from points_service.services.keys import CreateKey, RevokeKey, hash_key
from points_service.settings import Settings

from support.problems import problem_with_context
from support.webhooks import signed_headers
from testkeys import TEST_KEYS

ROLES = ("admin", "billing", "helpdesk", "viewer")
A, B = "acme", "other"  # the viewer's account, and the account it attacks
WEBHOOK_SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The shared settings, with a webhook secret so the signed operation can be called (and so
    the secret can be looked for in the logs)."""
    return Settings(
        database_url=database_url, auth_cache_seconds=0, sqlite_synchronous="NORMAL", webhook_secrets=WEBHOOK_SECRET
    )


# ================================================================================================
# The document
# ================================================================================================


def _load_document() -> dict[str, Any]:
    """The app's document, built once at collection (an app per test would rebuild it each time;
    `test_document_is_the_apps` checks that the tested app serves the same one)."""
    app = create_app(Settings(database_url="sqlite://"))
    return app.openapi()


DOC = _load_document()
HTTP_METHODS = ("get", "put", "post", "patch", "delete")


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/components/schemas/"), ref
        schema = DOC["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any] = field(repr=False, compare=False, hash=False)

    @property
    def id(self) -> str:
        return str(self.spec["operationId"])

    def params(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == where]

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{([^}]+)}", self.path)

    @property
    def query_params(self) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.params("query")}

    @property
    def body_schema(self) -> dict[str, Any] | None:
        body = self.spec.get("requestBody")
        if body is None:
            return None
        return resolve(body["content"]["application/json"]["schema"])

    @property
    def documented(self) -> set[int]:
        return {int(status) for status in self.spec["responses"]}


OPERATIONS: list[Operation] = [
    Operation(method.upper(), path, spec)
    for path, item in DOC["paths"].items()
    for method, spec in item.items()
    if method in HTTP_METHODS
]
BY_ID = {op.id: op for op in OPERATIONS}


def params(ops: list[Operation]) -> list[Any]:
    return [pytest.param(op, id=op.id) for op in ops]


# ================================================================================================
# docs/design.md §7: who may call what, one entry per operationId
# ================================================================================================

ANY = frozenset(ROLES)
STAFF = frozenset({"admin", "billing", "helpdesk"})
BILLING = frozenset({"admin", "billing"})
HELPDESK = frozenset({"admin", "helpdesk"})
ADMIN = frozenset({"admin"})
SIGNED = "signed"  # no key: a Standard Webhooks signature (docs/design.md §8); an API key alone is 401
NO_AUTH = "none"  # liveness and readiness

ROLE_TABLE: dict[str, frozenset[str] | str] = {
    # catalogue: reads for any key, changes for admin
    "list_plans": ANY,
    "list_categories": ANY,
    "list_license_products": ANY,
    "quote_category": ANY,
    "put_plan": ADMIN,
    "put_category": ADMIN,
    "put_license_product": ADMIN,
    # accounts; "reads" are the GETs (the viewer's on its own account only)
    "put_account": STAFF,
    "list_accounts": STAFF,
    "get_account": ANY,
    "get_balance": ANY,
    "get_statement": ANY,
    "list_ledger_entries": ANY,
    "list_lots": ANY,
    "list_tickets": ANY,
    "get_ticket": ANY,
    # points in
    "create_purchase": BILLING,
    "create_license": BILLING,
    "create_import": ADMIN,
    "create_adjustment": ADMIN,
    "revoke_lot": BILLING,
    # tickets
    "open_ticket": HELPDESK,
    "adjust_ticket": HELPDESK,
    "resolve_ticket": HELPDESK,
    "refund_ticket": HELPDESK,
    "credit_ticket": HELPDESK,
    # disputes (docs/design.md §3, §7): opening one is the viewer's one write, on its own account's ticket
    "open_dispute": HELPDESK | {"viewer"},
    "accept_dispute": HELPDESK,
    "reject_dispute": HELPDESK,
    "list_disputes": HELPDESK,
    "list_account_disputes": ANY,
    "get_dispute": ANY,
    # operations
    "receive_billing_event": SIGNED,
    "run_expiry_sweep": ADMIN,
    "verify_ledger": ADMIN,
    "list_webhook_events": ADMIN,
    # outgoing events (docs/design.md §8, §7): staff, and the viewer on its own account's; endpoints: admin
    "list_events": ANY,
    "get_event": ANY,
    "create_webhook_endpoint": ADMIN,
    "list_webhook_endpoints": ADMIN,
    "get_webhook_endpoint": ADMIN,
    "delete_webhook_endpoint": ADMIN,
    "disable_webhook_endpoint": ADMIN,
    "enable_webhook_endpoint": ADMIN,
    "rotate_webhook_endpoint_secret": ADMIN,
    "list_webhook_deliveries": ADMIN,
    "redeliver_webhook_event": ADMIN,
    # ticket workflow (docs/design.md §3)
    "list_idle_tickets": HELPDESK,
    # finance (docs/design.md §13)
    "finance_report": BILLING,
    "expiry_forecast": BILLING,
    # reports (docs/design.md §13, §14)
    "export_ledger": BILLING,
    "get_estimate_report": HELPDESK,
    "healthz": NO_AUTH,
    "readyz": NO_AUTH,
}

# The operations the document secures with a bearer key (an operation missing from ROLE_TABLE
# fails `allowed`, and so every test that attacks it).
KEYED = [op for op in OPERATIONS if op.spec.get("security")]


def allowed(op: Operation) -> frozenset[str]:
    roles = ROLE_TABLE.get(op.id)
    assert isinstance(roles, frozenset), f"{op.id}: add its roles (docs/design.md §7) to ROLE_TABLE"
    return roles


# ================================================================================================
# Classification of the document's parameters and body fields (a new one fails the meta-tests)
# ================================================================================================

# Path parameters the cases know how to fill: account_id → the account, ticket_id → one of its
# tickets, lot_id → one of its lots, dispute_id → one of its disputes (open), event_id → one of
# its events, code → a catalogue code.
OBJECT_PATH_PARAMS = {"account_id", "ticket_id", "lot_id", "dispute_id", "event_id"}
PATH_PARAMS = OBJECT_PATH_PARAMS | {"code", "endpoint_id"}  # webhook endpoints: admin's, of no account
# What a GET with {code} names (a PUT gets a new code each time: it creates the entry).
CODES = {"quote_category": "store-problem"}
# Which ticket a {ticket_id} operation needs (default: an open one).
TICKET_STATE = {"credit_ticket": "resolved", "open_dispute": "resolved"}

# Query parameters: "account" names an account (filled with B's id), "object" names an object of
# an account (filled with B's value in the list attacks), "page" is pagination, "filter" narrows.
QUERY_PARAMS = {
    "account_id": "account",
    "external_ref": "object",
    "limit": "page",
    "cursor": "page",
    "include_inactive": "filter",
    "include_empty": "filter",
    "quantity": "filter",
    "expiring_before": "filter",
    "kind": "filter",
    "view": "filter",
    "status": "filter",
    "outcome": "filter",
    "type": "filter",
    "created_after": "filter",
    "idle_for": "filter",
    "from": "filter",
    "to": "filter",
    "group_by": "filter",
    "months": "filter",
    "as_of": "filter",
}
# Query parameters an operation requires, and a value that succeeds.
_PERIOD = {"from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}
REQUIRED_QUERY = {
    "list_idle_tickets": {"idle_for": "PT1H"},
    "finance_report": {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
    "export_ledger": _PERIOD,
    "get_estimate_report": _PERIOD,
}
# What an "object" query parameter is filled with: the Scene attribute holding the account's value.
QUERY_OBJECT_VALUES = {"external_ref": "ticket_ref"}
HEADER_PARAMS = {"idempotency-key", "if-match", "webhook-id", "webhook-timestamp", "webhook-signature"}

# Body fields that name something of one account, and what an allowed role gets when it names
# B's on account A's path (docs/design.md §2): payment ids are unique across accounts (a purchase or an
# import with B's → 409 even with the same content), license keys belong to one account forever
# (409), imports are once per external_ref (global: 409), a ticket's external_ref is unique per
# account (B's is free on A: 201). `scene_attr` is where B's value lives on its Scene.
BODY_OBJECT_FIELDS: dict[tuple[str, str], tuple[str, int]] = {
    ("create_purchase", "payment_id"): ("payment_id", 409),
    ("create_import", "payment_id"): ("import_payment_id", 409),
    ("create_import", "external_ref"): ("import_ref", 409),
    ("create_license", "license_key"): ("license_key", 409),
    ("open_ticket", "external_ref"): ("ticket_ref", 201),
}
IDENTIFIER = re.compile(r"^(id|.+_id|.+_key|.+_ref)$")


def body_properties(schema: dict[str, Any], pointer: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (pointer, property schema) of a request schema, nested objects included."""
    schema = resolve(schema)
    for branch in schema.get("oneOf", []) + schema.get("anyOf", []):
        yield from body_properties(branch, pointer)
    for name, prop in schema.get("properties", {}).items():
        yield f"{pointer}/{name}", prop
        yield from body_properties(prop, f"{pointer}/{name}")
    if isinstance(schema.get("items"), dict):
        yield from body_properties(schema["items"], f"{pointer}/0")


# ================================================================================================
# Bodies generated from the request schemas
# ================================================================================================


class CannotBuild(AssertionError):
    """The generator does not know how to build a valid body: add an override to BODIES."""


def unique(prefix: str = "sec") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _integer(schema: dict[str, Any], pointer: str) -> int:
    low = schema.get("minimum", schema.get("exclusiveMinimum", -(10**9)))
    high = schema.get("maximum", schema.get("exclusiveMaximum", 10**9))
    forbidden = schema.get("not", {}).get("const")
    for candidate in (1, int(low), int(low) + 1, int(high)):
        if low <= candidate <= high and candidate != forbidden:
            return candidate
    raise CannotBuild(f"no integer for {pointer} in {schema}")


def _string(schema: dict[str, Any], pointer: str, now: datetime) -> str:
    if schema.get("format") == "date-time":
        return now.isoformat()
    if schema.get("format"):
        raise CannotBuild(f"unknown string format {schema['format']!r} at {pointer}")
    value = unique("sec")
    value = value[: schema.get("maxLength", len(value))]
    value += "x" * max(0, schema.get("minLength", 0) - len(value))
    pattern = schema.get("pattern")
    if pattern is not None and not re.search(pattern, value):
        raise CannotBuild(f"no string for {pointer} matching {pattern!r}: add an override")
    return value


def _non_null(schema: dict[str, Any]) -> list[dict[str, Any]]:
    schema = resolve(schema)
    branches = schema.get("oneOf", []) + schema.get("anyOf", [])
    return [resolve(b) for b in branches if resolve(b).get("type") != "null"] if branches else [schema]


def _is_object(schema: dict[str, Any]) -> bool:
    return any(b.get("type") == "object" or "properties" in b for b in _non_null(schema))


def generate(
    schema: dict[str, Any], pointer: str, now: datetime, overrides: dict[str, Any], *, nested: bool = False
) -> Any:
    """A valid value for `schema`: required properties only (with `nested`, optional objects
    too), the first branch of a union, the first enum value; `overrides` (pointer → value or
    factory) wins wherever it names a pointer."""
    if pointer in overrides:
        value = overrides[pointer]
        return value() if callable(value) else copy.deepcopy(value)
    schema = resolve(schema)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for union in ("oneOf", "anyOf"):
        if union in schema:
            branches = _non_null(schema)
            if not branches:
                return None
            return generate(branches[0], pointer, now, overrides, nested=nested)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        names = [n for n in props if n in schema.get("required", []) or (nested and _is_object(props[n]))]
        return {name: generate(props[name], f"{pointer}/{name}", now, overrides, nested=nested) for name in names}
    if kind == "string":
        return _string(schema, pointer, now)
    if kind == "integer":
        return _integer(schema, pointer)
    if kind == "boolean":
        return bool(schema.get("default", True))
    if kind == "array":
        if schema.get("minItems", 0):
            raise CannotBuild(f"arrays with minItems at {pointer}: add an override")
        return []
    raise CannotBuild(f"cannot generate {schema} at {pointer}")


# Per-operation overrides (pointer → value or factory), for what a schema cannot say: real
# catalogue codes, amounts in the currency's minor digits, a points value the rules accept.
# EVERY operation with a request body must be here, even with no override: an operation missing
# from this table fails the tests that need its body, so a new endpoint cannot slip through.
BODIES: dict[str, dict[str, Any]] = {
    "put_plan": {"#/price": {"amount": "5.00", "currency": "USD"}},
    "put_category": {},  # the first pricing branch: fixed
    "put_license_product": {},
    "put_account": {},
    "create_purchase": {"#/plan": "points-60", "#/paid": {"amount": "34.50", "currency": "USD"}},
    "create_license": {"#/product": "default"},
    "create_import": {},
    "create_adjustment": {},  # +1
    "revoke_lot": {},
    "open_ticket": {"#/category": "consultation"},
    "adjust_ticket": {"#/points": 30},
    "resolve_ticket": {},
    "refund_ticket": {},
    "credit_ticket": {"#/points": 5},
    "open_dispute": {},
    "accept_dispute": {},
    "reject_dispute": {},
    "receive_billing_event": {},  # built by `webhook_event` (a signed event, not a keyed body)
    # a public address that is never contacted (no dispatcher runs in these tests)
    "create_webhook_endpoint": {"#/url": "https://1.1.1.1/hooks", "#/event_types": ["*"]},
    "redeliver_webhook_event": {"#/event_id": "evt_0"},  # then the scene's newest event (`prepare`)
}
ENDPOINT = {"url": "https://1.1.1.1/hooks", "event_types": ["*"]}
# Admin-only operations whose bodies name objects: an admin may name any account's, so there is no
# other account's object to keep out (the object-level attacks are for roles bound by scope).
ADMIN_BODIES = {"create_webhook_endpoint", "redeliver_webhook_event"}


def build_body(op: Operation, now: datetime, *, nested: bool = False) -> Any:
    schema = op.body_schema
    assert schema is not None, op.id
    if op.id not in BODIES:
        raise CannotBuild(f"{op.id}: no entry in BODIES, so no valid body can be built for it")
    return generate(schema, "#", now, BODIES[op.id], nested=nested)


def webhook_event(account_id: str, now: datetime, **extra_data: Any) -> dict[str, Any]:
    return {
        "type": "payment.succeeded",
        "timestamp": now.isoformat(),
        "data": {
            "payment_id": unique("whpay"),
            "account_id": account_id,
            "plan": "points-60",
            "amount": "34.50",
            "currency": "USD",
            "paid_at": now.isoformat(),
            **extra_data,
        },
    }


def signed(body: bytes) -> dict[str, str]:
    return signed_headers(body, f"msg_{uuid.uuid4().hex}", WEBHOOK_SECRET)


# ================================================================================================
# Scenes, calls, snapshots
# ================================================================================================


@dataclass
class Scene:
    """An account with a purchase, a license bonus, an import, an open and a resolved ticket."""

    account_id: str
    lot_id: str = ""
    open_ticket_id: str = ""
    resolved_ticket_id: str = ""
    payment_id: str = ""
    license_key: str = ""
    import_ref: str = ""
    import_payment_id: str = ""
    ticket_ref: str = ""
    event_id: str = ""  # its newest event once arranged
    endpoint_id: str = ""  # a webhook endpoint taking every event
    dispute_id: str = ""  # open, on a resolved ticket of its own
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)


async def ok(r: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert r.status_code in (statuses or (200, 201)), f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json()  # type: ignore[no-any-return]  # the answers checked here are JSON objects


async def arrange(api: Any, account_id: str, *, full: bool = True) -> Scene:
    scene = Scene(account_id)
    await ok(await api.put(f"/v1/accounts/{account_id}", {"display_name": f"Account {account_id}"}))
    scene.payment_id = f"{account_id}-pay-{uuid.uuid4().hex[:8]}"
    scene.bodies["create_purchase"] = {"plan": "points-300", "payment_id": scene.payment_id}
    bought = await ok(
        await api.post(f"/v1/accounts/{account_id}/purchases", scene.bodies["create_purchase"], role="billing")
    )
    scene.lot_id = bought["lot"]["id"]
    if full:
        scene.license_key = f"{account_id}-LIC-{uuid.uuid4().hex[:8]}"
        scene.bodies["create_license"] = {"license_key": scene.license_key, "product": "default"}
        await ok(await api.post(f"/v1/accounts/{account_id}/licenses", scene.bodies["create_license"], role="billing"))
        scene.import_ref = f"{account_id}-IMP-{uuid.uuid4().hex[:8]}"
        scene.import_payment_id = f"{account_id}-imppay-{uuid.uuid4().hex[:8]}"
        scene.bodies["create_import"] = {
            "points": 40,
            "granted_at": api.clock.now().isoformat(),
            "external_ref": scene.import_ref,
            "payment_id": scene.import_payment_id,
            "reason": "moved from the old system",
        }
        await ok(await api.post(f"/v1/accounts/{account_id}/imports", scene.bodies["create_import"]))
    scene.ticket_ref = f"{account_id}-T-{uuid.uuid4().hex[:8]}"
    scene.bodies["open_ticket"] = {
        "external_ref": scene.ticket_ref,
        "category": "store-problem",
        "subject": f"{account_id} problem",
    }
    opened = await ok(
        await api.post(f"/v1/accounts/{account_id}/tickets", scene.bodies["open_ticket"], role="helpdesk")
    )
    scene.open_ticket_id = opened["id"]
    scene.resolved_ticket_id = await new_ticket(api, account_id, "resolved")
    if full:  # a closed dispute before the open one: the account's disputes have two pages
        closed = await new_dispute(api, account_id)
        await ok(await api.post(f"/v1/disputes/{closed}/reject", {"note": "no"}, role="helpdesk"))
    scene.dispute_id = await new_dispute(api, account_id)
    newest = await ok(await api.get("/v1/events", params={"account_id": account_id, "limit": 1}))
    scene.event_id = newest["items"][0]["id"]
    scene.endpoint_id = (await ok(await api.post("/v1/webhook-endpoints", ENDPOINT)))["id"]
    return scene


async def new_ticket(api: Any, account_id: str, state: str) -> str:
    body = {"external_ref": unique(f"{account_id}-T"), "category": "consultation"}
    ticket = await ok(await api.post(f"/v1/accounts/{account_id}/tickets", body, role="helpdesk"))
    if state == "resolved":
        await ok(await api.post(f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk"))
    else:
        assert state == "open", state
    return str(ticket["id"])


async def new_dispute(api: Any, account_id: str) -> str:
    """An open dispute on a new resolved ticket of the account."""
    ticket_id = await new_ticket(api, account_id, "resolved")
    r = await api.post(f"/v1/tickets/{ticket_id}/disputes", {"reason": "charged too much"}, role="helpdesk")
    return str((await ok(r))["id"])


@dataclass
class Call:
    op: Operation
    url: str
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False

    async def send(self, api: Any, role: str | None, headers: dict[str, str] | None = None) -> httpx.Response:
        kwargs: dict[str, Any] = {"params": self.query, "headers": dict(headers or {})}
        if self.op.id == "receive_billing_event":
            content = json.dumps(self.body).encode()
            kwargs["content"] = content
            kwargs["headers"] = {**signed(content), **kwargs["headers"]}
        elif self.has_body:
            kwargs["json"] = self.body
        r = await api.request(self.op.method, self.url, role, **kwargs)
        assert r.status_code in self.op.documented, (
            f"{self.op.id} answered {r.status_code}, which its document does not list "
            f"{sorted(self.op.documented)}: {r.text}"
        )
        assert r.status_code < 500, r.text
        return r


async def prepare(
    api: Any, op: Operation, scene: Scene, *, fresh: bool, query: dict[str, Any] | None = None, nested: bool = False
) -> Call:
    """A valid call of `op` on `scene`'s objects; `fresh`: new tickets and lots, so an allowed
    call succeeds whatever the calls before it did."""
    values: dict[str, str] = {}
    for name in op.path_params:
        if name == "account_id":
            values[name] = scene.account_id
        elif name == "ticket_id":
            state = TICKET_STATE.get(op.id, "open")
            if fresh:
                values[name] = await new_ticket(api, scene.account_id, state)
            else:
                values[name] = scene.resolved_ticket_id if state == "resolved" else scene.open_ticket_id
        elif name == "lot_id":
            if fresh:
                body = {"plan": "points-60", "payment_id": unique(f"{scene.account_id}-pay")}
                bought = await ok(await api.post(f"/v1/accounts/{scene.account_id}/purchases", body, role="billing"))
                values[name] = bought["lot"]["id"]
            else:
                values[name] = scene.lot_id
        elif name == "event_id":
            values[name] = scene.event_id
        elif name == "endpoint_id":
            if fresh:  # a delete takes it away
                r = await api.post("/v1/webhook-endpoints", ENDPOINT)
                values[name] = (await ok(r))["id"]
            else:
                values[name] = scene.endpoint_id
        elif name == "dispute_id":
            values[name] = await new_dispute(api, scene.account_id) if fresh else scene.dispute_id
        elif name == "code":
            if op.id in CODES:
                values[name] = CODES[op.id]
            elif op.method == "PUT":
                values[name] = unique("code")
            else:
                raise CannotBuild(f"{op.id}: which catalogue code does {{code}} name? add it to CODES")
        else:
            raise CannotBuild(f"{op.id}: unknown path parameter {{{name}}}")
    call = Call(op, op.path.format(**values), {**REQUIRED_QUERY.get(op.id, {}), **(query or {})})
    if op.id == "receive_billing_event":
        call.body, call.has_body = webhook_event(scene.account_id, api.clock.now()), True
    elif op.body_schema is not None:
        call.body, call.has_body = build_body(op, api.clock.now(), nested=nested), True
    if op.id == "redeliver_webhook_event":
        call.body = {"event_id": scene.event_id}
    return call


# The account (name, metadata), its statement (balance, modifications, tickets in progress and
# closed), its lots with the empty ones and its tickets: what a side effect would change.
ACCOUNT_VIEWS = (
    "",
    "/statement?limit=500",
    "/lots?include_empty=true&limit=500",
    "/tickets?limit=500",
    "/disputes?limit=500",
)
GLOBAL_VIEWS = (
    "/v1/accounts?limit=500",
    "/v1/plans?include_inactive=true&limit=500",
    "/v1/categories?include_inactive=true&limit=500",
    "/v1/license-products?include_inactive=true&limit=500",
    "/v1/admin/webhook-events?limit=500",
)


async def snapshot(api: Any, accounts: tuple[str, ...], *, everything: bool = False) -> dict[str, Any]:
    """What an admin sees of these accounts (and, with `everything`, of the catalogue and the
    account list): any side effect changes it."""
    paths = [f"/v1/accounts/{a}{view}" for a in accounts for view in ACCOUNT_VIEWS]
    if everything:
        paths += GLOBAL_VIEWS
    seen = {}
    for path in paths:
        r = await api.get(path)
        seen[path] = (r.status_code, r.json())
    return seen


def assert_success(r: httpx.Response, context: str) -> None:
    assert 200 <= r.status_code < 300, f"{context}: expected success, got {r.status_code}: {r.text}"


# ---- what belongs to an account -----------------------------------------------------------------

ID_KEYS = {"id", "lot_id", "ticket_id", "origin_lot_id", "payment_id", "license_key", "external_ref"}


def collect_ids(doc: Any, into: set[str]) -> None:
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key in ID_KEYS and isinstance(value, str):
                into.add(value)
            collect_ids(value, into)
    elif isinstance(doc, list):
        for item in doc:
            collect_ids(item, into)


def identifiers(scene: Scene, seen: dict[str, Any]) -> set[str]:
    """Every id of the account's lots, tickets, ledger entries, payments, licenses, references,
    from a snapshot of it."""
    ids = {scene.payment_id, scene.license_key, scene.import_ref, scene.import_payment_id, scene.ticket_ref} - {""}
    collect_ids([body for _, body in seen.values()], ids)
    return ids


def mentions(doc: Any, account_id: str, ids: set[str], where: str = "#") -> list[str]:
    """Where `doc` names the account (an `account_id` equal to it) or contains one of its ids."""
    found: list[str] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "account_id" and value == account_id:
                found.append(f"{where}/{key}")
            found += mentions(value, account_id, ids, f"{where}/{key}")
    elif isinstance(doc, list):
        for i, item in enumerate(doc):
            found += mentions(item, account_id, ids, f"{where}/{i}")
    elif isinstance(doc, str) and any(ident in doc for ident in ids):
        found.append(f"{where}={doc!r}")
    return found


# ================================================================================================
# 0. The tables cover the document exactly
# ================================================================================================


class TestTheTablesCoverTheDocument:
    def test_the_document_has_operations(self):
        assert len(OPERATIONS) >= 30 and "list_plans" in BY_ID, "generation from the document found nothing"
        assert len(BY_ID) == len(OPERATIONS), "operationIds are not unique"

    def test_spec_table_covers_exactly_the_documents_operations(self):
        documented = {op.id for op in OPERATIONS}
        assert documented - set(ROLE_TABLE) == set(), "operations without a role entry (docs/design.md §7)"
        assert set(ROLE_TABLE) - documented == set(), "ROLE_TABLE names operations the document lacks"

    def test_keyed_operations_declare_bearer_security_and_the_others_none(self):
        for op in OPERATIONS:
            keyed = isinstance(ROLE_TABLE[op.id], frozenset)
            assert bool(op.spec.get("security")) == keyed, (op.id, op.spec.get("security"))
            if keyed:
                assert 401 in op.documented, op.id
            if keyed and allowed(op) != ANY:
                assert 403 in op.documented, f"{op.id} refuses some roles but documents no 403"
            if any(p in OBJECT_PATH_PARAMS for p in op.path_params):
                assert 404 in op.documented, f"{op.id} names an account's object but documents no 404"

    def test_every_parameter_is_classified(self):
        for op in OPERATIONS:
            assert set(op.path_params) <= PATH_PARAMS, (op.id, op.path_params)
            assert set(op.query_params) <= set(QUERY_PARAMS), (op.id, set(op.query_params) - set(QUERY_PARAMS))
            for name in op.query_params:
                assert QUERY_PARAMS.get(name) != "object" or name in QUERY_OBJECT_VALUES, (op.id, name)
            headers = {p["name"].lower() for p in op.params("header")}
            assert headers <= HEADER_PARAMS, (op.id, headers - HEADER_PARAMS)
            assert not op.params("cookie"), op.id
            if "code" in op.path_params and op.method != "PUT":
                assert op.id in CODES, f"{op.id}: add the catalogue code it names to CODES"

    def test_every_operation_with_a_body_has_a_generator_entry_and_its_body_builds(self):
        with_body = {op.id for op in OPERATIONS if op.body_schema is not None}
        assert with_body - set(BODIES) == set(), "operations with a request body the generator does not know"
        assert set(BODIES) - with_body == set(), "BODIES names operations without a request body"
        for op in OPERATIONS:
            if op.body_schema is not None and op.id != "receive_billing_event":
                for nested in (False, True):
                    body = build_body(op, datetime(2026, 1, 15, tzinfo=UTC), nested=nested)
                    assert isinstance(body, dict), op.id

    def test_every_identifier_like_body_field_is_classified(self):
        for op in OPERATIONS:
            if op.body_schema is None or op.id == "receive_billing_event" or op.id in ADMIN_BODIES:
                continue
            for pointer, _ in body_properties(op.body_schema):
                name = pointer.rsplit("/", 1)[1]
                if IDENTIFIER.match(name):
                    assert pointer.count("/") == 1 and (op.id, name) in BODY_OBJECT_FIELDS, (
                        f"{op.id} {pointer}: does it name another account's object? classify it in BODY_OBJECT_FIELDS"
                    )

    def test_document_is_the_apps(self, api):
        assert api.client._transport.app.openapi() == DOC


# ================================================================================================
# 1. Object level
# ================================================================================================

OBJECT_OPS = [
    op
    for op in KEYED
    if set(op.path_params) & OBJECT_PATH_PARAMS or any(QUERY_PARAMS.get(q) == "account" for q in op.query_params)
]
GHOST = Scene(
    "ghost-account",
    lot_id="lot_ghost",
    open_ticket_id="tkt_ghost",
    resolved_ticket_id="tkt_phantom",
    event_id="evt_ghost",
    endpoint_id="we_ghost",
    dispute_id="dsp_ghost",
)


def account_query(op: Operation, account_id: str) -> dict[str, str]:
    return {q: account_id for q in op.query_params if QUERY_PARAMS.get(q) == "account"}


def viewer_expectation(op: Operation) -> tuple[int, str]:
    """A viewer naming B's objects: 404 when the path names them, or the viewer may call the
    operation at all; for an operation a viewer may never call, naming B only in the query,
    the 403 it gets anyway (the document lists no 404 there)."""
    if set(op.path_params) & OBJECT_PATH_PARAMS or "viewer" in allowed(op):
        return 404, "not-found"
    return 403, "forbidden"


def same_answer(mine: httpx.Response, ghost: httpx.Response, ids: dict[str, str]) -> None:
    """The answers for B's real objects and for ones that do not exist cannot be told apart."""
    assert mine.status_code == ghost.status_code, (mine.text, ghost.text)
    a, g = mine.json(), ghost.json()
    for real, fake in ids.items():
        a["detail"] = a.get("detail", "").replace(real, "<id>")
        g["detail"] = g.get("detail", "").replace(fake, "<id>")
    assert a == g, "the answer tells B's objects from missing ones"


@pytest.mark.parametrize("op", params(OBJECT_OPS))
async def test_object_level_every_role_against_account_bs_objects(api, op: Operation):
    a = await arrange(api, A, full=False)
    b = await arrange(api, B)
    a_before = await snapshot(api, (A,))
    a_ids = identifiers(a, a_before)
    b_before = await snapshot(api, (B,))
    query = account_query(op, B)

    # A's viewer, and every role the rules refuse: the same answer as for objects that do not
    # exist, and nothing changes.
    refused = ["viewer", *sorted(STAFF - allowed(op))]
    on_b = await prepare(api, op, b, fresh=False, query=query)
    on_ghost = await prepare(api, op, GHOST, fresh=False, query=account_query(op, GHOST.account_id))
    on_ghost.body = on_b.body
    real_to_fake = {
        b.account_id: GHOST.account_id,
        b.lot_id: GHOST.lot_id,
        b.open_ticket_id: GHOST.open_ticket_id,
        b.resolved_ticket_id: GHOST.resolved_ticket_id,
        b.event_id: GHOST.event_id,
        b.dispute_id: GHOST.dispute_id,
    }
    for role in refused:
        status, slug = viewer_expectation(op) if role == "viewer" else (403, "forbidden")
        r = await on_b.send(api, role, headers={"Idempotency-Key": unique("idem")})
        problem_with_context(r, status, slug, f"{role} on B's objects")
        ghost = await on_ghost.send(api, role)
        same_answer(r, ghost, real_to_fake)
    assert await snapshot(api, (B,)) == b_before, "a refused call changed account B"

    # The roles the rules allow get the documented success on B's objects, and never touch A.
    replayable: tuple[Call, str, httpx.Response, str] | None = None
    for role in sorted(allowed(op) - {"viewer"}):
        call = await prepare(api, op, b, fresh=True, query=query)
        key = unique("idem")
        r = await call.send(api, role, headers={"Idempotency-Key": key} if op.method == "POST" else None)
        assert_success(r, f"{role} {op.id} on B")
        assert not mentions(r.json(), A, a_ids), f"{role} {op.id} on B answered with A's data: {r.text}"
        if op.method == "POST" and replayable is None:
            replayable = (call, key, r, role)
    assert await snapshot(api, (A,)) == a_before, "acting on B's objects changed account A"

    # An Idempotency-Key is scoped to its API key: nobody else replays B's stored answer.
    if replayable is not None:
        call, key, first, owner = replayable
        again = await call.send(api, owner, headers={"Idempotency-Key": key})
        assert again.headers.get("idempotent-replayed") == "true" and again.text == first.text, "not stored"
        for role in ROLES:
            if role == owner:
                continue
            b_now = await snapshot(api, (B,)) if role == "viewer" else None
            r = await call.send(api, role, headers={"Idempotency-Key": key})
            assert r.headers.get("idempotent-replayed") is None, f"{role} replayed {owner}'s answer: {r.text}"
            if role == "viewer":
                problem_with_context(r, *viewer_expectation(op), "viewer replaying another key's Idempotency-Key")
                assert await snapshot(api, (B,)) == b_now


NAMED_IN_BODY = [
    pytest.param(op, pointer[2:], id=f"{op.id}-{pointer[2:]}")
    for op in OPERATIONS
    if op.body_schema is not None and op.id != "receive_billing_event"
    for pointer, _ in body_properties(op.body_schema)
    if (op.id, pointer[2:]) in BODY_OBJECT_FIELDS
]


@pytest.mark.parametrize(("op", "name"), NAMED_IN_BODY)
async def test_object_level_bodies_naming_account_bs_objects(api, op: Operation, name: str):
    """B's own request again, on A's path, naming B's object by `name` (every other identifier
    fresh): the documented answer, B unchanged, A unchanged unless the answer is a success."""
    a = await arrange(api, A)
    b = await arrange(api, B)
    scene_attr, expected = BODY_OBJECT_FIELDS[(op.id, name)]
    body = dict(b.bodies[op.id])
    for other_name in body:
        if other_name != name and (op.id, other_name) in BODY_OBJECT_FIELDS:
            body[other_name] = unique(f"{A}-fresh")
    assert body[name] == getattr(b, scene_attr)
    call = await prepare(api, op, a, fresh=False)
    call.body = body
    b_before = await snapshot(api, (B,))
    a_now = await snapshot(api, (A,))

    for role in ROLES:
        r = await call.send(api, role)
        if role not in allowed(op):
            problem_with_context(r, 403, "forbidden", role)
        elif expected == 409:
            doc = problem_with_context(r, 409, "conflict", role)
            assert doc.get("lot", doc).get("account_id") != B, "a conflict answered with B's lot"
        else:
            assert r.status_code == expected, r.text
            assert r.json()["account_id"] == A
            expected = 409  # the next allowed role sends it again: now a conflict on A
            a_now = await snapshot(api, (A,))
            continue
        assert await snapshot(api, (A,)) == a_now, f"{role}: A changed"
    assert await snapshot(api, (B,)) == b_before, "naming B's objects in a body changed B"


KEYED_GETS = [op for op in KEYED if op.method == "GET"]


def query_variants(op: Operation, b: Scene, a: Scene, now: datetime) -> list[dict[str, Any]]:
    """No filter, then each filter at its widest (every enum value, true, the constant, `as_of`
    now), and each object-naming filter set to B's value and to A's."""
    variants: list[dict[str, Any]] = [{}]
    for name, param in op.query_params.items():
        kind, schema = QUERY_PARAMS[name], resolve(param["schema"])
        if kind == "object":
            attr = QUERY_OBJECT_VALUES[name]
            variants += [{name: getattr(b, attr)}, {name: getattr(a, attr)}]
        elif kind == "account":
            variants.append({name: B})
        elif kind == "filter":
            if schema.get("type") == "boolean":
                variants.append({name: "true"})
            elif schema.get("type") == "array":
                variants.append({name: resolve(schema["items"])["enum"]})
            elif "const" in schema:
                variants.append({name: schema["const"]})
            elif name == "as_of":  # an instant not in the future: the latest, which shows everything
                variants.append({name: now.isoformat()})
            elif schema.get("format") == "date-time":
                variants.append({name: "2100-01-01T00:00:00Z"})
    return variants


@pytest.mark.parametrize("op", params(KEYED_GETS))
async def test_no_read_ever_shows_account_bs_rows_to_account_as_viewer(api, op: Operation):
    """Every GET, as A's viewer on A's objects, with every filter, followed page by page
    (limit=2): nothing of B (a GET the viewer may not call: 403 and nothing else); and a cursor
    of B's list is refused on A's."""
    reader = "viewer" in allowed(op)
    a = await arrange(api, A)
    b = await arrange(api, B)
    b_ids = identifiers(b, await snapshot(api, (B,)))
    extra_ticket = await new_ticket(api, A, "open")  # A's lists have several pages
    scenes = [await prepare(api, op, a, fresh=False)]
    if "ticket_id" in op.path_params:
        scenes += [Call(op, op.path.replace("{ticket_id}", t)) for t in (a.resolved_ticket_id, extra_ticket)]
    paged = "cursor" in op.query_params and "limit" in op.query_params
    shows_a = False
    for call in scenes:
        for variant in query_variants(op, b, a, api.clock.now()):
            cursor = None
            for _ in range(100):
                query = {**variant, **({"limit": 2} if paged else {})}
                if cursor:
                    query["cursor"] = cursor
                call.query = query
                r = await call.send(api, "viewer")
                if r.status_code == 403 and (variant or not reader):  # an admin-only filter or operation
                    problem_with_context(r, 403, "forbidden", f"{op.id} {query}")
                    assert not mentions(r.json(), B, b_ids), r.text
                    break
                if r.status_code == 404 and variant.get("account_id") == B:  # a filter naming B's account
                    problem_with_context(r, 404, "not-found", f"{op.id} {query}")
                    assert not mentions(r.json(), B, b_ids - {B}), r.text
                    break
                assert r.status_code == 200, f"{op.id} {query}: {r.status_code} {r.text}"
                leaks = mentions(r.json(), B, b_ids)
                assert not leaks, f"A's viewer sees B's rows in {op.id} {query}: {leaks}"
                shows_a = shows_a or bool(mentions(r.json(), A, set()))
                cursor = r.json().get("next_cursor") if paged else None
                if not cursor:
                    break
            else:
                raise AssertionError(f"{op.id}: more than 100 pages")
    if reader and ("account_id" in op.path_params or "ticket_id" in op.path_params):
        assert shows_a, f"{op.id}: the viewer saw nothing of its own account; the check proves nothing"

    if reader and paged and "account_id" in op.path_params:
        b_page = await ok(await api.get(op.path.format(account_id=B), params={"limit": 1}))
        assert b_page["next_cursor"], f"{op.id}: B's list has one page; no cursor to steal"
        r = await api.get(
            op.path.format(account_id=A), role="viewer", params={"limit": 1, "cursor": b_page["next_cursor"]}
        )
        doc = problem_with_context(r, 422, "validation-error", "B's cursor on A's list")
        assert [e["pointer"] for e in doc["errors"]] == ["#/query/cursor"]


# ================================================================================================
# 2. Function level
# ================================================================================================


@pytest.mark.parametrize("op", params(OPERATIONS))
async def test_function_level_every_role_is_allowed_exactly_where_the_spec_allows(api, op: Operation):
    scene = await arrange(api, A, full=False)
    rule = ROLE_TABLE[op.id]
    if rule == NO_AUTH:
        call = await prepare(api, op, scene, fresh=False)
        for role in (*ROLES, None):
            assert (await call.send(api, role)).status_code == 200, role
        return
    if rule == SIGNED:
        # An API key is no signature: every role's key alone is 401, and nothing is stored.
        for role in ROLES:
            call = await prepare(api, op, scene, fresh=False)
            content = json.dumps(call.body).encode()
            r = await api.post(op.path, role=role, content=content, headers={"content-type": "application/json"})
            problem_with_context(r, 401, "unauthorized", f"{role} key on the webhook")
        assert (await ok(await api.get("/v1/admin/webhook-events")))["items"] == []
        for role in (None, "viewer"):  # the signature alone decides
            call = await prepare(api, op, scene, fresh=False)
            r = await call.send(api, role)
            assert r.status_code == 200 and r.json()["outcome"] == "applied", r.text
        return

    roles = allowed(op)
    refused = sorted(set(ROLES) - roles)
    before = await snapshot(api, (A,), everything=True) if op.method != "GET" else None
    call = await prepare(api, op, scene, fresh=False)
    problem_with_context(await call.send(api, None), 401, "unauthorized", "no key")
    for role in refused:  # on the viewer's own account: the role, not the scope, refuses
        r = await call.send(api, role)
        problem_with_context(r, 403, "forbidden", f"{role} {op.id}")
    if before is not None:
        assert await snapshot(api, (A,), everything=True) == before, (
            "a refused or unauthenticated call changed something"
        )
    for role in sorted(roles):
        call = await prepare(api, op, scene, fresh=True)
        r = await call.send(api, role)
        assert_success(r, f"{role} {op.id}")


# ================================================================================================
# 3. Mass assignment
# ================================================================================================

MASS_FIELDS: dict[str, Any] = {
    "available": 1_000_000,
    "status": "resolved",
    "version": 99,
    "account_id": B,
    "held": 0,
    "id": "injected-id",
    "points_hacked": 1_000_000,
}
WITH_JSON_BODY = [op for op in KEYED if op.body_schema is not None]


def object_schema_for(schema: dict[str, Any], value: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema (of a union: the branch) that `value` was built from."""
    schema = resolve(schema)
    branches = schema.get("oneOf", []) + schema.get("anyOf", [])
    if not branches:
        return schema if schema.get("type") == "object" or "properties" in schema else None
    for branch in map(resolve, branches):
        if branch.get("type") != "object" and "properties" not in branch:
            continue
        props = branch.get("properties", {})
        free = branch.get("additionalProperties") not in (False, None)
        if (
            (free or set(value) <= set(props))
            and set(branch.get("required", [])) <= set(value)
            and all(k not in props or "const" not in props[k] or props[k]["const"] == v for k, v in value.items())
        ):
            return branch
    return None


def objects_in(
    body: dict[str, Any], schema: dict[str, Any], pointer: str = "#"
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, object schema) of the body and of every object nested in it."""
    found = object_schema_for(schema, body)
    assert found is not None, f"no schema for the object at {pointer}"
    yield pointer, found
    for name, value in body.items():
        if isinstance(value, dict) and name in found.get("properties", {}):
            yield from objects_in(value, found["properties"][name], f"{pointer}/{name}")


def put_at(body: dict[str, Any], pointer: str, name: str, value: Any) -> dict[str, Any]:
    attacked = copy.deepcopy(body)
    node = attacked
    for part in pointer.split("/")[1:]:
        node = node[part]
    node[name] = value
    return attacked


def mass_attacks(op: Operation, valid: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(object pointer, injected field, attacked body) for every object of the body whose schema
    closes it, and every MASS_FIELDS name that is not a property of that object."""
    assert op.body_schema is not None
    for pointer, schema in objects_in(valid, op.body_schema):
        if schema.get("additionalProperties") not in (False, None):
            continue  # a free-form object (account metadata): any key is data
        for name, value in MASS_FIELDS.items():
            if name not in schema.get("properties", {}):  # a real field of this object is no attack
                yield pointer, name, put_at(valid, pointer, name, value)


def at_pointer(doc: Any, pointer: str) -> Any:
    """RFC 6901 (URI fragment form `#/a/0`); KeyError when it points at nothing."""
    assert pointer.startswith("#"), pointer
    for token in pointer[1:].split("/")[1:] if pointer != "#" else []:
        token = token.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


def idempotency_for(op: Operation) -> dict[str, str] | None:
    return {"Idempotency-Key": unique("idem")} if op.method == "POST" else None


@pytest.mark.parametrize("op", params(WITH_JSON_BODY))
async def test_mass_assignment_fields_outside_the_schema_are_refused_and_nothing_applied(api, op: Operation):
    scene = await arrange(api, A, full=False)
    await arrange(api, B, full=False)
    role = min(allowed(op), key=lambda r: (r == "admin", r))  # the least powerful allowed role
    call = await prepare(api, op, scene, fresh=True, nested=True)
    valid = call.body
    before = await snapshot(api, (A, B), everything=True)

    attacks = list(mass_attacks(op, valid))
    assert len(attacks) >= len(MASS_FIELDS) - 1, f"{op.id}: only {len(attacks)} attacks"
    for pointer, name, attacked in attacks:
        call.body = attacked
        r = await call.send(api, role, headers=idempotency_for(op))
        doc = problem_with_context(r, 422, "validation-error", f"{op.id} with {pointer}/{name}")
        pointers = [e["pointer"] for e in doc.get("errors", [])]
        assert any(p.startswith(f"{pointer}/") and p.endswith(f"/{name}") for p in pointers), (
            f"{op.id}: errors {pointers} do not name {pointer}/{name}"
        )
    assert await snapshot(api, (A, B), everything=True) == before, f"{op.id}: a refused body applied something"

    call.body = valid  # the control: the same body without the extra fields is accepted
    assert_success(await call.send(api, role, headers=idempotency_for(op)), f"{role} {op.id} with the valid body")


NESTED_BUGS: dict[str, str] = {}  # operation id → reason, for a known bug (strict xfail)
WITH_NESTED_OBJECTS = [
    pytest.param(
        op, id=op.id, marks=[pytest.mark.xfail(strict=True, reason=NESTED_BUGS[op.id])] if op.id in NESTED_BUGS else []
    )
    for op in WITH_JSON_BODY
    if any(
        b.get("additionalProperties") is False or b.get("oneOf")
        for prop in resolve(op.body_schema).get("properties", {}).values()  # type: ignore[arg-type]  # JSON Schema: untyped dicts
        for b in _non_null(prop)
    )
]


@pytest.mark.parametrize("op", WITH_NESTED_OBJECTS)
async def test_mass_assignment_errors_point_into_the_body_at_the_injected_field(api, op: Operation):
    """The `errors` pointer of an injected field resolves, in the body that was sent, to that
    field (at every level, unions included)."""
    scene = await arrange(api, A, full=False)
    role = min(allowed(op), key=lambda r: (r == "admin", r))
    call = await prepare(api, op, scene, fresh=True, nested=True)
    wrong = []
    for pointer, name, attacked in mass_attacks(op, call.body):
        if pointer == "#":
            continue  # the top level is checked by the test above
        call.body = attacked
        r = await call.send(api, role, headers=idempotency_for(op))
        pointers = [e["pointer"] for e in problem_with_context(r, 422, "validation-error", op.id)["errors"]]
        resolved = []
        for p in pointers:
            try:
                resolved.append(at_pointer(attacked, p) == MASS_FIELDS[name] and p.endswith(f"/{name}"))
            except (KeyError, IndexError, ValueError, TypeError):
                resolved.append(False)
        if not any(resolved):
            wrong.append(f"{pointer}/{name} reported as {pointers}")
    assert not wrong, f"{op.id}: pointers that point at nothing in the body: {wrong}"


async def test_webhook_payloads_ignore_unknown_fields_without_applying_them(api):
    """docs/design.md §8 exempts webhooks from the 422, not from mass assignment: the extra fields are
    stored with the event and applied to nothing."""
    op = BY_ID["receive_billing_event"]
    scene = await arrange(api, A, full=False)
    before = await api.balance(A)
    call = await prepare(api, op, scene, fresh=False)
    call.body = webhook_event(
        A, api.clock.now(), points=10**6, **{k: v for k, v in MASS_FIELDS.items() if k != "account_id"}
    )
    call.body.update(MASS_FIELDS)

    r = await call.send(api, None)

    assert r.status_code == 200 and r.json()["outcome"] == "applied", r.text
    after = await api.balance(A)
    assert after["available"] - before["available"] == 60
    assert (after["held"], after["deducted"]) == (before["held"], before["deducted"])
    assert (await api.get(f"/v1/accounts/{B}")).status_code == 404, "the top-level account_id created account B"
    lots = (await ok(await api.get(f"/v1/accounts/{A}/lots")))["items"]
    assert [lot["points"] for lot in lots if lot["payment_id"] == call.body["data"]["payment_id"]] == [60]
    event = (await ok(await api.get("/v1/admin/webhook-events")))["items"][0]
    assert event["payload"]["data"]["points_hacked"] == 10**6, "unknown fields are stored (docs/design.md §8)"


# ================================================================================================
# 4. Secrets
# ================================================================================================

HEX64 = re.compile(r"^[0-9a-f]{64}$")


async def all_rows(api: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of the database, as the database has it."""

    def read(conn: Any) -> dict[str, list[dict[str, Any]]]:
        names = sa_inspect(conn).get_table_names()
        return {name: [dict(row) for row in conn.execute(text(f'SELECT * FROM "{name}"')).mappings()] for name in names}

    return await api.db.read(read)


@contextlib.contextmanager
def capture_every_logger(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """caplog at DEBUG for every logger of the process, those that do not propagate and those
    that are disabled included (all restored afterwards)."""
    caplog.set_level(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    for logger in loggers:
        caplog.set_level(logging.DEBUG, logger=logger.name)
    deaf = [logger for logger in loggers if not logger.propagate or logger.disabled]
    disabled = [logger for logger in deaf if logger.disabled]
    for logger in deaf:
        logger.addHandler(caplog.handler)
        logger.disabled = False
    try:
        yield
    finally:
        for logger in deaf:
            logger.removeHandler(caplog.handler)
        for logger in disabled:
            logger.disabled = True


class TestSecrets:
    async def test_keys_are_stored_only_as_sha256_digests_and_no_table_holds_a_key(self, api):
        extra_secret = (
            await api.db.write(CreateKey(role="viewer", name="sec-extra", now=api.clock.now(), account_id=A))
        ).secret
        secrets_ = [*api.keys.values(), extra_secret]
        # Every key in use, with Idempotency-Keys (stored "scoped to the API key") and failures.
        scene = await arrange(api, A, full=False)
        api.keys["extra"] = extra_secret
        for role in (*ROLES, "extra"):
            headers = {"Idempotency-Key": unique("idem")}
            await api.post(
                f"/v1/tickets/{scene.open_ticket_id}/adjust", {"points": 30, "reason": "x"}, role=role, headers=headers
            )
            await api.put(f"/v1/accounts/{A}", {"display_name": "x"}, role=role)
            await api.get(f"/v1/accounts/{A}/statement", role=role)

        keys = [row._mapping for row in await api.db.read_one(select(api_keys))]
        assert len(keys) == len(secrets_)
        stored = {row["key_hash"] for row in keys}
        assert all(HEX64.match(h) for h in stored), stored
        assert stored == {hashlib.sha256(s.encode()).hexdigest() for s in secrets_}
        rows = await all_rows(api)
        assert rows["idempotency_keys"], "no Idempotency-Key row was stored: the scan proves less"
        for table, table_rows in rows.items():
            for row in table_rows:
                for column, value in row.items():
                    for secret in secrets_:
                        assert secret not in str(value), f"a key is stored in {table}.{column}"

    async def test_the_key_lookup_compares_in_constant_time(self, api, monkeypatch):
        calls: list[tuple[Any, Any]] = []
        real = hmac.compare_digest

        def recording(a: Any, b: Any) -> bool:
            calls.append((a, b))
            return real(a, b)

        monkeypatch.setattr(hmac, "compare_digest", recording)
        for role, secret in TEST_KEYS.items():
            calls.clear()
            assert (await api.get("/v1/plans", role=role)).status_code == 200
            digest = hash_key(secret)
            assert calls == [(digest, digest)], f"{role}: the key was not checked with hmac.compare_digest"

        # The decision is the constant-time comparison's: when it says no, a valid key is refused.
        monkeypatch.setattr(hmac, "compare_digest", lambda a, b: False)
        problem_with_context(await api.get("/v1/plans", role="admin"), 401, "unauthorized")
        assert deps.hmac is hmac

    async def test_no_key_or_secret_is_ever_logged_or_answered(self, api, caplog):
        """Every operation with every key (allowed or not, with Idempotency-Keys), malformed
        bodies, missing objects, unknown, revoked, over-long and empty keys, signed and forged
        webhooks, webhook endpoints made, read and rotated, and a dispatcher round that signs
        deliveries with their secrets; every logger of the process at DEBUG (SQL statements, their
        parameters and the rows they return included). No key, no webhook secret and no endpoint
        secret in any record (its message, its arguments, its extra fields, its JSON line), nor in
        any response but the two that make an endpoint secret (create, rotate-secret)."""
        revoked_secret = (await api.db.write(CreateKey(role="billing", name="sec-revoked", now=api.clock.now()))).secret
        await api.db.write(RevokeKey(name="sec-revoked", now=api.clock.now()))
        attempts = ["pts_unknown_" + uuid.uuid4().hex, revoked_secret, "x" * 300 + "pts_long"]
        responses: list[httpx.Response] = []
        with capture_every_logger(caplog):
            scene = await arrange(api, A)
            for role in ROLES:
                for op in KEYED:
                    fresh = op.method != "GET" and role in allowed(op)
                    call = await prepare(api, op, scene, fresh=fresh)
                    responses.append(await call.send(api, role, headers=idempotency_for(op)))
                malformed = {"content-type": "application/json"}
                responses.append(
                    await api.post(f"/v1/accounts/{A}/tickets", content=b"{", role=role, headers=malformed)
                )
                responses.append(await api.get("/v1/tickets/missing", role=role))
            for secret in [*attempts, ""]:
                for scheme in ("Bearer", "bearer"):
                    auth = {"Authorization": f"{scheme} {secret}"}
                    responses.append(await api.get(f"/v1/accounts/{A}", role=None, headers=auth))
            webhook = await prepare(api, BY_ID["receive_billing_event"], scene, fresh=False)
            responses.append(await webhook.send(api, None))
            forged = {
                "webhook-id": "msg_forged",
                "webhook-timestamp": str(int(time.time())),
                "webhook-signature": "v1,AAAA",
            }
            responses.append(await api.post(webhook.url, content=b"{}", role=None, headers=forged))
            # An endpoint made, read and rotated, then a delivery signed with its secrets (the
            # address policy refuses the send before it leaves: the name "resolves" to 10.0.0.1).
            made = await api.post("/v1/webhook-endpoints", {"url": "https://1.1.1.1/hooks", "event_types": ["*"]})
            assert made.status_code == 201, made.text
            rotated = await api.post(f"/v1/webhook-endpoints/{made.json()['id']}/rotate-secret")
            assert rotated.status_code == 200, rotated.text
            responses.append(await api.get(f"/v1/webhook-endpoints/{made.json()['id']}"))
            responses.append(await api.get("/v1/webhook-endpoints"))
            responses.append(await api.put(f"/v1/accounts/{A}", {"display_name": "after the endpoint"}))
            refused = Dispatcher(api.db.engine, api.clock, resolver=lambda _h, _p: [ipaddress.ip_address("10.0.0.1")])
            try:
                assert await asyncio.to_thread(refused.run_once) >= 1, "no delivery was signed"
            finally:
                refused.stop()
        shown_once = [r for r in responses if r.request.method == "POST" and "secret" in r.text]
        endpoint_secrets = {
            f"an endpoint secret ({i})": r.json()["secret"]
            for i, r in enumerate([*shown_once, made, rotated])
            if r.status_code < 300 and isinstance(r.json(), dict) and "secret" in r.json()
        }
        assert len(set(endpoint_secrets.values())) >= 2, endpoint_secrets
        secrets_ = {
            **{f"the {role} key": key for role, key in api.keys.items()},
            **{f"attempted key {i}": key for i, key in enumerate(attempts)},
            "the webhook secret": WEBHOOK_SECRET,
            "the webhook secret's key": WEBHOOK_SECRET.removeprefix("whsec_"),
        }

        records = caplog.records
        access = [r for r in records if r.name == "points_service.access"]
        assert len(access) >= len(responses), "the access log was not captured"
        assert {getattr(r, "key", None) for r in access} >= {f"test-{role}" for role in ROLES}, "the key's name"
        assert any(r.name.startswith("sqlalchemy.engine") for r in records), "SQL was not logged: not every logger"
        assert any(r.getMessage().startswith("Row") for r in records), "no row was logged: DEBUG was not on"
        formatter = JsonFormatter()
        for record in records:
            texts = [record.getMessage(), formatter.format(record), repr(record.args)]
            texts += [repr(value) for value in vars(record).values()]
            for label, secret in {**secrets_, **endpoint_secrets}.items():
                assert not any(secret in t for t in texts), f"{label} is in a {record.name} log record"
        for r in responses:
            answered = r.text + repr(r.headers.multi_items())
            shown = secrets_ if r in shown_once else {**secrets_, **endpoint_secrets}
            for label, secret in shown.items():
                assert secret not in answered, f"{label} is in the response to {r.request.method} {r.request.url}"

    @pytest.mark.parametrize("role", ROLES)
    async def test_a_revoked_key_is_refused_on_the_next_request_on_every_operation(self, api, role: str):
        scene = await arrange(api, A)
        # An answer stored under an Idempotency-Key before the revocation (a role with some POST).
        stored = next(
            (op for op in KEYED if op.method == "POST" and role in allowed(op) and op.path_params == ["account_id"]),
            None,
        )
        idem = {"Idempotency-Key": "before-revocation"}
        if stored is not None:
            stored_call = await prepare(api, stored, scene, fresh=True)
            assert_success(await stored_call.send(api, role, headers=idem), f"{role} {stored.id}")
            assert (await stored_call.send(api, role, headers=idem)).headers.get("idempotent-replayed") == "true"
        reader = await prepare(api, BY_ID["get_account"], scene, fresh=False)
        assert (await reader.send(api, role)).status_code == 200

        await api.db.write(RevokeKey(name=f"test-{role}", now=api.clock.now()))

        before = await snapshot(api, (A,), everything=True)
        for op in KEYED:
            call = await prepare(api, op, scene, fresh=False)
            problem_with_context(await call.send(api, role), 401, "unauthorized", f"revoked {role} key on {op.id}")
        if stored is not None:
            r = await stored_call.send(api, role, headers=idem)
            problem_with_context(r, 401, "unauthorized", "a replay of a stored answer with a revoked key")
        assert await snapshot(api, (A,), everything=True) == before, "a revoked key changed something"
        for other in ROLES:
            if other != role:
                assert (await reader.send(api, other)).status_code == 200, f"revoking {role} revoked {other}"

    async def test_with_the_default_key_cache_a_revoked_key_is_refused_within_one_second(
        self, api, settings, monkeypatch
    ):
        """docs/design.md §7 allows an in-process cache: revocation takes effect within 1 s. The tests' app
        runs without one (so the very next request is refused); this is the shipped default."""
        assert Settings.model_fields["auth_cache_seconds"].default <= 1
        cached = settings.model_copy(update={"auth_cache_seconds": Settings.model_fields["auth_cache_seconds"].default})
        app = create_app(cached, clock=api.clock, database=api.db)
        now = [1000.0]
        monkeypatch.setattr(deps, "time", SimpleNamespace(monotonic=lambda: now[0]))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            headers = {"Authorization": f"Bearer {api.keys['helpdesk']}"}
            assert (await client.get("/v1/plans", headers=headers)).status_code == 200
            entries = app.state.key_cache._entries
            assert entries and all(HEX64.match(k) for k in entries), "the cache is keyed by digests"
            assert not any(secret in repr(entries) for secret in api.keys.values()), "the cache holds a key"

            await api.db.write(RevokeKey(name="test-helpdesk", now=api.clock.now()))
            now[0] += Settings.model_fields["auth_cache_seconds"].default + 0.001

            problem_with_context(await client.get("/v1/plans", headers=headers), 401, "unauthorized")
