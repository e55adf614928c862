"""The ticket state machine.

    open ──resolve──▶ resolved ──refund──▶ refunded
      └────────────refund─────────────────▲

A resolved ticket may also receive partial credits and stays resolved. While open, a ticket's
captured amount may be raised or lowered (adjust). Everything else is an invalid transition.
"""

from __future__ import annotations

import enum

from .errors import InvalidStateError, RuleViolationError


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    REFUNDED = "refunded"


class TicketAction(enum.StrEnum):
    OPENED = "opened"
    ADJUSTED = "adjusted"
    RESOLVED = "resolved"
    REFUNDED = "refunded"
    CREDITED = "credited"
    # A dispute's steps, in the ticket's history (rules: domain.disputes; no status change).
    DISPUTED = "disputed"
    DISPUTE_ACCEPTED = "dispute_accepted"
    DISPUTE_REJECTED = "dispute_rejected"


_ALLOWED: dict[TicketAction, frozenset[TicketStatus]] = {
    TicketAction.OPENED: frozenset(),  # a ticket is opened once, never transitioned into
    TicketAction.ADJUSTED: frozenset({TicketStatus.OPEN}),
    TicketAction.RESOLVED: frozenset({TicketStatus.OPEN}),
    TicketAction.REFUNDED: frozenset({TicketStatus.OPEN, TicketStatus.RESOLVED}),
    TicketAction.CREDITED: frozenset({TicketStatus.RESOLVED}),
}

_VERB = {
    TicketAction.OPENED: "open",
    TicketAction.ADJUSTED: "adjust",
    TicketAction.RESOLVED: "resolve",
    TicketAction.REFUNDED: "refund",
    TicketAction.CREDITED: "credit",
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
