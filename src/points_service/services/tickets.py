"""Ticket commands: open, adjust, resolve, refund, credit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.ids import new_id
from ..db.models import Category, Lot, Ticket, TicketAllocation, TicketEvent
from ..domain.errors import ConflictError, NotFoundError, PreconditionFailedError, RuleViolationError
from ..domain.lots import LotKey, ReturnReason, allocate
from ..domain.pricing import PricingRule, check_quantity, estimate, rule_from_dict, rule_to_dict
from ..domain.tickets import TicketAction, TicketStatus, check_credit, check_transition
from .context import Context
from .ledger import AccountWriter, Move, load_lots, open_account_write
from .queries import TicketDetail, ticket_history
from .returns import give_back

REFUND_REASONS = ("software_bug", "withdrawn", "duplicate", "other")


@dataclass(frozen=True)
class Reclassification:
    category: str | None = None
    quantity: int | None = None


async def _active_rule(session: AsyncSession, code: str, pointer: str = "/category") -> tuple[Category, PricingRule]:
    category = await session.get(Category, code)
    if category is None:
        raise RuleViolationError(pointer, f"unknown category {code!r}")
    if not category.active:
        raise RuleViolationError(pointer, f"category {code!r} is no longer offered")
    return category, rule_from_dict(category.pricing)


async def _capture(
    writer: AccountWriter,
    ticket: Ticket,
    points: int,
    kind: str,
    next_seq: int,
    reason: str | None = None,
    spendable: list[Lot] | None = None,
) -> list[TicketAllocation]:
    """Hold `points` more for the ticket from the account's lots, in consumption order.

    `spendable`: the account's lots with available points, when the caller has them current."""
    if points == 0:
        return []
    lots = {lot.id: lot for lot in (spendable if spendable is not None else await writer.lots_with_points())}
    keys = [LotKey(lot.id, lot.granted_at, lot.expires_at, lot.available) for lot in lots.values()]
    pieces = allocate(keys, points, writer.now)
    allocations = [
        TicketAllocation(
            ticket_id=ticket.id, seq=next_seq + i, lot_id=lot_id, points=n, held=n, released=0, deducted=0, returned=0
        )
        for i, (lot_id, n) in enumerate(pieces)
    ]
    writer.session.add_all(allocations)
    moves = [Move(lots[lot_id], "available", "held", n) for lot_id, n in pieces]
    await writer.post(kind, moves, ticket_id=ticket.id, reason=reason)
    return allocations


def _record(
    writer: AccountWriter, ticket: Ticket, action: TicketAction, points: int, reason: str | None, note: str | None = None
) -> TicketEvent:
    event = TicketEvent(
        ticket_id=ticket.id,
        version=ticket.version,
        action=str(action),
        points=points,
        reason=reason,
        note=note,
        actor=writer.actor,
        at=writer.now,
    )
    writer.session.add(event)
    return event


async def _detail(writer: AccountWriter, ticket: Ticket, allocations: list[TicketAllocation]) -> TicketDetail:
    """The ticket as the command leaves it. Its allocations are the ones the command holds, in seq
    order (current: every change went through them, and new ones were appended); its history is
    read, the new event included."""
    return TicketDetail(ticket, list(allocations), await ticket_history(writer.session, ticket.id))


async def open_ticket(
    session: AsyncSession,
    ctx: Context,
    *,
    account_id: str,
    external_ref: str,
    category: str,
    quantity: int | None = None,
    estimated_points: int | None = None,
    subject: str | None = None,
) -> TicketDetail:
    """Open a ticket and capture its points; returns it with its allocations and history (all
    written here, so nothing is read back)."""
    writer = await open_account_write(session, ctx, account_id)
    found, rule = await _active_rule(session, category)
    points = estimate(rule, quantity=quantity, estimated_points=estimated_points)
    existing = await session.scalar(
        select(Ticket.id).where(Ticket.account_id == account_id, Ticket.external_ref == external_ref)
    )
    if existing is not None:
        raise ConflictError(
            f"ticket {existing} already has external_ref {external_ref!r}", ticket_id=existing
        )
    now = writer.now
    ticket = Ticket(
        id=new_id("tkt"),
        account_id=account_id,
        external_ref=external_ref,
        subject=subject,
        category_code=found.code,
        pricing=rule_to_dict(rule),
        quantity=quantity,
        estimated_points=points,
        captured_points=points,
        charged_points=0,
        deducted_points=0,
        returned_points=0,
        forfeited_points=0,
        status=str(TicketStatus.OPEN),
        version=1,
        opened_at=now,
        resolved_at=None,
        refunded_at=None,
        closed_at=None,
    )
    session.add(ticket)
    await session.flush()  # the ticket row before the allocations that reference it
    # Nothing but expiries moved since the account was locked: its spendable lots are known.
    allocations = await _capture(writer, ticket, points, "capture", next_seq=1, spendable=writer.spendable_at_open)
    opened = _record(writer, ticket, TicketAction.OPENED, points, None)
    return TicketDetail(ticket, allocations, [opened])


async def _lock_ticket(
    session: AsyncSession,
    ctx: Context,
    ticket_id: str,
    expected_version: int | None,
    action: TicketAction,
    account_id: str | None,
) -> tuple[AccountWriter, Ticket, list[TicketAllocation]]:
    """Lock the ticket's account, then read the ticket and its allocations. `account_id`: the
    ticket's account when the caller knows it (the route found it); otherwise it is looked up."""
    if account_id is None:
        account_id = await session.scalar(select(Ticket.account_id).where(Ticket.id == ticket_id))
        if account_id is None:
            raise NotFoundError("ticket", ticket_id)
    writer = await open_account_write(session, ctx, account_id)
    stmt = select(Ticket).where(Ticket.id == ticket_id).execution_options(populate_existing=True)
    ticket = (await session.scalars(stmt)).one_or_none()
    if ticket is None or ticket.account_id != account_id:  # not this account's: nothing is written
        raise NotFoundError("ticket", ticket_id)
    if expected_version is not None and expected_version != ticket.version:
        raise PreconditionFailedError(current_version=ticket.version)
    check_transition(TicketStatus(ticket.status), action)
    stmt = (
        select(TicketAllocation)
        .where(TicketAllocation.ticket_id == ticket_id)
        .order_by(TicketAllocation.seq)
        .execution_options(populate_existing=True)
    )
    allocations = list((await session.scalars(stmt)).all())
    return writer, ticket, allocations


async def _set_capture(
    writer: AccountWriter, ticket: Ticket, allocations: list[TicketAllocation], points: int, reason: str | None
) -> None:
    delta = points - ticket.captured_points
    if delta > 0:
        next_seq = max((a.seq for a in allocations), default=0) + 1
        allocations += await _capture(writer, ticket, delta, "capture_increase", next_seq, reason)
        ticket.captured_points = points
    elif delta < 0:
        returned = await give_back(
            writer,
            ticket,
            allocations,
            -delta,
            from_state="held",
            reason=ReturnReason.LOWERED,
            kind="capture_decrease",
            note=reason,
        )
        ticket.captured_points = points
        ticket.forfeited_points += returned.forfeited


async def adjust_ticket(
    session: AsyncSession,
    ctx: Context,
    *,
    ticket_id: str,
    account_id: str | None = None,
    points: int,
    reason: str,
    reclassify: Reclassification | None = None,
    expected_version: int | None = None,
) -> TicketDetail:
    writer, ticket, allocations = await _lock_ticket(
        session, ctx, ticket_id, expected_version, TicketAction.ADJUSTED, account_id
    )
    new_category, new_quantity, new_pricing = ticket.category_code, ticket.quantity, ticket.pricing
    if reclassify is not None and (reclassify.category is not None or reclassify.quantity is not None):
        if reclassify.category is None:  # a quantity correction keeps the rule the ticket has
            rule = rule_from_dict(ticket.pricing)
        else:
            new_category, rule = reclassify.category, (await _active_rule(session, reclassify.category))[1]
        # The rule validates the quantity; the points stay what the caller set.
        check_quantity(rule, reclassify.quantity, "/quantity")
        new_quantity, new_pricing = reclassify.quantity, rule_to_dict(rule)
    changed_class = (new_category, new_quantity) != (ticket.category_code, ticket.quantity)
    if points == ticket.captured_points and not changed_class:
        return await _detail(writer, ticket, allocations)  # adjusting to the current amount changes nothing
    await _set_capture(writer, ticket, allocations, points, reason)
    ticket.category_code, ticket.quantity, ticket.pricing = new_category, new_quantity, new_pricing
    ticket.version += 1
    _record(writer, ticket, TicketAction.ADJUSTED, points, reason)
    return await _detail(writer, ticket, allocations)


async def resolve_ticket(
    session: AsyncSession,
    ctx: Context,
    *,
    ticket_id: str,
    account_id: str | None = None,
    points: int | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> TicketDetail:
    writer, ticket, allocations = await _lock_ticket(
        session, ctx, ticket_id, expected_version, TicketAction.RESOLVED, account_id
    )
    if points is not None:
        await _set_capture(writer, ticket, allocations, points, note)
    held = [a for a in allocations if a.held]
    lots = await load_lots(session, {a.lot_id for a in held})
    moves = [Move(lots[a.lot_id], "held", "deducted", a.held) for a in held]
    for allocation in held:
        allocation.deducted += allocation.held
        allocation.held = 0
    await writer.post("deduction", moves, ticket_id=ticket.id, reason=note)
    now = writer.now
    ticket.charged_points = ticket.deducted_points = ticket.captured_points
    ticket.captured_points = 0
    ticket.status = str(TicketStatus.RESOLVED)
    ticket.resolved_at = ticket.closed_at = now
    ticket.version += 1
    _record(writer, ticket, TicketAction.RESOLVED, ticket.deducted_points, None, note)
    return await _detail(writer, ticket, allocations)


async def refund_ticket(
    session: AsyncSession,
    ctx: Context,
    *,
    ticket_id: str,
    account_id: str | None = None,
    reason: str,
    note: str | None = None,
    expected_version: int | None = None,
) -> TicketDetail:
    writer, ticket, allocations = await _lock_ticket(
        session, ctx, ticket_id, expected_version, TicketAction.REFUNDED, account_id
    )
    return_reason = ReturnReason(reason)
    if ticket.status == TicketStatus.OPEN:
        points = ticket.charged_points = ticket.captured_points
        from_state = "held"
        ticket.closed_at = writer.now
    else:
        points = ticket.deducted_points - ticket.returned_points
        from_state = "deducted"
    returned = await give_back(
        writer, ticket, allocations, points, from_state=from_state, reason=return_reason, kind="return", note=reason
    )
    ticket.captured_points = 0
    ticket.returned_points += points
    ticket.forfeited_points += returned.forfeited
    ticket.status = str(TicketStatus.REFUNDED)
    ticket.refunded_at = writer.now
    ticket.version += 1
    _record(writer, ticket, TicketAction.REFUNDED, points, reason, note)
    return await _detail(writer, ticket, allocations)


async def credit_ticket(
    session: AsyncSession,
    ctx: Context,
    *,
    ticket_id: str,
    account_id: str | None = None,
    points: int,
    reason: str,
    expected_version: int | None = None,
) -> TicketDetail:
    writer, ticket, allocations = await _lock_ticket(
        session, ctx, ticket_id, expected_version, TicketAction.CREDITED, account_id
    )
    check_credit(points, deducted=ticket.deducted_points, returned=ticket.returned_points)
    returned = await give_back(
        writer, ticket, allocations, points, from_state="deducted", reason=ReturnReason.CREDIT, kind="return", note=reason
    )
    ticket.returned_points += points
    ticket.forfeited_points += returned.forfeited
    ticket.version += 1
    _record(writer, ticket, TicketAction.CREDITED, points, reason)
    return await _detail(writer, ticket, allocations)
