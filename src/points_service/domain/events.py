"""Outgoing events: what a client can hear about, and when a lot's expiry notice is due.

Pure rules, no I/O: the write path records an event in the transaction of the change it reports
(`services.events`); the dispatcher delivers it (`services.dispatch`).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta

DAY = timedelta(days=1)


class EventType(enum.StrEnum):
    """What happened. `data` is the resource as the change's response shows it."""

    ACCOUNT_CREATED = "account.created"
    POINTS_GRANTED = "points.granted"  # data: the lot
    POINTS_EXPIRED = "points.expired"  # data: the ledger entry
    POINTS_REVOKED = "points.revoked"
    POINTS_WRITTEN_OFF = "points.written_off"
    TICKET_OPENED = "ticket.opened"  # data: the ticket
    TICKET_ADJUSTED = "ticket.adjusted"
    TICKET_RESOLVED = "ticket.resolved"
    TICKET_REFUNDED = "ticket.refunded"
    TICKET_CREDITED = "ticket.credited"
    TICKET_AWAITING_POINTS = "ticket.awaiting_points"
    TICKET_IDLE = "ticket.idle"
    DISPUTE_OPENED = "dispute.opened"  # data: the dispute
    DISPUTE_ACCEPTED = "dispute.accepted"
    DISPUTE_REJECTED = "dispute.rejected"
    LOT_EXPIRING_SOON = "lot.expiring_soon"  # data: {lot, notice_days, days_left, points}
    BALANCE_LOW = "balance.low"  # data: the balance
    BALANCE_RECOVERED = "balance.recovered"


def days_left(expires_at: datetime, now: datetime) -> int:
    """Whole days from `now` to `expires_at`, rounded down."""
    return (expires_at - now) // DAY


def notice_due(expires_at: datetime, now: datetime, notices: Sequence[int], sent: int | None) -> int | None:
    """The expiry notice (in days) a lot with points is due now, or None.

    A notice of `n` days is due once the lot has at most `n` days left. A lot gets each notice
    once, in decreasing order; a lot that already has less than several gets only the smallest
    (`sent` is the smallest notice it got, None if none). An expired lot gets none.
    """
    if expires_at <= now:
        return None
    left = expires_at - now
    eligible = [n for n in notices if left <= n * DAY]
    if not eligible:
        return None
    smallest = min(eligible)
    return smallest if sent is None or smallest < sent else None


def crossing(available: int, threshold: int | None, low: bool) -> bool | None:
    """Whether the account is now below its low-balance threshold, if that changed; else None.

    `low` is what the account was last told. Below: `available < threshold`; back at or above it
    is a recovery. No threshold: never low (an account whose threshold is removed recovers
    silently: nobody asked to hear about it).
    """
    now_low = threshold is not None and available < threshold
    return None if now_low == low else now_low
