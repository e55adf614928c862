"""Housekeeping of stored Idempotency-Key responses (kept at least 24 hours)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.models import IdempotencyKey


async def purge_idempotency_keys(session: AsyncSession, *, before: datetime) -> int:
    """Delete the responses stored before `before`; returns how many."""
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
