"""The ceiling routes `make bench` compares every scenario with (only with POINTS_BENCH_ROUTES=true).

They go through the same middleware and route class as the API but touch neither the database
nor the key store: what the framework alone costs for a trivial GET and for a POST whose body a
pydantic model validates. They are left out of the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..routing import DeferredJsonRoute
from ..schemas import TicketCreate

router = APIRouter(prefix="/bench", tags=["bench"], route_class=DeferredJsonRoute, include_in_schema=False)


@router.get("/ceiling")
async def ceiling_get() -> dict[str, Any]:
    return {"ok": True}


@router.post("/ceiling")
async def ceiling_post(body: TicketCreate) -> dict[str, Any]:
    """Validates a ticket-open body (unknown fields refused) and echoes it."""
    return body.model_dump(exclude_none=True)
