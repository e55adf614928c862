"""The ticket state machine.

    awaiting_points ──capture──▶ open ──resolve──▶ resolved ──refund──▶ refunded
          │                       └────────────refund─────────────────▲
          └────────────────────────refund──────────────────────────────┘

A resolved ticket may also receive partial credits and stays resolved. While open, a ticket's
captured amount may be raised or lowered (adjust). A ticket opened with `when_insufficient:
"wait"` that the account cannot pay for yet waits (`awaiting_points`, holding nothing) until
points arrive; while it waits, what it waits for may be adjusted, and it may be refunded (there is
nothing to return). Everything else is an invalid transition.

Waiting tickets are captured strictly first come, first served (`first_served`).
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from .errors import InvalidStateError, RuleViolationError


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    REFUNDED = "refunded"
    AWAITING_POINTS = "awaiting_points"


class TicketAction(enum.StrEnum):
    OPENED = "opened"
    ADJUSTED = "adjusted"
    RESOLVED = "resolved"
    REFUNDED = "refunded"
    CREDITED = "credited"
    CAPTURED = "captured"  # a waiting ticket got its points
    # A dispute's steps, in the ticket's history (rules: domain.disputes; no status change).
    DISPUTED = "disputed"
    DISPUTE_ACCEPTED = "dispute_accepted"
    DISPUTE_REJECTED = "dispute_rejected"


_ALLOWED: dict[TicketAction, frozenset[TicketStatus]] = {
    TicketAction.OPENED: frozenset(),  # a ticket is opened once, never transitioned into
    TicketAction.ADJUSTED: frozenset({TicketStatus.OPEN, TicketStatus.AWAITING_POINTS}),
    TicketAction.RESOLVED: frozenset({TicketStatus.OPEN}),
    TicketAction.REFUNDED: frozenset({TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.AWAITING_POINTS}),
    TicketAction.CREDITED: frozenset({TicketStatus.RESOLVED}),
    TicketAction.CAPTURED: frozenset({TicketStatus.AWAITING_POINTS}),
}

_VERB = {
    TicketAction.OPENED: "open",
    TicketAction.ADJUSTED: "adjust",
    TicketAction.RESOLVED: "resolve",
    TicketAction.REFUNDED: "refund",
    TicketAction.CREDITED: "credit",
    TicketAction.CAPTURED: "capture",
}


def check_transition(status: TicketStatus, action: TicketAction) -> None:
    if status not in _ALLOWED[action]:
        raise InvalidStateError(
            f"cannot {_VERB[action]} a ticket that is {status}", ticket_status=str(status), action=_VERB[action]
        )


def check_credit(points: int, *, deducted: int, returned: int) -> None:
    max_points = deducted - returned
    if not 1 <= points <= max_points:
        raise RuleViolationError(
            "/points", f"a credit must be between 1 and {max_points} points", max_points=max_points
        )


def first_served(waiting: list[tuple[str, int]], available: int) -> list[str]:
    """The waiting tickets (id, points, in `opened_at` order) that `available` points capture now:
    strictly first come, first served — the first that does not fit stops the queue, so a small
    ticket never overtakes a large one that waited longer."""
    captured = []
    for ticket_id, points in waiting:
        if points > available:
            break
        captured.append(ticket_id)
        available -= points
    return captured


# How long a ticket stayed in progress (opened to closed), in classes of doubling length: class 0
# up to an hour, class c up to 2**c hours, the last class anything longer. A ticket in progress at
# an instant and closed since closed within its class's length of that instant, so the tickets in
# progress at an instant are, per class, a short range of closing times after it (as-of reads):
# however long the history that came after, each range holds about twice the tickets it answers.
SPAN_UNIT = timedelta(hours=1)
SPAN_CLASSES = 17  # 0 … 16; the last: longer than 2**15 hours (about 3.7 years), unbounded
_UNIT_US = SPAN_UNIT // timedelta(microseconds=1)


def span_class(opened_at: datetime, closed_at: datetime) -> int:
    """The class of a ticket that stayed in progress from `opened_at` to `closed_at`: the least
    `c` with the span at most `span_bound(c)` (exact, in whole microseconds)."""
    span_us = (closed_at - opened_at) // timedelta(microseconds=1)
    return min(((max(span_us, 1) - 1) // _UNIT_US).bit_length(), SPAN_CLASSES - 1)


def span_bound(cls: int) -> timedelta | None:
    """The longest span of class `cls` (None for the last class: no bound)."""
    return SPAN_UNIT * (1 << cls) if cls < SPAN_CLASSES - 1 else None
