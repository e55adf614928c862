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
