"""An account's balance at an instant, from its counters and its lots with available points.

Stored counters include available points whose lot has expired but whose `expiry` entry is not
written yet: those no longer count, and the rest expiring within the window are listed. The write
path (a grant's response) and the reads compute it here, the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..db.records import Lot
from ..domain.clock import is_expired


@dataclass(frozen=True, slots=True)
class Expiring:
    lot_id: str
    points: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class BalanceView:
    account_id: str
    available: int
    held: int
    deducted: int
    expiring: list[Expiring]
    as_of: datetime
    awaiting: tuple[int, int] = (0, 0)  # tickets waiting for points: how many, for how many points


def balance_at(
    account_id: str,
    counters: tuple[int, int, int],
    lots: Iterable[tuple[datetime | None, str, int]],
    now: datetime,
    window: timedelta,
    awaiting: tuple[int, int] = (0, 0),
) -> BalanceView:
    """`counters`: the stored (available, held, deducted); `lots`: (expires_at, lot id, available
    points) of the account's lots with available points (others may be included and are ignored)."""
    available, held, deducted = counters
    horizon = now + window
    relevant = sorted(
        (at, lot_id, points) for at, lot_id, points in lots if points > 0 and at is not None and at <= horizon
    )
    return BalanceView(
        account_id=account_id,
        available=available - sum(points for at, _, points in relevant if is_expired(at, now)),
        held=held,
        deducted=deducted,
        expiring=[Expiring(lot_id, points, at) for at, lot_id, points in relevant if not is_expired(at, now)],
        as_of=now,
        awaiting=awaiting,
    )


@dataclass
class PendingExpiry:
    """An expiry that is due but not yet written: shown with `pending: true` and no seq."""

    lot: Lot
    points: int
    available_after: int
    held_after: int
    deducted_after: int
    created_at: datetime
    virtual_seq: int  # the seq it would get if written now: orders it among entries, never shown
    postings: list[dict[str, Any]] = field(default_factory=list)


def effective_lot_states(lot: Lot, now: datetime) -> dict[str, int]:
    """The lot's states at `now`: available points of an expired lot count as expired."""
    states = lot.states()
    if is_expired(lot.expires_at, now):
        states["expired"] += states["available"]
        states["available"] = 0
    return states
