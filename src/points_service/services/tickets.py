"""Ticket commands: open, adjust, resolve, refund, credit; and the capture of waiting tickets.

Each names the account it locks: a ticket never changes account, so the caller (the route's access
check, a script) knows it; a ticket that is not that account's is answered as absent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Literal

from ..db.ids import new_id
from ..db.records import Allocation, Category, Ticket, TicketEvent
from ..domain.clock import is_expired
from ..domain.errors import (
    ConflictError,
    InsufficientPointsError,
    NotFoundError,
    PreconditionFailedError,
    RuleViolationError,
)
from ..domain.events import EventType
from ..domain.lots import LotKey, ReturnReason, allocate
from ..domain.pricing import PricingRule, check_quantity, estimate, rule_from_dict, rule_to_dict
from ..domain.tickets import TicketAction, TicketStatus, check_credit, check_transition, first_served
from . import present
from .context import Context
from .ledger import AccountWriter, Move, open_account_write
from .returns import give_back
from .state import Needs, Scope


@dataclass(frozen=True)
class TicketView:
    """A ticket with its allocations (in sequence) and its history (oldest first)."""

    ticket: Ticket
    allocations: list[Allocation]
    history: list[TicketEvent]


@dataclass(frozen=True)
class Reclassification:
    category: str | None = None
    quantity: int | None = None


def _active_rule(tx: Scope, code: str, pointer: str = "/category") -> tuple[Category, PricingRule]:
    category = tx.category(code)
    if category is None:
        raise RuleViolationError(pointer, f"unknown category {code!r}")
    if not category.active:
        raise RuleViolationError(pointer, f"category {code!r} is no longer offered")
    return category, rule_from_dict(category.pricing)


def _capture(
    writer: AccountWriter, ticket: Ticket, points: int, kind: str, next_seq: int, reason: str | None = None
) -> None:
    """Hold `points` more for the ticket from the account's lots, in consumption order."""
    if points == 0:
        return
    keys = [LotKey(lot.id, lot.granted_at, lot.expires_at, lot.available) for lot in writer.spendable()]
    pieces = allocate(keys, points, writer.now)
    for i, (lot_id, n) in enumerate(pieces):
        writer.tx.insert(Allocation(ticket.id, next_seq + i, lot_id, n, n, 0, 0, 0))
    writer.post(
        kind, [Move(lot_id, "available", "held", n) for lot_id, n in pieces], ticket_id=ticket.id, reason=reason
    )


def in_history(
    writer: AccountWriter, ticket: Ticket, action: TicketAction, points: int, reason: str | None, note: str | None
) -> Ticket:
    """Write the ticket's history row for its current version (who, when, and the ticket's estimate
    and classification as they now stand, which as-of reads rebuild it from); the change starts a
    new idle period (`changed_at`)."""
    ticket = writer.tx.update(replace(ticket, changed_at=writer.now, idle_noticed=False))
    writer.tx.insert(
        TicketEvent(
            ticket.id,
            ticket.version,
            str(action),
            points,
            reason,
            note,
            writer.actor,
            writer.now,
            ticket.estimated_points,
            ticket.category_code,
            ticket.quantity,
            ticket.pricing,
        )
    )
    return ticket


def _record(
    writer: AccountWriter,
    ticket: Ticket,
    action: TicketAction,
    points: int,
    reason: str | None,
    note: str | None = None,
    event: EventType | None = None,
) -> TicketView:
    """The ticket's history row for a change, and its event (`ticket.<action>` unless `event`
    says otherwise, with the ticket as the change's response shows it): the last step of every
    ticket command. The change also starts a new idle period (`changed_at`)."""
    ticket = in_history(writer, ticket, action, points, reason, note)
    view = _detail(writer.tx, ticket.id)
    kind = event or EventType(f"ticket.{action}")
    writer.emit(kind, present.ticket_detail(view.ticket, view.allocations, view.history))
    return view


def _waits(writer: AccountWriter, count: int, points: int) -> None:
    """The account's tally of waiting tickets changes by `count` tickets and `points` points."""
    account = writer.account
    writer.tx.update(
        replace(
            account, awaiting_count=account.awaiting_count + count, awaiting_points=account.awaiting_points + points
        )
    )


def capture_waiting(writer: AccountWriter) -> None:
    """Points arrived (a lot was created): capture the account's waiting tickets, first come first
    served, each becoming `open` (history `captured`, event `ticket.opened`). Called where lots are
    created (`AccountWriter.add_lot`, a return's reissued lot), in the transaction of their arrival,
    so nothing else can take those points in between."""
    if writer.account.awaiting_count == 0:
        return
    tx, now = writer.tx, writer.now
    waiting = tx.waiting_tickets(writer.account_id)
    available = sum(lot.available for lot in writer.spendable() if not is_expired(lot.expires_at, now))
    for ticket_id in first_served([(t.id, t.estimated_points) for t in waiting], available):
        ticket = tx.ticket(ticket_id)
        assert ticket is not None
        points = ticket.estimated_points
        _capture(writer, ticket, points, "capture", next_seq=1)
        ticket = tx.update(
            replace(ticket, status=str(TicketStatus.OPEN), captured_points=points, version=ticket.version + 1)
        )
        _waits(writer, -1, -points)
        _record(writer, ticket, TicketAction.CAPTURED, points, None, event=EventType.TICKET_OPENED)


def _detail(tx: Scope, ticket_id: str) -> TicketView:
    ticket = tx.ticket(ticket_id)
    assert ticket is not None
    return TicketView(ticket, tx.allocations(ticket_id), tx.history(ticket_id))


@dataclass(frozen=True, kw_only=True)
class OpenTicket:
    """Open a ticket and capture its points."""

    ctx: Context
    account_id: str
    external_ref: str
    category: str
    quantity: int | None = None
    estimated_points: int | None = None
    subject: str | None = None
    wait: bool = False  # when the account cannot pay now: wait for points (else 409)

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)
        needs.ticket_refs.add((self.account_id, self.external_ref))
        needs.catalogue = True

    def apply(self, tx: Scope) -> TicketView:
        writer = open_account_write(tx, self.ctx, self.account_id)
        category, rule = _active_rule(tx, self.category)
        points = estimate(rule, quantity=self.quantity, estimated_points=self.estimated_points)
        existing = tx.ticket_id_by_ref(self.account_id, self.external_ref)
        if existing is not None:
            raise ConflictError(f"ticket {existing} already has external_ref {self.external_ref!r}", ticket_id=existing)
        ticket = tx.insert(
            Ticket(
                id=new_id("tkt"),
                account_id=self.account_id,
                external_ref=self.external_ref,
                subject=self.subject,
                category_code=category.code,
                pricing=rule_to_dict(rule),
                quantity=self.quantity,
                estimated_points=points,
                captured_points=points,
                charged_points=0,
                deducted_points=0,
                returned_points=0,
                forfeited_points=0,
                status=str(TicketStatus.OPEN),
                version=1,
                opened_at=writer.now,
                resolved_at=None,
                refunded_at=None,
                closed_at=None,
                changed_at=writer.now,
                idle_noticed=False,
            )
        )
        try:
            _capture(writer, ticket, points, "capture", next_seq=1)
        except InsufficientPointsError:
            if not self.wait:
                raise
            # It holds nothing and waits its turn: captured when points arrive (`capture_waiting`).
            ticket = tx.update(
                replace(ticket, status=str(TicketStatus.AWAITING_POINTS), captured_points=0, waited=True)
            )
            _waits(writer, 1, points)
            return _record(
                writer, ticket, TicketAction.OPENED, 0, "awaiting points", event=EventType.TICKET_AWAITING_POINTS
            )
        return _record(writer, ticket, TicketAction.OPENED, points, None)


@dataclass(frozen=True, kw_only=True)
class _TicketChange:
    """A change to an existing ticket of `account_id`."""

    ACTION: ClassVar[TicketAction]

    ctx: Context
    ticket_id: str
    account_id: str
    expected_version: int | None = None

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)
        needs.tickets.add(self.ticket_id)

    def _begin(self, tx: Scope) -> tuple[AccountWriter, Ticket]:
        writer = open_account_write(tx, self.ctx, self.account_id)
        ticket = tx.ticket(self.ticket_id)
        if ticket is None or ticket.account_id != self.account_id:  # not this account's: nothing is written
            raise NotFoundError("ticket", self.ticket_id)
        if self.expected_version is not None and self.expected_version != ticket.version:
            raise PreconditionFailedError(current_version=ticket.version)
        check_transition(TicketStatus(ticket.status), self.ACTION)
        return writer, ticket

    @staticmethod
    def _set_capture(writer: AccountWriter, ticket: Ticket, points: int, reason: str | None) -> Ticket:
        tx = writer.tx
        delta = points - ticket.captured_points
        if delta > 0:
            next_seq = max((a.seq for a in tx.allocations(ticket.id)), default=0) + 1
            _capture(writer, ticket, delta, "capture_increase", next_seq, reason)
            return tx.update(replace(ticket, captured_points=points))
        if delta < 0:
            returned = give_back(
                writer,
                ticket,
                -delta,
                from_state="held",
                reason=ReturnReason.LOWERED,
                kind="capture_decrease",
                note=reason,
            )
            return tx.update(
                replace(ticket, captured_points=points, forfeited_points=ticket.forfeited_points + returned.forfeited)
            )
        return ticket


@dataclass(frozen=True, kw_only=True)
class AdjustTicket(_TicketChange):
    """Raise or lower the captured points, optionally correcting the category and quantity."""

    ACTION = TicketAction.ADJUSTED

    points: int
    reason: str
    reclassify: Reclassification | None = None

    def needs(self, needs: Needs) -> None:
        super().needs(needs)
        needs.catalogue |= self.reclassify is not None and self.reclassify.category is not None

    def apply(self, tx: Scope) -> TicketView:
        writer, ticket = self._begin(tx)
        new_category, new_quantity, new_pricing = ticket.category_code, ticket.quantity, ticket.pricing
        reclassify = self.reclassify
        if reclassify is not None and (reclassify.category is not None or reclassify.quantity is not None):
            if reclassify.category is None:  # a quantity correction keeps the rule the ticket has
                rule = rule_from_dict(ticket.pricing)
            else:
                new_category, rule = reclassify.category, _active_rule(tx, reclassify.category)[1]
            # The rule validates the quantity; the points stay what the caller set.
            check_quantity(rule, reclassify.quantity, "/quantity")
            new_quantity, new_pricing = reclassify.quantity, rule_to_dict(rule)
        changed_class = (new_category, new_quantity) != (ticket.category_code, ticket.quantity)
        waiting = ticket.status == TicketStatus.AWAITING_POINTS
        current = ticket.estimated_points if waiting else ticket.captured_points
        if self.points == current and not changed_class:
            return _detail(tx, ticket.id)  # adjusting to the current amount changes nothing
        if waiting:  # it holds nothing: what it waits for changes
            _waits(writer, 0, self.points - ticket.estimated_points)
            ticket = tx.update(replace(ticket, estimated_points=self.points))
        else:
            ticket = self._set_capture(writer, ticket, self.points, self.reason)
        ticket = tx.update(
            replace(
                ticket,
                category_code=new_category,
                quantity=new_quantity,
                pricing=new_pricing,
                version=ticket.version + 1,
            )
        )
        return _record(writer, ticket, TicketAction.ADJUSTED, self.points, self.reason)


@dataclass(frozen=True, kw_only=True)
class ResolveTicket(_TicketChange):
    """Deduct the captured points for good (`points`, when given, first sets them)."""

    ACTION = TicketAction.RESOLVED

    points: int | None = None
    note: str | None = None

    def apply(self, tx: Scope) -> TicketView:
        writer, ticket = self._begin(tx)
        if self.points is not None:
            ticket = self._set_capture(writer, ticket, self.points, self.note)
        held = [a for a in tx.allocations(ticket.id) if a.held]
        for allocation in held:
            tx.update(replace(allocation, deducted=allocation.deducted + allocation.held, held=0))
        writer.post(
            "deduction",
            [Move(a.lot_id, "held", "deducted", a.held) for a in held],
            ticket_id=ticket.id,
            reason=self.note,
        )
        now = writer.now
        ticket = tx.update(
            replace(
                ticket,
                charged_points=ticket.captured_points,
                deducted_points=ticket.captured_points,
                captured_points=0,
                status=str(TicketStatus.RESOLVED),
                resolved_at=now,
                closed_at=now,
                version=ticket.version + 1,
            )
        )
        return _record(writer, ticket, TicketAction.RESOLVED, ticket.deducted_points, None, self.note)


@dataclass(frozen=True, kw_only=True)
class RefundTicket(_TicketChange):
    """Give back every point not yet returned, and close the ticket as refunded."""

    ACTION = TicketAction.REFUNDED

    reason: str
    note: str | None = None

    def apply(self, tx: Scope) -> TicketView:
        writer, ticket = self._begin(tx)
        if ticket.status == TicketStatus.AWAITING_POINTS:  # it holds nothing: nothing to return
            _waits(writer, -1, -ticket.estimated_points)
            ticket = tx.update(
                replace(
                    ticket,
                    status=str(TicketStatus.REFUNDED),
                    refunded_at=writer.now,
                    closed_at=writer.now,
                    version=ticket.version + 1,
                )
            )
            return _record(writer, ticket, TicketAction.REFUNDED, 0, self.reason, self.note)
        return_reason = ReturnReason(self.reason)
        from_state: Literal["held", "deducted"]
        if ticket.status == TicketStatus.OPEN:
            points = ticket.captured_points
            ticket = replace(ticket, charged_points=points, closed_at=writer.now)
            from_state = "held"
        else:
            points = ticket.deducted_points - ticket.returned_points
            from_state = "deducted"
        returned = give_back(
            writer, ticket, points, from_state=from_state, reason=return_reason, kind="return", note=self.reason
        )
        ticket = tx.update(
            replace(
                ticket,
                captured_points=0,
                returned_points=ticket.returned_points + points,
                forfeited_points=ticket.forfeited_points + returned.forfeited,
                status=str(TicketStatus.REFUNDED),
                refunded_at=writer.now,
                version=ticket.version + 1,
            )
        )
        return _record(writer, ticket, TicketAction.REFUNDED, points, self.reason, self.note)


@dataclass(frozen=True, kw_only=True)
class CreditTicket(_TicketChange):
    """Give back part of a resolved ticket's points; it stays resolved."""

    ACTION = TicketAction.CREDITED

    points: int
    reason: str

    def apply(self, tx: Scope) -> TicketView:
        writer, ticket = self._begin(tx)
        check_credit(self.points, deducted=ticket.deducted_points, returned=ticket.returned_points)
        ticket = credit(writer, ticket, self.points, self.reason)
        return _detail(tx, ticket.id)


def credit(writer: AccountWriter, ticket: Ticket, points: int, reason: str, dispute_id: str | None = None) -> Ticket:
    """Give back `points` (checked) of a resolved ticket under the return policy, as a `return`
    entry with `reason`, and record it (`credited`, `ticket.credited`): what a credit does, also
    when accepting a dispute does it (`services.disputes`). Then the entry links `dispute_id`, and
    the history row, which has no such field, carries it as its note."""
    returned = give_back(
        writer,
        ticket,
        points,
        from_state="deducted",
        reason=ReturnReason.CREDIT,
        kind="return",
        note=reason,
        dispute_id=dispute_id,
    )
    ticket = writer.tx.update(
        replace(
            ticket,
            returned_points=ticket.returned_points + points,
            forfeited_points=ticket.forfeited_points + returned.forfeited,
            version=ticket.version + 1,
        )
    )
    return _record(writer, ticket, TicketAction.CREDITED, points, reason, dispute_id).ticket
