"""Revocation: the payment behind a lot was refunded or charged back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.models import Lot
from ..domain.errors import NotFoundError
from .context import Context
from .ledger import Move, open_account_write


@dataclass
class Revocation:
    lot: Lot
    revoked: int
    held_by_open_tickets: int
    unrecoverable: int
    already_expired: int
    written_off: int
    reissued: int
    revoked_from_reissued_lots: int  # available points of lots reissued from this one
    as_of: datetime


async def revoke_lot(session: AsyncSession, ctx: Context, *, lot_id: str, reason: str) -> Revocation:
    """Revoke the lot's available points now; held points are revoked when they come back.

    Lots reissued from it (its `origin_lot_id` chain) are revoked too. Revoking again changes
    nothing and reports the current figures.
    """
    account_id = await session.scalar(select(Lot.account_id).where(Lot.id == lot_id))
    if account_id is None:
        raise NotFoundError("lot", lot_id)
    writer = await open_account_write(session, ctx, account_id)
    account_lots = {
        lot.id: lot
        for lot in (
            await session.scalars(
                select(Lot).where(Lot.account_id == account_id).execution_options(populate_existing=True)
            )
        ).all()
    }
    lot = account_lots[lot_id]
    chain = _reissued_from(lot_id, account_lots.values())
    if lot.revoked_at is None:
        moves = []
        for target in [lot, *chain]:
            if target.revoked_at is None:
                target.revoked_at = writer.now
            moves.append(Move(target, "available", "revoked", target.available))
        await writer.post("revocation", moves, reason=reason)
    return Revocation(
        lot=lot,
        revoked=lot.revoked,
        held_by_open_tickets=lot.held,
        unrecoverable=lot.deducted,
        already_expired=lot.expired,
        written_off=lot.written_off,
        reissued=lot.reissued,
        revoked_from_reissued_lots=sum(c.revoked for c in chain),
        as_of=writer.now,
    )


def _reissued_from(lot_id: str, lots: Iterable[Lot]) -> list[Lot]:
    children: dict[str, list[Lot]] = {}
    for lot in lots:
        if lot.origin_lot_id:
            children.setdefault(lot.origin_lot_id, []).append(lot)
    chain, stack = [], [lot_id]
    while stack:
        for child in children.get(stack.pop(), []):
            chain.append(child)
            stack.append(child.id)
    return sorted(chain, key=lambda lot: lot.id)
