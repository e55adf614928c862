"""The route a request takes, found without trying every route before it.

FastAPI's router tries its routes one after another (`APIRouter.app`), a regular expression
each, so finding a route costs more the further down the list it is: about a microsecond per
route passed. The balance, 14th, paid 16 µs to be found, the open, 4th, 5.6 µs, and the pages
40–75 µs (docs/performance.md, "Routes found by an index"); through the index, 3.5–4.3 µs each.

`RouteIndex` is a route of its own, placed first in the list. For a request it tries only the
routes that could match the request's path, in the list's order: those with as many path
segments, whose first and last segments are the path's or parameters; and, in their places, those
whose paths it cannot tell by their segments (a `:path` parameter, a mount). Each is asked with
its own `matches`, so the first that matches fully is the route the list would have found: the
index answers with it, and hands the request to it. When none does (a 404, a 405, a slash too
many or too few), when the first match is a route that is not FastAPI's (its handling is the
list's), and for a request under a root path, the index answers "no match" and the router goes
on down the list as it always did.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import PARAM_REGEX, BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

# Starlette's convertors whose values never hold a "/": a path whose parameters (Starlette's
# `PARAM_REGEX`) all use them only has as many segments as its template.
_WITHIN_A_SEGMENT = frozenset({"str", "int", "float", "uuid"})

Shape = tuple[int, str | None, str | None]  # segments; the first and the last one when literal text


def shape(route: BaseRoute) -> Shape | None:
    """The paths a route can match, as the index tells them apart: how many segments (the
    template's), and the text of the first and of the last, None where the template has a
    parameter. None for a route the index cannot tell by its segments."""
    if not isinstance(route, Route):
        return None
    if any((param.group(2) or ":str")[1:] not in _WITHIN_A_SEGMENT for param in PARAM_REGEX.finditer(route.path)):
        return None
    segments = route.path.split("/")  # the first is the text before the leading "/"
    first, last = segments[1] if len(segments) > 1 else "", segments[-1]
    return len(segments), None if PARAM_REGEX.search(first) else first, None if PARAM_REGEX.search(last) else last


class RouteIndex(BaseRoute):
    """The routes of `routes` (the app's list, this index left out), by the paths they can match."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self._listed = [(route, shape(route)) for route in routes if not isinstance(route, RouteIndex)]
        self._counts = {known[0] for _, known in self._listed if known is not None}
        self._firsts = {known[1] for _, known in self._listed if known is not None}
        self._lasts = {known[2] for _, known in self._listed if known is not None}
        self._unknown = self._could_match(-1, None, None)  # for paths no template has as many segments as
        # (segments, first, last) → the routes that could match such a path: as many segments as
        # some template, first and last a text some template has there or None for any other. The
        # keys are bounded by the routes, whatever paths the clients send.
        self._found: dict[Shape, tuple[BaseRoute, ...]] = {}

    def candidates(self, path: str) -> tuple[BaseRoute, ...]:
        """The routes that could match `path`, in the list's order."""
        segments = path.count("/") + 1
        if segments not in self._counts:
            return self._unknown
        second = path.find("/", 1)
        first = path[1:second] if second > 0 else path[1:]
        last = path[path.rfind("/") + 1 :]
        key = (segments, first if first in self._firsts else None, last if last in self._lasts else None)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._could_match(*key)
        return found

    def _could_match(self, segments: int, first: str | None, last: str | None) -> tuple[BaseRoute, ...]:
        return tuple(
            route
            for route, known in self._listed
            if known is None or (known[0] == segments and known[1] in (None, first) and known[2] in (None, last))
        )

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # Left to the list: a request under a root path (the part of its path the routes match is
        # Starlette's to find), and with FastAPI's telemetry on (it names the request's route after
        # the route the list gives it).
        if scope["type"] != "http" or scope.get("root_path") or scope.get("fastapi.telemetry") is not None:
            return Match.NONE, {}
        for route in self.candidates(scope["path"]):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                if not isinstance(route, APIRoute):
                    return Match.NONE, {}
                child_scope["route"] = route  # FastAPI's routes say so themselves; `handle` needs it
                return Match.FULL, child_scope
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope["route"].handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)  # the routes themselves answer it, further down the list
