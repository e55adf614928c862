"""Route class that defers a malformed JSON body's 422 until after authentication and access,
and lets a route answer its common request without FastAPI's dependency solving.

FastAPI parses the body before it runs dependencies, which would answer a malformed body with
422 before 401/403/404. docs/design.md §7 orders the checks 401 → 404 → 403 → 404 → 422, so the body is
parsed here first; a malformed one becomes a placeholder that fails validation after the
dependencies ran, and the validation handler reports it as malformed JSON.

A fast path (`fast_path`) is a coroutine of the request that either answers it or returns None,
and FastAPI then handles the request as if there were none (given the body again if the fast
path read it). It answers only requests it can answer exactly as FastAPI would, by calling the
same checks and the same route code; tests/api/test_fast_paths.py sends each route's requests
both ways and compares the answers. FastAPI's solving of a route's dependencies and parameters
costs more than a balance read itself (docs/performance.md, "Fast paths").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute, APIRouter
from starlette.types import Message, Receive, Scope, Send

MALFORMED_JSON = "points_malformed_json"
RAW_BODY = "points_body"  # the request body as received, for fingerprints of errors answered early

MAX_DEPTH = 32  # nesting of arrays and objects in a request body (metadata, webhook payloads)


class MalformedJson(ValueError):
    """A body that is not JSON this service can store and send back."""


def _constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedJson(f"the number {text[:20]} is out of range")
    return value


def _check(value: Any, depth: int, pointer: str) -> None:
    """No lone surrogate in any string (not Unicode text: no database stores it, no encoder
    sends it back) and no nesting deeper than MAX_DEPTH (the response could not be rendered)."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise MalformedJson(f"#{pointer}: a string holds a lone UTF-16 surrogate, which is not Unicode text")
    elif isinstance(value, dict | list):
        if depth >= MAX_DEPTH:
            raise MalformedJson(f"nested deeper than {MAX_DEPTH} levels")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            _check(key, depth + 1, pointer)
            _check(item, depth + 1, f"{pointer}/{key}")


_SURROGATE = re.compile("[\ud800-\udfff]")


_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_finite)


def parse_json(body: bytes) -> Any:
    """`json.loads`, refusing what RFC 8259 (I-JSON, RFC 7493) does not allow or this service
    cannot store and send back: NaN and Infinity, numbers beyond a double, lone surrogates,
    deeper nesting than MAX_DEPTH. Every refusal is a ValueError."""
    try:
        text = body.decode(json.detect_encoding(body), "surrogatepass") if isinstance(body, bytes) else body
        value = _DECODER.decode(text)
    except RecursionError:
        raise MalformedJson(f"nested deeper than {MAX_DEPTH} levels") from None
    _check(value, 0, "")
    return value


# Stands for a body that is not JSON. A plain string, because no request model accepts one: FastAPI
# validates bodies with `from_attributes`, so a placeholder *object* would pass as an empty body
# for a model whose fields are all optional (`PUT /v1/accounts/x` with `{` created the account).
_MALFORMED = "<malformed JSON>"


FastPath = Callable[[Request], Awaitable[Response | None]]


class DeferredJsonRoute(APIRoute):
    fast: FastPath | None = None  # set by `fast_path`

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The fast path first, when there is one: before FastAPI's wrapping of the request (its exit
        stacks and exception handling; an exception raised here meets the same handlers a step
        further out, in the app's `ExceptionMiddleware`)."""
        if self.fast is not None and scope["method"] in (self.methods or ()):
            request = Request(scope, receive, send)
            answered = await self.fast(request)
            if answered is not None:
                await answered(scope, receive, send)
                return
            # FastAPI's own Request reads the body again: from here (the fast path may have read it).
            receive = replaying(await request.body(), receive)
        await super().handle(scope, receive, send)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def deferred(request: Request) -> Response:
            body = await request.body()
            request.scope[RAW_BODY] = body
            if body:
                try:
                    request._json = parse_json(body)  # what request.json() will return
                except ValueError as exc:  # JSONDecodeError, bad UTF-8 and MalformedJson alike
                    request._json = _MALFORMED
                    request.scope[MALFORMED_JSON] = str(exc)
            return await handler(request)

        return deferred


def replaying(body: bytes, receive: Receive) -> Receive:
    """`receive`, giving `body` (already read) first."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def fast_path(router: APIRouter, endpoint: Callable[..., Any]) -> Callable[[FastPath], FastPath]:
    """Makes the decorated coroutine the fast path of `endpoint`'s route in `router`."""

    def register(fast: FastPath) -> FastPath:
        (route,) = (r for r in router.routes if isinstance(r, DeferredJsonRoute) and r.endpoint is endpoint)
        route.fast = fast
        return fast

    return register
