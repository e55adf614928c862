"""Revocation: the payment behind a lot was refunded or charged back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from ..db.records import Lot
from ..domain.errors import NotFoundError
from .context import Context
from .ledger import Move, open_account_write
from .state import Needs, Scope


@dataclass(frozen=True)
class RevocationTally:
    lot: Lot
    revoked: int
    held_by_open_tickets: int
    unrecoverable: int
    already_expired: int
    written_off: int
    reissued: int
    revoked_from_reissued_lots: int  # available points of lots reissued from this one
    as_of: datetime


@dataclass(frozen=True, kw_only=True)
class RevokeLot:
    """Revoke the lot's available points now; held points are revoked when they come back.

    Lots reissued from it (its `origin_lot_id` chain) are revoked too. Revoking again changes
    nothing and reports the current figures. `account_id` is the lot's account (a lot never
    changes account); a lot that is not that account's is answered as absent.
    """

    ctx: Context
    account_id: str
    lot_id: str
    reason: str

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)
        needs.lots.add(self.lot_id)
        needs.all_lots.add(self.account_id)

    def apply(self, tx: Scope) -> RevocationTally:
        found = tx.get(Lot, self.lot_id)
        if found is None or found.account_id != self.account_id:
            raise NotFoundError("lot", self.lot_id)
        writer = open_account_write(tx, self.ctx, self.account_id)
        lot = tx.lot(self.lot_id)
        chain = _reissued_from(lot.id, tx.lots_of(self.account_id))
        if lot.revoked_at is None:
            moves = []
            for target in [lot, *chain]:
                if target.revoked_at is None:
                    tx.update(replace(target, revoked_at=writer.now))
                moves.append(Move(target.id, "available", "revoked", target.available))
            if writer.post("revocation", moves, reason=self.reason) is None:
                writer.touch()
        lot = tx.lot(self.lot_id)
        return RevocationTally(
            lot=lot,
            revoked=lot.revoked,
            held_by_open_tickets=lot.held,
            unrecoverable=lot.deducted,
            already_expired=lot.expired,
            written_off=lot.written_off,
            reissued=lot.reissued,
            revoked_from_reissued_lots=sum(tx.lot(c.id).revoked for c in chain),
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
