"""Route class that defers a malformed JSON body's 422 until after authentication and access.

FastAPI parses the body before it runs dependencies, which would answer a malformed body with
422 before 401/403/404. SPEC orders the checks 401 → 404 → 403 → 404 → 422, so the body is
parsed here first; a malformed one becomes a placeholder that fails validation after the
dependencies ran, and the validation handler reports it as malformed JSON.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.routing import APIRoute

MALFORMED_JSON = "points_malformed_json"
RAW_BODY = "points_body"  # the request body as received, for fingerprints of errors answered early


class _Malformed:
    """Stands for a body that is not JSON: no model accepts it."""


class DeferredJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def deferred(request: Request) -> Response:
            body = await request.body()
            request.scope[RAW_BODY] = body
            if body:
                try:
                    request._json = json.loads(body)  # what request.json() will return
                except ValueError as exc:  # JSONDecodeError and bad UTF-8 alike
                    request._json = _Malformed()
                    request.scope[MALFORMED_JSON] = str(exc)
            return await handler(request)

        return deferred
