"""Fast paths (`api.routing.fast_path`) answer exactly as FastAPI does without them.

Every request is sent twice, once with the route's fast path and once with it taken away, and the
two answers must be the same: status, headers (but the request id) and body, byte for byte. The
requests cover who asks (each role, a viewer of another account, no key, a wrong key, another
scheme), what they name (an account that exists, one that does not, ids the path's pattern
refuses) and query strings (which the fast paths leave to FastAPI).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from points_service.api.routers import accounts
from points_service.api.routing import DeferredJsonRoute

from conftest import Api

FAST = [r for r in accounts.router.routes if isinstance(r, DeferredJsonRoute) and r.fast is not None]

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


def test_the_balance_has_a_fast_path() -> None:
    assert [(r.path, r.methods) for r in FAST] == [("/v1/accounts/{account_id}/balance", {"GET"})]


async def test_the_balance_answers_as_fastapi_does(api: Api) -> None:
    await arrange(api)
    statuses = set()
    for account_id, query, headers in itertools.product(ACCOUNTS, QUERIES, callers(api).values()):
        status, _, _ = await both(api, "GET", f"/v1/accounts/{account_id}/balance{query}", headers)
        statuses.add(status)
    assert statuses == {200, 401, 404, 422}  # every kind of answer was compared (every role may read it)


async def test_the_fast_path_is_taken(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a query string the fast path answers; with one (even one the route ignores), FastAPI."""
    await api.account("acme")
    (route,) = FAST
    reached: list[str] = []
    fast = route.fast
    assert fast is not None

    async def counted(request: Any) -> Any:
        answered = await fast(request)
        reached.append("fast" if answered is not None else "FastAPI")
        return answered

    monkeypatch.setattr(route, "fast", counted)
    assert (await api.get("/v1/accounts/acme/balance")).status_code == 200
    assert (await api.get("/v1/accounts/acme/balance?unknown=1")).status_code == 200
    assert reached == ["fast", "FastAPI"]
