"""The `ceiling_bare` scenario's app: FastAPI with one route and nothing else.

`POST /bench/ceiling` validates its body with the service's `TicketCreate` and echoes it, as
`points_service.api.routers.bench.ceiling_post` does, but without the service's middleware, route
class, problem handlers, other routes or settings: what FastAPI alone makes of the same request.
`bench/run.py` serves it with `bench/serve_bare.py` and compares it with `ceiling_post`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from points_service.api.schemas import TicketCreate


def create_bare_app() -> FastAPI:
    # No OpenAPI document and no docs pages: FastAPI() would add four routes of its own.
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/bench/ceiling")
    async def ceiling_post(body: TicketCreate) -> dict[str, Any]:
        return body.model_dump(exclude_none=True)

    return app
