"""Disputes: a customer's claim that a resolved ticket cost too much, and its outcome.

    open ──accept──▶ accepted   (points credited back to the customer)
      └───reject──▶ rejected

Pure rules, no I/O. A dispute may be opened on a `resolved` ticket that still has points that
could be returned (deducted − returned > 0): a refunded ticket, or one credited in full, has
nothing left to reconsider. A ticket has at most one open dispute at a time.
"""

from __future__ import annotations

import enum

from .errors import InvalidStateError, RuleViolationError
from .tickets import TicketStatus


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


# The reason of the credit an accepted dispute gives (its `return` entry and the ticket's `credited`
# history row), exactly as a client filters for it; the entry links the dispute by `dispute_id`.
CREDIT_REASON = "dispute"


def step_reason(dispute_id: str) -> str:
    """The reason of a dispute's own steps in its ticket's history (`disputed`, `dispute_accepted`,
    `dispute_rejected`): their notes carry the words, so the reason names the dispute."""
    return f"dispute {dispute_id}"


def left_to_return(*, deducted: int, returned: int) -> int:
    """The points of a ticket that a credit could still give back."""
    return deducted - returned


def check_can_dispute(status: TicketStatus, *, left: int) -> None:
    """A dispute is about a charge: the ticket must be resolved, with something left to give back."""
    if status is not TicketStatus.RESOLVED:
        raise InvalidStateError(
            f"cannot dispute a ticket that is {status}", ticket_status=str(status), action="dispute"
        )
    if left <= 0:
        raise InvalidStateError(
            "cannot dispute a ticket whose points were all given back already",
            ticket_status=str(status),
            action="dispute",
        )


def check_claim(points: int | None, *, left: int) -> None:
    """A claim names at most what is left to give back (None: everything left)."""
    if points is not None and not 1 <= points <= left:
        raise RuleViolationError("/points", f"a claim must be between 1 and {left} points", max_points=left)


def check_open(status: DisputeStatus, verb: str) -> None:
    """Only an open dispute is decided, once."""
    if status is not DisputeStatus.OPEN:
        raise InvalidStateError(f"cannot {verb} a dispute that is {status}", dispute_status=str(status), action=verb)


def points_to_credit(requested: int | None, *, claimed: int | None, left: int, ticket_status: TicketStatus) -> int:
    """What accepting a dispute gives back.

    `requested` (the deciding agent's figure) must be 1 to what is left, as a credit's would be.
    Without it, the claim, capped at what is left now (a credit since the dispute was opened may
    have given part of it back already); without a claim, everything left. Nothing left (the
    ticket was refunded or credited in full meanwhile): the dispute can only be rejected."""
    if ticket_status is not TicketStatus.RESOLVED or left <= 0:
        raise InvalidStateError(
            "the ticket has no points left to give back: reject the dispute instead",
            ticket_status=str(ticket_status),
            action="accept",
        )
    if requested is not None:
        if not 1 <= requested <= left:
            raise RuleViolationError("/points", f"a credit must be between 1 and {left} points", max_points=left)
        return requested
    return left if claimed is None else min(claimed, left)
