"""Who may call what (docs/design.md §7): the role × endpoint matrix, the viewer's scope, authentication,
and the order of the checks: 401 → 404 (viewer naming another account) → 403 → 404 → 422."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from points_service.services.keys import RevokeKey

from support.problems import problem_with_context

ROLES = ("admin", "billing", "helpdesk", "viewer")
ALL = frozenset(ROLES)
STAFF = frozenset({"admin", "billing", "helpdesk"})
BILLING = frozenset({"admin", "billing"})
HELPDESK = frozenset({"admin", "helpdesk"})
ADMIN = frozenset({"admin"})

T0_ISO = "2026-01-15T12:00:00+00:00"
REDELIVERED = ""  # the event the redeliver endpoint names: the newest scene's (set by `arrange`)


def unique() -> str:
    return uuid.uuid4().hex[:12]


# ---- the endpoint table ------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # the template, as in docs/design.md §7 and the app's routes
    roles: frozenset[str]  # roles allowed by docs/design.md §7 (for a viewer: on its own account)
    body: Callable[[], Any] | None = None  # a valid body, fresh on each call (new refs and ids)
    ticket: str = "open"  # which of the scene's tickets {ticket_id} names: "open" or "resolved"
    code: str | None = None  # the catalogue {code}; None: a new one each call
    query: str = ""  # what the operation requires in its query string

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query.startswith("as_of") else "")

    @property
    def names_account_object(self) -> bool:
        return any(p in self.path for p in ("{account_id}", "{ticket_id}", "{lot_id}", "{event_id}", "{dispute_id}"))


ENDPOINTS: list[Endpoint] = [
    # catalogue
    Endpoint("GET", "/v1/plans", ALL),
    Endpoint("GET", "/v1/categories", ALL),
    Endpoint("GET", "/v1/license-products", ALL),
    Endpoint("GET", "/v1/categories/{code}/quote", ALL, code="store-problem"),
    Endpoint("PUT", "/v1/plans/{code}", ADMIN, lambda: {"points": 10, "price": {"amount": "5.00", "currency": "USD"}}),
    Endpoint(
        "PUT",
        "/v1/categories/{code}",
        ADMIN,
        lambda: {"group": "tests", "name": "A test category", "pricing": {"type": "fixed", "points": 5}},
    ),
    Endpoint(
        "PUT",
        "/v1/license-products/{code}",
        ADMIN,
        lambda: {"name": "A test product", "bonus_points": 10, "bonus_policy": "every_license"},
    ),
    # accounts and their reads
    Endpoint("PUT", "/v1/accounts/{account_id}", STAFF, lambda: {"display_name": f"Renamed {unique()}"}),
    Endpoint("GET", "/v1/accounts", STAFF),
    Endpoint("GET", "/v1/accounts/{account_id}", ALL),
    Endpoint("GET", "/v1/accounts/{account_id}/balance", ALL),
    Endpoint("GET", "/v1/accounts/{account_id}/statement", ALL),
    Endpoint("GET", "/v1/accounts/{account_id}/ledger", ALL),
    Endpoint("GET", "/v1/accounts/{account_id}/lots", ALL),
    # As of an instant (docs/design.md §15): the same roles as the live reads.
    *(
        Endpoint("GET", f"/v1/accounts/{{account_id}}/{read}", ALL, query="as_of=2026-01-15T12:00:00Z")
        for read in ("balance", "ledger", "lots")
    ),
    Endpoint("GET", "/v1/accounts/{account_id}/tickets", ALL),
    # points in
    Endpoint(
        "POST",
        "/v1/accounts/{account_id}/purchases",
        BILLING,
        lambda: {"plan": "points-60", "payment_id": f"pay-{unique()}"},
    ),
    Endpoint(
        "POST",
        "/v1/accounts/{account_id}/licenses",
        BILLING,
        lambda: {"license_key": f"LIC-{unique()}", "product": "default"},
    ),
    Endpoint(
        "POST",
        "/v1/accounts/{account_id}/imports",
        ADMIN,
        lambda: {"points": 10, "granted_at": T0_ISO, "external_ref": f"IMP-{unique()}", "reason": "migration"},
    ),
    Endpoint("POST", "/v1/accounts/{account_id}/adjustments", ADMIN, lambda: {"points": 5, "reason": "goodwill"}),
    Endpoint("POST", "/v1/lots/{lot_id}/revoke", BILLING, lambda: {"reason": "charged back"}),
    # tickets
    Endpoint(
        "POST",
        "/v1/accounts/{account_id}/tickets",
        HELPDESK,
        lambda: {"external_ref": f"HD-{unique()}", "category": "consultation"},
    ),
    Endpoint("GET", "/v1/tickets/{ticket_id}", ALL),
    Endpoint("GET", "/v1/tickets", HELPDESK, query="idle_for=PT1H"),
    Endpoint(
        "POST", "/v1/tickets/{ticket_id}/adjust", HELPDESK, lambda: {"points": 30, "reason": "more investigation"}
    ),
    Endpoint("POST", "/v1/tickets/{ticket_id}/resolve", HELPDESK, dict),
    Endpoint("POST", "/v1/tickets/{ticket_id}/refund", HELPDESK, lambda: {"reason": "software_bug"}),
    Endpoint(
        "POST",
        "/v1/tickets/{ticket_id}/credit",
        HELPDESK,
        lambda: {"points": 5, "reason": "goodwill"},
        ticket="resolved",
    ),
    # disputes (a viewer may open one on its own account's ticket: its one write)
    Endpoint(
        "POST",
        "/v1/tickets/{ticket_id}/disputes",
        HELPDESK | {"viewer"},
        lambda: {"reason": "charged too much", "points": 5},
        ticket="resolved",
    ),
    Endpoint("POST", "/v1/disputes/{dispute_id}/accept", HELPDESK, lambda: {"note": "agreed"}),
    Endpoint("POST", "/v1/disputes/{dispute_id}/reject", HELPDESK, lambda: {"note": "the fix works"}),
    Endpoint("GET", "/v1/disputes", HELPDESK),
    Endpoint("GET", "/v1/disputes/{dispute_id}", ALL),
    Endpoint("GET", "/v1/accounts/{account_id}/disputes", ALL),
    # operations
    Endpoint("POST", "/v1/admin/expire", ADMIN),
    Endpoint("GET", "/v1/admin/verify", ADMIN),
    Endpoint("GET", "/v1/admin/webhook-events", ADMIN),
    # finance
    Endpoint("GET", "/v1/reports/finance", BILLING, query="from=2026-01-01T00:00:00Z&to=2026-01-15T00:00:00Z"),
    Endpoint("GET", "/v1/reports/expiry-forecast", BILLING, query="months=3"),
    # reports (docs/design.md §13, §14)
    Endpoint("GET", "/v1/ledger/export", BILLING, query="from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z"),
    Endpoint("GET", "/v1/reports/estimates", HELPDESK, query="from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z"),
    # outgoing events
    Endpoint("GET", "/v1/events", ALL),
    Endpoint("GET", "/v1/events/{event_id}", ALL),
    Endpoint("POST", "/v1/webhook-endpoints", ADMIN, lambda: {"url": "https://1.1.1.1/hooks", "event_types": ["*"]}),
    Endpoint("GET", "/v1/webhook-endpoints", ADMIN),
    Endpoint("GET", "/v1/webhook-endpoints/{endpoint_id}", ADMIN),
    Endpoint("DELETE", "/v1/webhook-endpoints/{endpoint_id}", ADMIN),
    Endpoint("POST", "/v1/webhook-endpoints/{endpoint_id}/disable", ADMIN),
    Endpoint("POST", "/v1/webhook-endpoints/{endpoint_id}/enable", ADMIN),
    Endpoint("POST", "/v1/webhook-endpoints/{endpoint_id}/rotate-secret", ADMIN),
    Endpoint("GET", "/v1/webhook-endpoints/{endpoint_id}/deliveries", ADMIN),
    Endpoint("POST", "/v1/webhook-endpoints/{endpoint_id}/redeliver", ADMIN, lambda: {"event_id": REDELIVERED}),
]

NOT_IN_MATRIX_PREFIXES = ("/v1/webhooks/",)  # signed, not keyed (docs/design.md §8)


@dataclass
class Scene:
    """One account with a purchased lot, an open ticket, a resolved ticket, and an open dispute on a
    third (resolved) ticket."""

    account_id: str
    lot_id: str
    open_ticket_id: str
    resolved_ticket_id: str
    event_id: str  # the open ticket's `ticket.opened`
    endpoint_id: str  # a webhook endpoint taking every event
    dispute_id: str  # open, on a ticket of its own

    def url(self, endpoint: Endpoint) -> str:
        ticket_id = self.resolved_ticket_id if endpoint.ticket == "resolved" else self.open_ticket_id
        return endpoint.path.format(
            account_id=self.account_id,
            lot_id=self.lot_id,
            ticket_id=ticket_id,
            event_id=self.event_id,
            endpoint_id=self.endpoint_id,
            dispute_id=self.dispute_id,
            code=endpoint.code or f"test-{unique()}",
        ) + (f"?{endpoint.query}" if endpoint.query else "")


async def arrange(api: Any, account_id: str) -> Scene:
    await api.account(account_id)
    bought = await api.buy(account_id, "points-300")
    open_ticket = await api.open(account_id, "store-problem", ref=f"{account_id}-open")
    resolved = await api.open(account_id, "store-problem", ref=f"{account_id}-resolved")
    r = await api.post(f"/v1/tickets/{resolved['id']}/resolve", {}, role="helpdesk")
    assert r.status_code == 200, r.text
    r = await api.get("/v1/events", params={"account_id": account_id, "type": "ticket.opened"})
    (event_id,) = [e["id"] for e in r.json()["items"] if e["data"]["id"] == open_ticket["id"]]
    global REDELIVERED
    REDELIVERED = event_id
    disputed = await api.open(account_id, "store-problem", ref=f"{account_id}-disputed")
    r = await api.post(f"/v1/tickets/{disputed['id']}/resolve", {}, role="helpdesk")
    assert r.status_code == 200, r.text
    r = await api.post(f"/v1/tickets/{disputed['id']}/disputes", {"reason": "too much"}, role="helpdesk")
    assert r.status_code == 201, r.text
    dispute_id = r.json()["id"]
    r = await api.post("/v1/webhook-endpoints", {"url": "https://1.1.1.1/hooks", "event_types": ["*"]})
    assert r.status_code == 201, r.text
    return Scene(
        account_id, bought["lot"]["id"], open_ticket["id"], resolved["id"], event_id, r.json()["id"], dispute_id
    )


async def call(api: Any, endpoint: Endpoint, role: str | None, scene: Scene, **kwargs: Any) -> httpx.Response:
    if endpoint.body is not None and "json" not in kwargs and "content" not in kwargs:
        kwargs["json"] = endpoint.body()
    return await api.request(endpoint.method, scene.url(endpoint), role, **kwargs)


def served_operations(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the app routes. Recent FastAPI versions keep included routers as
    wrappers (`original_router`, `include_context.prefix`) instead of flattening `app.routes`."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes, prefix + route.include_context.prefix)
            elif isinstance(route, APIRoute):
                found.update((method, prefix + route.path) for method in route.methods - {"HEAD"})

    walk(app.routes, "")
    return found


MATRIX = [pytest.param(endpoint, role, id=f"{role}-{endpoint.id}") for endpoint in ENDPOINTS for role in ROLES]
ACCOUNT_SCOPED = [pytest.param(e, id=e.id) for e in ENDPOINTS if e.names_account_object]


# ---- 1. the permission matrix ------------------------------------------------------------------


# The role checks run before any database work; the same role × operation matrix runs on both
# databases in tests/security/test_attack_matrices.py (function level). Here, on SQLite only, it
# checks the table of docs/design.md §7 itself.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
class TestPermissionMatrix:
    @pytest.mark.parametrize(("endpoint", "role"), MATRIX)
    async def test_role_is_allowed_or_forbidden_as_specified(self, api, endpoint: Endpoint, role: str):
        scene = await arrange(api, "acme")
        before = (await api.get("/v1/accounts/acme/statement")).json()

        r = await call(api, endpoint, role, scene)

        if role in endpoint.roles:
            # The scene is arranged so that every allowed call succeeds.
            assert r.status_code not in (401, 403), r.text
            assert r.status_code < 500, r.text
            assert 200 <= r.status_code < 300, f"{role} {endpoint.id}: {r.status_code} {r.text}"
        else:
            problem_with_context(r, 403, "forbidden")
            assert (await api.get("/v1/accounts/acme/statement")).json() == before, "a refused call changed the account"

    @pytest.mark.parametrize(
        ("endpoint", "role"),
        [
            pytest.param(e, role, id=f"{role}-{e.id}")
            for e in ENDPOINTS
            if e.method != "GET"
            for role in ROLES
            if role not in e.roles
        ],
    )
    async def test_forbidden_role_gets_403_even_with_an_invalid_request(self, api, endpoint: Endpoint, role: str):
        scene = await arrange(api, "acme")
        headers = {"Idempotency-Key": "k" * 300, "If-Match": "not-a-version"}

        r = await call(api, endpoint, role, scene, json={"unknown_field": "x"}, headers=headers)

        problem_with_context(r, 403, "forbidden")

    def test_table_covers_every_v1_route_of_the_app(self, api):
        served = served_operations(api.client._transport.app)
        assert ("GET", "/v1/plans") in served, "the route walk found nothing: it would pass vacuously"
        keyed = {(m, p) for m, p in served if p.startswith("/v1/") and not p.startswith(NOT_IN_MATRIX_PREFIXES)}

        assert keyed - {(e.method, e.path) for e in ENDPOINTS} == set(), "routes missing from the permission matrix"

    def test_openapi_lists_no_v1_operation_missing_from_the_table(self, api):
        paths = api.client._transport.app.openapi()["paths"]
        documented = {
            (method.upper(), path)
            for path, operations in paths.items()
            if path.startswith("/v1/") and not path.startswith(NOT_IN_MATRIX_PREFIXES)
            for method in operations
            if method in ("get", "put", "post", "patch", "delete")
        }
        assert ("GET", "/v1/plans") in documented

        assert documented - {(e.method, e.path) for e in ENDPOINTS} == set()

    def test_app_serves_every_endpoint_of_the_table(self, api):
        served = served_operations(api.client._transport.app)

        assert {(e.method, e.path) for e in ENDPOINTS} - served == set(), "the table names endpoints the app lacks"


# ---- 2. a viewer's scope -----------------------------------------------------------------------


class TestViewerScope:
    """A viewer naming another account or its objects gets 404, whatever the method."""

    @pytest.mark.parametrize("endpoint", ACCOUNT_SCOPED)
    async def test_viewer_naming_another_accounts_object_gets_404(self, api, endpoint: Endpoint):
        await arrange(api, "acme")
        other = await arrange(api, "other")
        before = await api.get("/v1/accounts/other/statement")

        r = await call(api, endpoint, "viewer", other)

        problem_with_context(r, 404, "not-found")
        after = await api.get("/v1/accounts/other/statement")
        assert after.json() == before.json(), "a refused call changed the other account"

    @pytest.mark.parametrize(
        "endpoint", [pytest.param(e, id=e.id) for e in ENDPOINTS if e.names_account_object and e.method != "GET"]
    )
    async def test_viewer_naming_another_accounts_object_gets_404_even_with_an_invalid_request(
        self, api, endpoint: Endpoint
    ):
        other = await arrange(api, "other")
        headers = {"Idempotency-Key": "k" * 300, "If-Match": "not-a-version"}

        r = await call(api, endpoint, "viewer", other, json={"unknown_field": "x"}, headers=headers)

        problem_with_context(r, 404, "not-found")

    async def test_viewer_put_on_another_account_is_404_not_403(self, api):
        await arrange(api, "other")

        r = await api.put("/v1/accounts/other", {"display_name": "taken over"}, role="viewer")

        problem_with_context(r, 404, "not-found")
        assert (await api.get("/v1/accounts/other")).json()["display_name"] is None

    async def test_viewer_put_on_a_missing_other_account_is_404_and_creates_nothing(self, api):
        r = await api.put("/v1/accounts/nobody", {}, role="viewer")

        problem_with_context(r, 404, "not-found")
        assert (await api.get("/v1/accounts/nobody")).status_code == 404

    async def test_viewer_on_another_account_with_invalid_body_gets_404_before_422(self, api):
        await arrange(api, "other")

        r = await api.post("/v1/accounts/other/tickets", {"points": "x"}, role="viewer")

        problem_with_context(r, 404, "not-found")

    @pytest.mark.parametrize(
        "endpoint",
        [
            pytest.param(e, id=e.id)
            for e in ENDPOINTS
            if e.path.startswith(("/v1/tickets/", "/v1/disputes/")) and e.method == "POST" and "viewer" not in e.roles
        ],
    )
    async def test_viewer_changing_its_own_accounts_ticket_gets_403(self, api, endpoint: Endpoint):
        scene = await arrange(api, "acme")
        ticket_id = scene.resolved_ticket_id if endpoint.ticket == "resolved" else scene.open_ticket_id
        before = (await api.get(f"/v1/tickets/{ticket_id}")).json()

        r = await call(api, endpoint, "viewer", scene)

        problem_with_context(r, 403, "forbidden")
        assert (await api.get(f"/v1/tickets/{ticket_id}")).json() == before

    async def test_viewer_reads_its_own_account(self, api):
        scene = await arrange(api, "acme")

        r = await api.get(f"/v1/tickets/{scene.open_ticket_id}", role="viewer")

        assert r.status_code == 200, r.text
        assert r.json()["account_id"] == "acme"


# ---- 3. authentication -------------------------------------------------------------------------


def assert_unauthorized(r: httpx.Response) -> None:
    problem_with_context(r, 401, "unauthorized")
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer")


class TestAuthentication:
    @pytest.mark.parametrize(
        "authorization",
        [
            pytest.param(None, id="no-header"),
            pytest.param("Basic abc", id="basic-scheme"),
            pytest.param("Bearer", id="bearer-without-key"),
            pytest.param("Bearer ", id="bearer-empty-key"),
            pytest.param("abc", id="no-scheme"),
            pytest.param("Bearer pts_unknown-key-0123456789", id="unknown-key"),
        ],
    )
    async def test_missing_malformed_or_unknown_key_is_401(self, api, authorization: str | None):
        await api.account("acme")
        headers = {"Authorization": authorization} if authorization is not None else {}

        r = await api.get("/v1/accounts/acme", role=None, headers=headers)

        assert_unauthorized(r)

    @SQLITE_ONLY  # 401 comes before any database work
    @pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.id) for e in ENDPOINTS])
    async def test_every_endpoint_requires_a_key(self, api, endpoint: Endpoint):
        scene = await arrange(api, "acme")

        r = await call(api, endpoint, None, scene)

        assert_unauthorized(r)

    async def test_revoked_key_is_401_on_the_next_request(self, api):
        assert (await api.get("/v1/accounts", role="billing")).status_code == 200

        await api.db.write(RevokeKey(name="test-billing", now=api.clock.now()))

        assert_unauthorized(await api.get("/v1/accounts", role="billing"))
        assert (await api.get("/v1/accounts", role="helpdesk")).status_code == 200

    async def test_401_comes_before_404_and_422(self, api):
        headers = {"Authorization": "Bearer pts_unknown-key-0123456789"}

        r = await api.post("/v1/accounts/does-not-exist/tickets", {"points": "x"}, role=None, headers=headers)

        assert_unauthorized(r)

    async def test_401_comes_before_404_for_a_missing_ticket(self, api):
        r = await api.post("/v1/tickets/does-not-exist/resolve", {"points": "x"}, role=None)

        assert_unauthorized(r)

    async def test_401_comes_before_422_in_query_and_headers(self, api):
        assert_unauthorized(await api.get("/v1/accounts", role=None, params={"limit": 0}))
        headers = {"If-Match": "not-a-version", "Idempotency-Key": "k" * 300}
        assert_unauthorized(await api.post("/v1/tickets/does-not-exist/resolve", {}, role=None, headers=headers))

    async def test_401_comes_before_422_for_malformed_json(self, api):
        r = await api.request(
            "POST",
            "/v1/accounts/does-not-exist/tickets",
            None,
            content=b'{"external_ref": ',
            headers={"Content-Type": "application/json"},
        )

        assert_unauthorized(r)


# ---- 4. the order of the checks ----------------------------------------------------------------


class TestOrderOfChecks:
    async def test_403_before_404_for_a_missing_ticket(self, api):
        r = await api.post("/v1/tickets/does-not-exist/resolve", {}, role="billing")

        problem_with_context(r, 403, "forbidden")

    async def test_403_before_404_and_422(self, api):
        r = await api.post("/v1/tickets/does-not-exist/resolve", {"points": "x"}, role="billing")

        problem_with_context(r, 403, "forbidden")

    async def test_403_before_404_for_a_missing_lot(self, api):
        r = await api.post("/v1/lots/does-not-exist/revoke", {"reason": "charged back"}, role="helpdesk")

        problem_with_context(r, 403, "forbidden")

    async def test_403_before_404_for_a_missing_account(self, api):
        r = await api.post(
            "/v1/accounts/does-not-exist/purchases", {"plan": "points-60", "payment_id": "p-1"}, role="helpdesk"
        )

        problem_with_context(r, 403, "forbidden")

    async def test_404_before_422_for_a_missing_ticket(self, api):
        r = await api.post("/v1/tickets/does-not-exist/resolve", {"points": "x"}, role="helpdesk")

        problem_with_context(r, 404, "not-found")

    async def test_404_before_422_for_a_missing_account(self, api):
        r = await api.post("/v1/accounts/does-not-exist/tickets", {"points": "x"}, role="helpdesk")

        problem_with_context(r, 404, "not-found")

    async def test_404_before_422_for_a_missing_lot(self, api):
        r = await api.post("/v1/lots/does-not-exist/revoke", {"reason": 7}, role="billing")

        problem_with_context(r, 404, "not-found")

    async def test_403_before_422_for_a_viewer_on_its_own_account(self, api):
        await api.account("acme")

        r = await api.post("/v1/accounts/acme/tickets", {"points": "x"}, role="viewer")

        problem_with_context(r, 403, "forbidden")

    async def test_allowed_role_on_existing_object_with_invalid_body_gets_422(self, api):
        scene = await arrange(api, "acme")

        r = await api.post(f"/v1/tickets/{scene.open_ticket_id}/resolve", {"points": "x"}, role="helpdesk")

        problem_with_context(r, 422, "validation-error")

    async def test_403_before_422_in_the_query(self, api):
        r = await api.get("/v1/accounts", role="viewer", params={"limit": 0})

        problem_with_context(r, 403, "forbidden")

    async def test_viewer_404_before_422_in_the_query(self, api):
        await arrange(api, "other")

        r = await api.get("/v1/accounts/other/ledger", role="viewer", params={"limit": 0})

        problem_with_context(r, 404, "not-found")

    async def test_viewer_404_before_422_in_the_path(self, api):
        problem_with_context(await api.put("/v1/accounts/not%20valid", {}, role="viewer"), 404, "not-found")
        problem_with_context(await api.put("/v1/accounts/not%20valid", {}, role="billing"), 422, "validation-error")

    async def test_403_before_422_for_a_malformed_if_match(self, api):
        scene = await arrange(api, "acme")

        r = await api.post(
            f"/v1/tickets/{scene.open_ticket_id}/resolve", {}, role="billing", headers={"If-Match": "not-a-version"}
        )

        problem_with_context(r, 403, "forbidden")

    async def test_404_before_422_for_a_malformed_if_match(self, api):
        r = await api.post(
            "/v1/tickets/does-not-exist/resolve", {}, role="helpdesk", headers={"If-Match": "not-a-version"}
        )

        problem_with_context(r, 404, "not-found")

    async def test_403_before_422_for_an_invalid_idempotency_key(self, api):
        await api.account("acme")
        body = {"external_ref": "HD-1", "category": "consultation"}

        r = await api.post("/v1/accounts/acme/tickets", body, role="billing", headers={"Idempotency-Key": "k" * 300})

        problem_with_context(r, 403, "forbidden")

    async def test_403_before_422_for_malformed_json(self, api):
        await api.account("acme")

        r = await api.request(
            "POST", "/v1/accounts/acme/tickets", "viewer", content=b"{", headers={"Content-Type": "application/json"}
        )

        problem_with_context(r, 403, "forbidden")

    async def test_404_before_422_for_malformed_json(self, api):
        r = await api.request(
            "POST",
            "/v1/tickets/does-not-exist/resolve",
            "helpdesk",
            content=b"{",
            headers={"Content-Type": "application/json"},
        )

        problem_with_context(r, 404, "not-found")


# ---- 5. inactive catalogue entries -------------------------------------------------------------

CATALOGUE_LISTS = ["/v1/plans", "/v1/categories", "/v1/license-products"]


class TestIncludeInactive:
    @pytest.mark.parametrize("path", CATALOGUE_LISTS)
    @pytest.mark.parametrize("role", ROLES)
    async def test_include_inactive_is_admin_only(self, api, path: str, role: str):
        await api.account("acme")

        r = await api.get(path, role=role, params={"include_inactive": "true"})

        if role == "admin":
            assert r.status_code == 200, r.text
        else:
            problem_with_context(r, 403, "forbidden")

    @pytest.mark.parametrize("path", CATALOGUE_LISTS)
    @pytest.mark.parametrize("role", ROLES)
    async def test_active_entries_are_listed_for_every_role(self, api, path: str, role: str):
        r = await api.get(path, role=role, params={"include_inactive": "false"})

        assert r.status_code == 200, r.text

    @pytest.mark.parametrize(
        ("path", "body"),
        [
            ("/v1/plans", {"points": 10, "price": {"amount": "5.00", "currency": "USD"}, "active": False}),
            (
                "/v1/categories",
                {"group": "tests", "name": "Retired", "pricing": {"type": "fixed", "points": 5}, "active": False},
            ),
            (
                "/v1/license-products",
                {"name": "Retired", "bonus_points": 0, "bonus_policy": "first_license", "active": False},
            ),
        ],
    )
    async def test_admin_sees_retired_entries_only_when_asked(self, api, path: str, body: dict[str, Any]):
        r = await api.put(f"{path}/retired", body)
        assert r.status_code == 201, r.text

        active = [e["code"] for e in (await api.get(path)).json()["items"]]
        everything = [e["code"] for e in (await api.get(path, params={"include_inactive": "true"})).json()["items"]]

        assert "retired" not in active
        assert "retired" in everything
