"""Lots: consumption order, allocation of captures, and where returned points go.

A lot is one arrival of points. Its points are each in exactly one state; the states always sum
to the lot's `points`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import is_expired
from .errors import InsufficientPointsError


class LotState(enum.StrEnum):
    """Where a lot's points are; a lot's seven states always sum to its points."""

    AVAILABLE = "available"
    HELD = "held"
    DEDUCTED = "deducted"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WRITTEN_OFF = "written_off"
    REISSUED = "reissued"


# The states in which a lot holds points for its account (spendable, or held by a ticket); a lot with
# none in them is used up, expired or revoked (the lots list leaves it out; as-of reads, `emptied_at`).
HOLDING: frozenset[str] = frozenset({LotState.AVAILABLE, LotState.HELD})


class LotSource(enum.StrEnum):
    PURCHASE = "purchase"
    LICENSE_BONUS = "license_bonus"
    ADJUSTMENT = "adjustment"
    IMPORT = "import"
    RETURNED = "returned"


@dataclass(frozen=True)
class LotKey:
    """What consumption order needs to know about a lot."""

    id: str
    granted_at: datetime
    expires_at: datetime | None
    available: int


def consumption_key(lot: LotKey) -> tuple[bool, datetime, datetime, str]:
    """Soonest expiry first, never-expiring last, then oldest grant, then id.

    Sorting is done here rather than in SQL so no database's NULL ordering is relied upon.
    """
    return (lot.expires_at is None, lot.expires_at or lot.granted_at, lot.granted_at, lot.id)


def spendable(lots: Iterable[LotKey], now: datetime) -> list[LotKey]:
    """The lots a capture may take from, in consumption order."""
    live = [lot for lot in lots if lot.available > 0 and not is_expired(lot.expires_at, now)]
    return sorted(live, key=consumption_key)


def allocate(lots: Iterable[LotKey], points: int, now: datetime) -> list[tuple[str, int]]:
    """Take `points` from the spendable lots in consumption order: [(lot_id, points), …]."""
    ordered = spendable(lots, now)
    available = sum(lot.available for lot in ordered)
    if points > available:
        raise InsufficientPointsError(available=available, required=points)
    taken: list[tuple[str, int]] = []
    remaining = points
    for lot in ordered:
        if remaining == 0:
            break
        take = min(lot.available, remaining)
        taken.append((lot.id, take))
        remaining -= take
    return taken


def write_off_order(lots: Iterable[LotKey], points: int, now: datetime) -> list[tuple[str, int]]:
    """A negative adjustment writes off available points in consumption order."""
    return allocate(lots, points, now)


class ReturnReason(enum.StrEnum):
    """Why points leave a ticket back to the customer."""

    LOWERED = "lowered"  # the capture was lowered while open
    SOFTWARE_BUG = "software_bug"
    WITHDRAWN = "withdrawn"
    DUPLICATE = "duplicate"
    OTHER = "other"
    CREDIT = "credit"

    @property
    def vendor_fault(self) -> bool:
        """Returns that are the vendor's doing are never allowed to become worthless."""
        return self in (ReturnReason.SOFTWARE_BUG, ReturnReason.OTHER, ReturnReason.CREDIT)


# What a refund may give as its reason (the others are the service's own: a lowered capture, a credit).
REFUND_REASONS: tuple[ReturnReason, ...] = (
    ReturnReason.SOFTWARE_BUG,
    ReturnReason.WITHDRAWN,
    ReturnReason.DUPLICATE,
    ReturnReason.OTHER,
)


class ReturnTarget(enum.StrEnum):
    AVAILABLE = "available"  # spendable again in the same lot
    REVOKE = "revoke"  # the lot was revoked: revoked again at once (forfeited)
    REISSUE = "reissue"  # moved into a new `returned` lot expiring RETURN_GRACE from now
    EXPIRE = "expire"  # back to the expired lot, then expired at once


def return_target(
    *,
    expires_at: datetime | None,
    revoked: bool,
    now: datetime,
    grace: timedelta,
    reason: ReturnReason,
) -> ReturnTarget:
    if revoked:
        return ReturnTarget.REVOKE
    if expires_at is None or expires_at > now + grace:
        return ReturnTarget.AVAILABLE
    if reason.vendor_fault:
        return ReturnTarget.REISSUE
    return ReturnTarget.EXPIRE if is_expired(expires_at, now) else ReturnTarget.AVAILABLE


@dataclass(frozen=True)
class Allocation:
    """One capture step's take from one lot, as far as returning needs it."""

    seq: int
    lot_id: str
    returnable: int


def unwind(allocations: Sequence[Allocation], points: int) -> list[tuple[int, str, int]]:
    """Give back `points` in reverse sequence (last taken, first returned): [(seq, lot_id, n)]."""
    given: list[tuple[int, str, int]] = []
    remaining = points
    for allocation in sorted(allocations, key=lambda a: a.seq, reverse=True):
        if remaining == 0:
            break
        n = min(allocation.returnable, remaining)
        if n:
            given.append((allocation.seq, allocation.lot_id, n))
            remaining -= n
    if remaining:
        raise ValueError(f"cannot return {points} points: only {points - remaining} are returnable")
    return given
