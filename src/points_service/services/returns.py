"""Points leaving a ticket back to the customer: lowered captures, refunds and credits.

They undo the ticket's allocations in reverse sequence, each going back to its own lot, and the
lot's situation decides what becomes of them (`domain.lots.return_target`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Literal

from ..db.records import Allocation, Ticket
from ..domain.lots import Allocation as Returnable
from ..domain.lots import ReturnReason, ReturnTarget, return_target, unwind
from .ledger import AccountWriter, Move, new_lot


@dataclass(frozen=True)
class Returned:
    points: int
    forfeited: int  # revoked again at once because their lot was revoked
    expired: int  # expired at once because their lot had expired
    reissued: int  # moved into new `returned` lots


def give_back(
    writer: AccountWriter,
    ticket: Ticket,
    points: int,
    *,
    from_state: Literal["held", "deducted"],
    reason: ReturnReason,
    kind: Literal["capture_decrease", "return"],
    note: str | None = None,
    dispute_id: str | None = None,
) -> Returned:
    """Return `points` of the ticket's `from_state` points and write the entries it takes: the
    `kind` entry (reason `note`, else the return's reason; linked to `dispute_id` when an accepted
    dispute gives them back), then any revocation or expiry the return policy makes of them."""
    if points == 0:
        return Returned(0, 0, 0, 0)
    tx, now = writer.tx, writer.now
    allocations = {a.seq: a for a in tx.allocations(ticket.id)}
    pieces = unwind(
        [
            Returnable(a.seq, a.lot_id, a.held if from_state == "held" else a.deducted - a.returned)
            for a in allocations.values()
        ],
        points,
    )
    moves: list[Move] = []
    forfeits: list[Move] = []
    to_expire: set[str] = set()
    reissued: dict[str, str] = {}  # origin lot → its new `returned` lot
    totals: dict[ReturnTarget, int] = defaultdict(int)
    for seq, lot_id, n in pieces:
        tx.update(_returned(allocations[seq], n, from_state, reason))
        lot = tx.lot(lot_id)
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
                fresh = reissued[lot.id] = tx.insert(
                    new_lot(
                        lot.account_id,
                        "returned",
                        granted_at=now,
                        now=now,
                        expires_at=now + writer.return_grace,
                        origin_lot_id=lot.id,
                        unit_price=lot.unit_price,  # reissued points keep their cost basis
                        unit_currency=lot.unit_currency,
                        basis_plan_code=lot.basis_plan_code,
                    )
                ).id
            moves += [Move(lot.id, from_state, "reissued", n), Move(fresh, None, "available", n)]
            continue
        moves.append(Move(lot.id, from_state, "available", n))
        if target is ReturnTarget.REVOKE:
            forfeits.append(Move(lot.id, "available", "revoked", n))
        elif target is ReturnTarget.EXPIRE:
            to_expire.add(lot.id)

    writer.post(kind, moves, ticket_id=ticket.id, reason=note or str(reason), dispute_id=dispute_id)
    writer.post("revocation", forfeits, ticket_id=ticket.id, reason="returned to a revoked lot")
    for lot_id in sorted(to_expire):
        writer.expire_lot(lot_id)
    if reissued:  # new lots: points arrived
        writer.points_arrived()
    return Returned(
        points=points,
        forfeited=totals[ReturnTarget.REVOKE],
        expired=totals[ReturnTarget.EXPIRE],
        reissued=totals[ReturnTarget.REISSUE],
    )


def _returned(allocation: Allocation, n: int, from_state: str, reason: ReturnReason) -> Allocation:
    """The allocation after `n` of its points went back."""
    if from_state == "held":
        if reason is ReturnReason.LOWERED:
            return replace(allocation, held=allocation.held - n, released=allocation.released + n)
        return replace(allocation, held=allocation.held - n, returned=allocation.returned + n)
    return replace(allocation, returned=allocation.returned + n)
