"""Dispute commands: open (on a resolved ticket), accept (a credit), reject.

Each names the account it locks, the ticket's, as the route's access check found it: a dispute
never changes ticket, nor a ticket account, so two decisions on one dispute queue behind the same
lock, and the second finds it closed (409) however close together they came. A dispute that is
not that account's is answered as absent.

Accepting gives the points back through the very code a credit runs (`tickets.credit`): the same
return policy (a lot expired since is reissued as the vendor's doing), a `return` entry with reason
`dispute` linked to the dispute (`dispute_id`), the ticket's `credited` history row (reason
`dispute`, the dispute's id as its note: history rows have no link field) and `ticket.credited`
event. The dispute's own history rows (`disputed`, `dispute_accepted`, `dispute_rejected`) carry
the words in their note, so their reason names the dispute (`dispute <id>`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from ..db.ids import new_id
from ..db.records import Dispute, Ticket
from ..domain.disputes import (
    CREDIT_REASON,
    DisputeStatus,
    check_can_dispute,
    check_claim,
    check_open,
    left_to_return,
    points_to_credit,
    step_reason,
)
from ..domain.errors import ConflictError, NotFoundError
from ..domain.events import EventType
from ..domain.tickets import TicketAction, TicketStatus
from . import present
from .context import Context
from .ledger import AccountWriter, open_account_write
from .state import Needs, Scope
from .tickets import credit, in_history


def _in_history(
    writer: AccountWriter, ticket: Ticket, action: TicketAction, points: int, dispute_id: str, note: str | None
) -> Ticket:
    """A step of the dispute in its ticket's history (one version more): the reason names the
    dispute, the note carries the words (the customer's, or the decision's)."""
    bumped = replace(ticket, version=ticket.version + 1)
    return in_history(writer, bumped, action, points, step_reason(dispute_id), note)


def _ticket(tx: Scope, ticket_id: str, account_id: str) -> Ticket:
    ticket = tx.ticket(ticket_id)
    if ticket is None or ticket.account_id != account_id:  # not this account's: nothing is written
        raise NotFoundError("ticket", ticket_id)
    return ticket


@dataclass(frozen=True, kw_only=True)
class OpenDispute:
    """Dispute a resolved ticket's charge, claiming `points` back (None: everything left)."""

    ctx: Context
    ticket_id: str
    account_id: str
    reason: str
    points: int | None = None

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)
        needs.tickets.add(self.ticket_id)
        needs.open_disputes.add(self.ticket_id)

    def apply(self, tx: Scope) -> Dispute:
        writer = open_account_write(tx, self.ctx, self.account_id)
        ticket = _ticket(tx, self.ticket_id, self.account_id)
        left = left_to_return(deducted=ticket.deducted_points, returned=ticket.returned_points)
        check_can_dispute(TicketStatus(ticket.status), left=left)
        existing = tx.open_dispute(ticket.id)
        if existing is not None:
            raise ConflictError(
                f"ticket {ticket.id} already has an open dispute, {existing.id}", dispute_id=existing.id
            )
        check_claim(self.points, left=left)
        dispute = tx.insert(
            Dispute(
                id=new_id("dsp"),
                ticket_id=ticket.id,
                account_id=self.account_id,
                status=str(DisputeStatus.OPEN),
                points_claimed=self.points,
                points_credited=None,
                reason=self.reason,
                resolution_note=None,
                opened_at=writer.now,
                opened_by=writer.actor,
                closed_at=None,
                closed_by=None,
            )
        )
        _in_history(writer, ticket, TicketAction.DISPUTED, self.points or left, dispute.id, self.reason)
        writer.emit(EventType.DISPUTE_OPENED, present.dispute(dispute))
        return dispute


@dataclass(frozen=True, kw_only=True)
class _Decision:
    """A decision on an open dispute of `account_id`."""

    VERB = "decide"

    ctx: Context
    dispute_id: str
    account_id: str
    note: str

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)
        needs.disputes.add(self.dispute_id)  # the loader reads its ticket too

    def _begin(self, tx: Scope) -> tuple[AccountWriter, Dispute, Ticket]:
        writer = open_account_write(tx, self.ctx, self.account_id)
        dispute = tx.dispute(self.dispute_id)
        if dispute is None or dispute.account_id != self.account_id:
            raise NotFoundError("dispute", self.dispute_id)
        check_open(DisputeStatus(dispute.status), self.VERB)  # under the lock: one decision wins
        return writer, dispute, _ticket(tx, dispute.ticket_id, self.account_id)

    def _close(self, writer: AccountWriter, dispute: Dispute, status: DisputeStatus, credited: int | None) -> Dispute:
        now: datetime = writer.now
        return writer.tx.update(
            replace(
                dispute,
                status=str(status),
                points_credited=credited,
                resolution_note=self.note,
                closed_at=now,
                closed_by=writer.actor,
            )
        )


@dataclass(frozen=True, kw_only=True)
class AcceptDispute(_Decision):
    """Accept: credit `points` (None: the claim, capped at what is left; else everything left)."""

    VERB = "accept"

    points: int | None = None

    def apply(self, tx: Scope) -> Dispute:
        writer, dispute, ticket = self._begin(tx)
        points = points_to_credit(
            self.points,
            claimed=dispute.points_claimed,
            left=left_to_return(deducted=ticket.deducted_points, returned=ticket.returned_points),
            ticket_status=TicketStatus(ticket.status),
        )
        dispute = self._close(writer, dispute, DisputeStatus.ACCEPTED, points)
        ticket = credit(writer, ticket, points, CREDIT_REASON, dispute.id)
        _in_history(writer, ticket, TicketAction.DISPUTE_ACCEPTED, points, dispute.id, self.note)
        writer.emit(EventType.DISPUTE_ACCEPTED, present.dispute(dispute))
        return dispute


@dataclass(frozen=True, kw_only=True)
class RejectDispute(_Decision):
    """Reject: nothing is given back; the note says why."""

    VERB = "reject"

    def apply(self, tx: Scope) -> Dispute:
        writer, dispute, ticket = self._begin(tx)
        dispute = self._close(writer, dispute, DisputeStatus.REJECTED, None)
        _in_history(writer, ticket, TicketAction.DISPUTE_REJECTED, 0, dispute.id, self.note)
        writer.emit(EventType.DISPUTE_REJECTED, present.dispute(dispute))
        return dispute
