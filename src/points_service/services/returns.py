"""Points leaving a ticket back to the customer: lowered captures, refunds and credits.

They undo the ticket's allocations in reverse sequence, each going back to its own lot, and the
lot's situation decides what becomes of them (`domain.lots.return_target`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from ..db.models import Lot, Ticket, TicketAllocation
from ..domain.lots import Allocation, ReturnReason, ReturnTarget, return_target, unwind
from .ledger import AccountWriter, Move, load_lots, new_lot


@dataclass(frozen=True)
class Returned:
    points: int
    forfeited: int  # revoked again at once because their lot was revoked
    expired: int  # expired at once because their lot had expired
    reissued: int  # moved into new `returned` lots


async def give_back(
    writer: AccountWriter,
    ticket: Ticket,
    allocations: list[TicketAllocation],
    points: int,
    *,
    from_state: Literal["held", "deducted"],
    reason: ReturnReason,
    kind: Literal["capture_decrease", "return"],
    note: str | None = None,
) -> Returned:
    """Return `points` of the ticket's `from_state` points and write the entries it takes."""
    if points == 0:
        return Returned(0, 0, 0, 0)
    session, now = writer.session, writer.now
    by_seq = {a.seq: a for a in allocations}
    pieces = unwind(
        [
            Allocation(a.seq, a.lot_id, a.held if from_state == "held" else a.deducted - a.returned)
            for a in allocations
        ],
        points,
    )
    lot_ids = {lot_id for _, lot_id, _ in pieces}
    lots = await load_lots(session, lot_ids)

    moves: list[Move] = []
    forfeits: list[Move] = []
    to_expire: dict[str, Lot] = {}
    reissued: dict[str, Lot] = {}
    totals: dict[ReturnTarget, int] = defaultdict(int)
    for seq, lot_id, n in pieces:
        allocation, lot = by_seq[seq], lots[lot_id]
        if from_state == "held":
            allocation.held -= n
            if reason is ReturnReason.LOWERED:
                allocation.released += n
            else:
                allocation.returned += n
        else:
            allocation.returned += n
        target = return_target(
            expires_at=lot.expires_at,
            revoked=lot.revoked_at is not None,
            now=now,
            grace=writer.return_grace,
            reason=reason,
        )
        totals[target] += n
        if target is ReturnTarget.REISSUE:
            fresh = reissued.get(lot.id)
            if fresh is None:
                fresh = reissued[lot.id] = new_lot(
                    lot.account_id,
                    "returned",
                    granted_at=now,
                    now=now,
                    expires_at=now + writer.return_grace,
                    origin_lot_id=lot.id,
                )
                session.add(fresh)
            moves += [Move(lot, from_state, "reissued", n), Move(fresh, None, "available", n)]
            continue
        moves.append(Move(lot, from_state, "available", n))
        if target is ReturnTarget.REVOKE:
            forfeits.append(Move(lot, "available", "revoked", n))
        elif target is ReturnTarget.EXPIRE:
            to_expire[lot.id] = lot

    await writer.post(kind, moves, ticket_id=ticket.id, reason=note or str(reason))
    await writer.post("revocation", forfeits, ticket_id=ticket.id, reason="returned to a revoked lot")
    for lot in sorted(to_expire.values(), key=lambda lot: lot.id):
        await writer.expire_lot(lot)
    return Returned(
        points=points,
        forfeited=totals[ReturnTarget.REVOKE],
        expired=totals[ReturnTarget.EXPIRE],
        reissued=totals[ReturnTarget.REISSUE],
    )
