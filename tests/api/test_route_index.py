"""The route index (`api.route_index`) finds the route FastAPI's list of routes would find.

For every route of the app, paths made from its template (filled in, with a slash more or less,
a segment more or less, an empty parameter) are asked with every method, and the index must
answer with the first route of the list that matches fully, or leave the request to the list
when that route is not one it hands requests to (or there is none: a 404, a 405, a redirect), and
when the request comes under a root path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import PARAM_REGEX, BaseRoute, Match, Route

from points_service.api.route_index import RouteIndex, shape
from points_service.app import create_app
from points_service.settings import Settings

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
VALUES = {"str": "x1", "int": "7", "float": "1.5", "uuid": str(uuid.UUID(int=7)), "path": "a/b"}
ODD_PATHS = [
    "",
    "/",
    "/nope",
    "/v1",
    "/v1/",
    "/V1/accounts/x1/balance",
    "/v1/accounts/x1/balance/more/and/more",
    "/ui/a/b/c/d",
    "/ui/accounts/x1/statement.csv/",
    "/docs/assets",
    "/docs/assets/swagger-ui.css",
    "/v1/accounts/%2F/balance",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    database = Path(tmp_path_factory.mktemp("route-index")) / "unused.db"  # never connected to
    return create_app(Settings(database_url=f"sqlite:///{database}", bench_routes=True))


def listed(app: FastAPI) -> list[BaseRoute]:
    index, *rest = app.router.routes
    assert isinstance(index, RouteIndex), "the index is the first route"
    return rest


def paths_of(route: BaseRoute) -> Iterator[str]:
    template = getattr(route, "path", None)
    if template is None:
        return
    filled = PARAM_REGEX.sub(lambda m: VALUES[(m.group(2) or ":str")[1:]], template)
    yield filled
    yield filled + "/"
    yield filled.rstrip("/") or "/"
    yield filled + "/extra"
    yield filled.rsplit("/", 1)[0] or "/"
    yield PARAM_REGEX.sub("", template)  # an empty parameter


def scope(method: str, path: str, root_path: str = "") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": root_path + path,
        "root_path": root_path,
        "headers": [],
        "query_string": b"",
    }


def first_full(routes: list[BaseRoute], asked: dict[str, Any]) -> BaseRoute | None:
    """What FastAPI's router does: the first route of the list that matches fully."""
    for route in routes:
        if route.matches(dict(asked))[0] is Match.FULL:
            return route
    return None


def answer_of(index: RouteIndex, asked: dict[str, Any]) -> BaseRoute | None:
    match, child_scope = index.matches(dict(asked))
    if match is Match.NONE:
        return None
    assert match is Match.FULL, "the index matches fully or not at all"
    return child_scope["route"]  # type: ignore[no-any-return]


def test_the_index_finds_the_route_the_list_finds(app: FastAPI) -> None:
    routes = listed(app)
    index = app.router.routes[0]
    assert isinstance(index, RouteIndex)
    paths = {path for route in routes for path in paths_of(route)} | set(ODD_PATHS)
    found = passed_on = 0
    for path in sorted(paths):
        for method in METHODS:
            for root_path in ("", "/behind/a/proxy"):
                asked = scope(method, path, root_path)
                expected, answer = first_full(routes, asked), answer_of(index, asked)
                where = f"{method} {root_path}{path}"
                if isinstance(expected, APIRoute) and not root_path:
                    assert answer is expected, f"{where}: {getattr(answer, 'path', None)} for {expected.path}"
                    found += 1
                else:  # none, a route whose handling stays the list's (a mount, Starlette's own), a root path
                    assert answer is None, f"{where}: {getattr(answer, 'path', None)} for {expected}"
                    passed_on += 1
    # The samples reach both answers, and every route of FastAPI's is found by the index.
    assert found > 120 and passed_on > 2500, (found, passed_on)
    for route in routes:
        if isinstance(route, APIRoute):
            for method in route.methods:
                asked = scope(method, next(paths_of(route)))
                assert answer_of(index, asked) is first_full(routes, asked), f"{method} {route.path}"


def test_paths_that_two_routes_match_go_to_the_first(app: FastAPI) -> None:
    """`/ui/accounts/{account_id}` and `/ui/{rest:path}` both match `/ui/accounts/x1`: the list's
    order decides, and the index keeps it (its negative control: candidates in any other order)."""
    index = app.router.routes[0]
    assert isinstance(index, RouteIndex)
    asked = scope("GET", "/ui/accounts/x1")
    matching = [r for r in listed(app) if r.matches(dict(asked))[0] is Match.FULL]
    assert [r.path for r in matching if isinstance(r, Route)] == ["/ui/accounts/{account_id}", "/ui/{rest:path}"]
    assert answer_of(index, asked) is matching[0]


def test_what_the_index_keeps_is_bounded_by_the_routes(app: FastAPI) -> None:
    """Clients choose the paths: however many segments, firsts and lasts they send, the index
    keeps a list of routes only per shape that some route's template has."""
    index = RouteIndex(listed(app))  # a new one: nothing asked yet
    for n in range(1, 300):
        for first in ("v1", "ui", f"odd{n}"):
            index.matches(scope("GET", "/" + "/".join([first, *(f"s{n}-{i}" for i in range(n))])))
    shapes = [shape(route) for route in listed(app)]
    segments = {known[0] for known in shapes if known}
    firsts = {known[1] for known in shapes if known}
    lasts = {known[2] for known in shapes if known}
    assert len(index._found) <= len(segments) * (len(firsts) + 1) * (len(lasts) + 1)
    assert len(index._found) <= 3 * len(segments), "these paths end in texts no template has"


def test_with_fastapis_telemetry_on_the_list_finds_the_route(app: FastAPI) -> None:
    """FastAPI's telemetry names a request's route after the route its list picks."""
    index = app.router.routes[0]
    assert isinstance(index, RouteIndex)
    asked = scope("GET", "/v1/accounts/x1/balance")
    assert answer_of(index, asked) is not None
    assert index.matches({**asked, "fastapi.telemetry": object()}) == (Match.NONE, {})


def test_the_routes_still_make_their_urls(app: FastAPI) -> None:
    """`url_path_for` asks each route in turn: the index names none, the routes theirs."""
    assert app.url_path_for("get_balance", account_id="acme") == "/v1/accounts/acme/balance"
    assert app.url_path_for("get_ticket", ticket_id="t1") == "/v1/tickets/t1"


async def test_requests_reach_their_routes_through_the_index(app: FastAPI) -> None:
    """Served: a route found by the index, a 405 and a 404 that the list still answers, and a
    request under a root path."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/bench/ceiling")).status_code == 200
        refused = await client.delete("/bench/ceiling")
        assert refused.status_code == 405
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert (await client.get("/v1/no-such-thing")).status_code == 404
    behind = httpx.ASGITransport(app=app, root_path="/behind")  # the list finds the route
    async with httpx.AsyncClient(transport=behind, base_url="http://test") as client:
        assert (await client.get("/behind/bench/ceiling")).status_code == 200
