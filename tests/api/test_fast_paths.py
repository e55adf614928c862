"""Fast paths (`api.routing.fast_path`) answer exactly as FastAPI does without them.

A read is sent twice, once with the route's fast path and once with it taken away; a write's
whole sequence of requests is sent twice, once each way, on two sets of accounts of one database
(`fastrun-…` and `slowrun-…`, with ids numbered from one in each run). The answers must be the
same: status, headers (but the request id) and body, byte for byte once the run's name is taken
out. The requests cover who asks (each role, a viewer of another account, no key, a wrong key,
another scheme), what they name (an account that exists, one that does not, ids the path's pattern
refuses), query strings (which the fast paths leave to FastAPI), and for writes the bodies,
content types and Idempotency-Keys, valid and not.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from points_service.api.routers import accounts, tickets
from points_service.api.routing import DeferredJsonRoute
from points_service.db import ids

from conftest import Api

FAST = [
    r
    for router in (accounts.router, tickets.router)
    for r in router.routes
    if isinstance(r, DeferredJsonRoute) and r.fast is not None
]

ACCOUNTS = ["acme", "globex", "ghost", "a" * 64, "a" * 65, "bad%20id", "acme%0A", "%00", "caf%C3%A9", "..", "a:b.c-d_e"]
QUERIES = ["", "?as_of=2026-01-15T11:00:00Z", "?unknown=1", "?as_of=not-a-time"]


def callers(api: Api) -> dict[str, dict[str, str]]:
    return {
        **{role: api.auth(role) for role in api.keys},
        "no key": {},
        "wrong key": {"Authorization": "Bearer pk_not_a_key"},
        "empty key": {"Authorization": "Bearer "},
        "long key": {"Authorization": "Bearer " + "k" * 201},
        "basic": {"Authorization": "Basic YWRtaW46YWRtaW4="},
    }


@contextmanager
def fast_paths_taken_away() -> Iterator[None]:
    kept = [(route, route.fast) for route in FAST]
    for route, _ in kept:
        route.fast = None
    try:
        yield
    finally:
        for route, fast in kept:
            route.fast = fast


def answer(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k != "x-request-id"]
    return response.status_code, headers, response.content


async def both(api: Api, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> Any:
    fast = await api.client.request(method, url, headers=headers, **kwargs)
    with fast_paths_taken_away():
        slow = await api.client.request(method, url, headers=headers, **kwargs)
    assert answer(fast) == answer(slow), (method, url, headers)
    return answer(fast)


async def arrange(api: Api) -> None:
    """acme with lots (one expiring within the window), a ticket holding points and one resolved;
    globex, empty."""
    await api.account("acme")
    await api.account("globex")
    await api.buy()
    await api.buy(plan="points-60")
    await api.open()
    ticket = await api.open()
    r = await api.post(f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk")
    assert r.status_code == 200, r.text


def test_the_routes_with_a_fast_path() -> None:
    assert [(r.path, r.methods) for r in FAST] == [
        ("/v1/accounts/{account_id}/balance", {"GET"}),
        ("/v1/accounts/{account_id}/statement", {"GET"}),
        ("/v1/accounts/{account_id}/tickets", {"POST"}),
        ("/v1/tickets/{ticket_id}/adjust", {"POST"}),
        ("/v1/tickets/{ticket_id}/resolve", {"POST"}),
    ]


async def test_the_balance_answers_as_fastapi_does(api: Api) -> None:
    await arrange(api)
    statuses = set()
    for account_id, query, headers in itertools.product(ACCOUNTS, QUERIES, callers(api).values()):
        status, _, _ = await both(api, "GET", f"/v1/accounts/{account_id}/balance{query}", headers)
        statuses.add(status)
    assert statuses == {200, 401, 404, 422}  # every kind of answer was compared (every role may read it)


async def test_the_statement_answers_as_fastapi_does(api: Api) -> None:
    await arrange(api)
    for n in range(3):  # more than a page of each part with ?limit=2: its cursors are compared too
        await api.open(ref=f"T-more-{n}")
    statuses = set()
    for account_id, query, headers in itertools.product(ACCOUNTS, [*QUERIES, "?limit=2"], callers(api).values()):
        status, _, _ = await both(api, "GET", f"/v1/accounts/{account_id}/statement{query}", headers)
        statuses.add(status)
    assert statuses == {200, 401, 404, 422}


async def test_the_fast_paths_are_taken(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The well-formed request is answered by the fast path; one with a query string (even one the
    route ignores), or an open with a charset in its content type, by FastAPI."""
    await api.account("acme")
    await api.buy()
    reached: list[str] = []
    for route in FAST:
        fast = route.fast
        assert fast is not None

        async def counted(request: Any, fast: Any = fast) -> Any:
            answered = await fast(request)
            reached.append("fast" if answered is not None else "FastAPI")
            return answered

        monkeypatch.setattr(route, "fast", counted)
    assert (await api.get("/v1/accounts/acme/balance")).status_code == 200
    assert (await api.get("/v1/accounts/acme/balance?unknown=1")).status_code == 200
    assert (await api.get("/v1/accounts/acme/statement")).status_code == 200
    assert (await api.get("/v1/accounts/acme/statement?limit=50")).status_code == 200
    body = {"external_ref": "T-1", "category": "store-problem"}
    assert (await api.post("/v1/accounts/acme/tickets", body, role="helpdesk")).status_code == 201
    charset = {"content-type": "application/json; charset=utf-8"}
    r = await api.post(
        "/v1/accounts/acme/tickets",
        content=json.dumps({**body, "external_ref": "T-2"}),
        role="helpdesk",
        headers=charset,
    )
    assert r.status_code == 201
    assert reached == ["fast", "FastAPI", "fast", "FastAPI", "fast", "FastAPI"]


def opens(api: Api, run: str) -> list[tuple[str, str, dict[str, str], bytes]]:
    """The opens of one run: (account, query, headers, body)."""
    acme, globex = f"{run}-acme", f"{run}-globex"
    json_type = {"content-type": "application/json"}
    helpdesk = {**api.auth("helpdesk"), **json_type}

    def body(ref: str, **fields: Any) -> bytes:
        return json.dumps({"external_ref": f"{run}-{ref}", "category": "store-problem", **fields}).encode()

    sent = [
        (acme, "", helpdesk, body("T-1")),
        (acme, "", helpdesk, body("T-1")),  # the same external_ref: 409
        (acme, "", helpdesk, body("T-2", category="consultation", subject="a question")),
        (acme, "", helpdesk, body("T-3", category="aspe-transfer", quantity=2)),
        (acme, "", helpdesk, body("T-4", category="aspe-transfer", quantity=1, estimated_points=200)),  # 422
        (acme, "", helpdesk, body("T-5", category="other", estimated_points=70)),
        (acme, "", helpdesk, body("T-6", category="other")),  # 422: estimate required
        (acme, "", helpdesk, body("T-7", category="no-such-category")),
        (acme, "", helpdesk, body("T-8", category="other", estimated_points=100000)),  # 409 insufficient
        (acme, "", helpdesk, body("T-9", category="other", estimated_points=100000, when_insufficient="wait")),
        (acme, "", helpdesk, body("T-10", unknown="field")),
        (acme, "", helpdesk, body("T-11", quantity="two")),
        (acme, "", helpdesk, b'{"external_ref": "x", "category": '),  # malformed
        (acme, "", helpdesk, b'{"external_ref": "x", "category": "other", "estimated_points": NaN}'),
        (acme, "", helpdesk, b"[]"),
        (acme, "", helpdesk, b""),
        (acme, "", {**api.auth("helpdesk"), "content-type": "text/plain"}, body("T-12")),
        (acme, "", {**api.auth("helpdesk"), "content-type": "application/json; charset=utf-8"}, body("T-13")),
        (acme, "", api.auth("helpdesk"), body("T-14")),  # no content type
        (acme, "?unknown=1", helpdesk, body("T-15")),
        (f"{run}-ghost", "", helpdesk, body("T-16")),
        (f"{run} bad", "", helpdesk, body("T-17")),
        ("a" * 65, "", helpdesk, body("T-18")),
        (globex, "", helpdesk, body("T-19")),  # no points: 409
    ]
    for role in ("admin", "billing", "viewer"):
        sent.append((acme, "", {**api.auth(role), **json_type}, body(f"T-{role}")))
    for name, headers in callers(api).items():
        if name not in api.keys:
            sent.append((acme, "", {**headers, **json_type}, body("T-nokey")))
            sent.append((acme, "", {**headers, **json_type}, b"{"))  # 401 before the malformed body's 422
    keyed = {**helpdesk, "idempotency-key": f"{run}-k1"}
    sent += [
        (acme, "", keyed, body("T-20")),
        (acme, "", keyed, body("T-20")),  # replayed
        (acme, "", keyed, body("T-21")),  # the key reused with another body: 422
        (acme, "", {**helpdesk, "idempotency-key": "k" * 256}, body("T-22")),  # too long: 422
        (acme, "", {**helpdesk, "idempotency-key": f"{run}-k2"}, body("T-1")),  # a stored 409
        (acme, "", {**helpdesk, "idempotency-key": f"{run}-k2"}, body("T-1")),
        (f"{run}-ghost", "", {**helpdesk, "idempotency-key": f"{run}-k3"}, body("T-23")),  # a stored 404
        (f"{run}-ghost", "", {**helpdesk, "idempotency-key": f"{run}-k3"}, body("T-23")),
        (globex, "", {**api.auth("viewer"), **json_type, "idempotency-key": f"{run}-k4"}, body("T-24")),
        (acme, "", {**api.auth("viewer"), **json_type, "idempotency-key": f"{run}-k4"}, body("T-24")),
        (globex, "", {**api.auth("viewer"), **json_type, "idempotency-key": f"{run}-k5"}, body("T-25")),
        (globex, "", {**api.auth("viewer"), **json_type, "idempotency-key": f"{run}-k5"}, body("T-25")),
    ]
    return sent


def ticket_writes(api: Api, run: str, ticket: dict[str, str]) -> list[tuple[str, dict[str, str], bytes]]:
    """Adjusts and resolves of one run, on the tickets it opened (`ticket`: id by external_ref):
    (url, headers, body)."""
    helpdesk = {**api.auth("helpdesk"), "content-type": "application/json"}
    one, two, three, five = (ticket[f"{run}-T-{n}"] for n in (1, 2, 3, 5))

    def adjust(ticket_id: str) -> str:
        return f"/v1/tickets/{ticket_id}/adjust"

    def resolve(ticket_id: str) -> str:
        return f"/v1/tickets/{ticket_id}/resolve"

    def body(**fields: Any) -> bytes:
        return json.dumps(fields).encode()

    sent = [
        (adjust(one), helpdesk, body(points=30, reason="more work")),
        (adjust(one), {**helpdesk, "if-match": '"2"'}, body(points=35, reason="still more")),
        (adjust(one), {**helpdesk, "if-match": '"2"'}, body(points=40, reason="stale")),  # 412
        (adjust(one), {**helpdesk, "if-match": "*"}, body(points=30, reason="less")),
        (adjust(one), {**helpdesk, "if-match": "2"}, body(points=30, reason="unquoted")),  # 422
        (adjust(one), {**helpdesk, "if-match": '"1234567890123456789"'}, body(points=30, reason="x")),  # 422
        (adjust(three), helpdesk, body(points=300, reason="three stores", quantity=3)),
        (adjust(two), helpdesk, body(points=100000, reason="too much")),  # 409 insufficient
        (adjust(two), helpdesk, body(points=-1, reason="negative")),
        (adjust(two), helpdesk, body(reason="no points")),
        (adjust(two), helpdesk, b"{"),
        (adjust(two) + "?unknown=1", helpdesk, body(points=20, reason="query")),
        (adjust(two), {**api.auth("helpdesk"), "content-type": "text/plain"}, body(points=20, reason="t")),
        (adjust(f"tkt_{run}_missing"), helpdesk, body(points=20, reason="missing")),
        (adjust("t" * 65), helpdesk, body(points=20, reason="too long an id")),
        (resolve(one), helpdesk, body()),
        (resolve(one), helpdesk, body()),  # 409: resolved already
        (adjust(one), helpdesk, body(points=5, reason="after the resolve")),  # 409
        (resolve(two), {**helpdesk, "if-match": '"9"'}, body(note="stale")),  # 412
        (resolve(two), helpdesk, body(points=10, note="cheaper than expected")),
        (resolve(five), helpdesk, b""),  # 422: no body
        (resolve(five), helpdesk, body(points="ten")),
        (resolve(five), {**helpdesk, "idempotency-key": f"{run}-r1"}, body(note="keyed")),
        (resolve(five), {**helpdesk, "idempotency-key": f"{run}-r1"}, body(note="keyed")),  # replayed
        (resolve(five), {**helpdesk, "idempotency-key": f"{run}-r1"}, body(note="another")),  # reused
        (adjust(three), {**helpdesk, "idempotency-key": f"{run}-a1", "if-match": '"2"'}, body(points=1, reason="k")),
        (adjust(three), {**helpdesk, "idempotency-key": f"{run}-a1", "if-match": '"2"'}, body(points=1, reason="k")),
    ]
    for role in ("admin", "billing", "viewer"):
        sent.append(
            (adjust(three), {**api.auth(role), "content-type": "application/json"}, body(points=2, reason=role))
        )
    for name, headers in callers(api).items():
        if name not in api.keys:
            sent.append((resolve(three), {**headers, "content-type": "application/json"}, body()))
    return sent


def _unnamed(run: str, text: str) -> str:
    return text.replace(run, "run").replace(run.upper(), "RUN")


async def a_run(api: Api, run: str, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    numbers = itertools.count(1)
    monkeypatch.setattr(ids, "ULID", lambda: f"{run.upper()}{next(numbers):019d}")
    for account_id in (f"{run}-acme", f"{run}-globex"):
        await api.account(account_id)
    await api.buy(f"{run}-acme", plan="points-1200", payment_id=f"{run}-pay-1")
    answers = []
    ticket: dict[str, str] = {}

    async def send(url: str, headers: dict[str, str], body: bytes) -> None:
        status, got_headers, content = answer(await api.client.post(url, headers=headers, content=body))
        if status in (201, 202) and url.endswith("/tickets"):
            opened = json.loads(content)
            ticket.setdefault(opened["external_ref"], opened["id"])
        named = [(k, _unnamed(run, v)) for k, v in got_headers]
        answers.append((_unnamed(run, url), status, named, _unnamed(run, content.decode()).encode()))

    for account_id, query, headers, body in opens(api, run):
        await send(f"/v1/accounts/{account_id}/tickets{query}", headers, body)
    for url, headers, body in ticket_writes(api, run, ticket):
        await send(url, headers, body)
    return answers


async def test_the_ticket_writes_answer_as_fastapi_does(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = await a_run(api, "fastrun", monkeypatch)
    with fast_paths_taken_away():
        slow = await a_run(api, "slowrun", monkeypatch)
    for one, other in zip(fast, slow, strict=True):
        assert one == other
    opens_sent = len(opens(api, "fastrun"))
    assert {status for _, status, _, _ in fast[:opens_sent]} == {201, 202, 401, 403, 404, 409, 415, 422}
    assert {status for _, status, _, _ in fast[opens_sent:]} == {200, 401, 403, 404, 409, 412, 415, 422}
