"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text

from .. import schemas
from ..deps import database
from ..problems import ProblemError
from ..routing import DeferredJsonRoute

router = APIRouter(tags=["health"], route_class=DeferredJsonRoute)


@router.get("/healthz", operation_id="healthz", summary="Liveness", response_model=schemas.Health)
async def healthz() -> dict[str, Any]:
    """Answers 200 while the process runs; no database access."""
    return {"status": "ok"}


@router.get(
    "/readyz", operation_id="readyz", summary="Readiness, with a database round trip", response_model=schemas.Health
)
async def readyz(request: Request) -> dict[str, Any]:
    """Answers 200 when a database round trip succeeds, else 503 `database-busy`."""
    try:
        await database(request).read_one(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means not ready
        raise ProblemError("database-busy", "the database is not reachable", headers={"Retry-After": "1"}) from exc
    return {"status": "ok"}
