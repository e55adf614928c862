"""A reference model of the support-points rules, written from the rules alone (docs/design.md §2–§6).

It imports nothing from `points_service`: the model-based test checks the service against it,
so it must not share the service's code (or its mistakes). Plain integers and datetimes; lots
are identified by the ids the service gave them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

STATES = ("available", "held", "deducted", "expired", "revoked", "written_off", "reissued")


class Refused(Exception):
    """The model says the service must refuse: `status` is the HTTP status expected."""

    def __init__(self, status: int, slug: str) -> None:
        super().__init__(slug)
        self.status = status
        self.slug = slug


def two_years_after(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    if moment.month == 2 and moment.day == 29:
        return moment.replace(year=moment.year + 2, day=28)
    return moment.replace(year=moment.year + 2)


@dataclass
class Lot:
    id: str
    source: str
    points: int
    granted_at: datetime
    expires_at: datetime | None
    origin: str | None = None
    revoked: bool = False
    states: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.states = dict.fromkeys(STATES, 0) | {"available": self.points}

    def expired_at(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def order(self) -> tuple[bool, datetime, datetime, str]:
        return (self.expires_at is None, self.expires_at or self.granted_at, self.granted_at, self.id)


@dataclass
class Piece:
    """Points one capture step took from one lot."""

    seq: int
    lot_id: str
    held: int = 0
    deducted: int = 0
    returned: int = 0


@dataclass
class Ticket:
    id: str
    status: str = "open"
    waiting_for: int = 0  # awaiting_points: what it waits for
    opened_at: datetime | None = None
    captured: int = 0
    charged: int = 0
    deducted: int = 0
    returned: int = 0
    forfeited: int = 0
    pieces: list[Piece] = field(default_factory=list)


@dataclass
class Dispute:
    """A customer's claim that a resolved ticket cost too much: `open`, then `accepted` or `rejected`."""

    id: str
    ticket_id: str
    claimed: int | None  # None: everything left to give back
    status: str = "open"
    credited: int | None = None


@dataclass
class Model:
    grace: timedelta = timedelta(days=30)
    lots: dict[str, Lot] = field(default_factory=dict)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    licenses: int = 0
    disputes: dict[str, Dispute] = field(default_factory=dict)
    pending_reissues: list[tuple[str, int, datetime]] = field(default_factory=list)

    # -- time ------------------------------------------------------------------------------
    def expire(self, now: datetime) -> None:
        """At `expires_at` available points stop counting; held points wait for their ticket."""
        for lot in self.lots.values():
            if lot.expired_at(now) and lot.states["available"]:
                lot.states["expired"] += lot.states["available"]
                lot.states["available"] = 0

    # -- balances --------------------------------------------------------------------------
    def balance(self) -> tuple[int, int, int]:
        return (
            sum(lot.states["available"] for lot in self.lots.values()),
            sum(t.captured for t in self.tickets.values() if t.status == "open"),
            sum(t.charged - t.returned for t in self.tickets.values() if t.status in ("resolved", "refunded")),
        )

    def spendable(self, now: datetime) -> list[Lot]:
        live = [lot for lot in self.lots.values() if lot.states["available"] and not lot.expired_at(now)]
        return sorted(live, key=Lot.order)

    def _take(self, points: int, now: datetime) -> list[tuple[Lot, int]]:
        available = sum(lot.states["available"] for lot in self.spendable(now))
        if points > available:
            raise Refused(409, "insufficient-points")
        taken, remaining = [], points
        for lot in self.spendable(now):
            if not remaining:
                break
            n = min(remaining, lot.states["available"])
            taken.append((lot, n))
            remaining -= n
        return taken

    # -- points in -------------------------------------------------------------------------
    def add_lot(self, lot: Lot, now: datetime) -> None:
        self.lots[lot.id] = lot
        self.expire(now)
        self.points_arrived(now)

    def points_arrived(self, now: datetime) -> None:
        """Waiting tickets are captured in the order they were opened; the first that does not
        fit stops the queue."""
        waiting = sorted(
            (t for t in self.tickets.values() if t.status == "awaiting_points"),
            key=lambda t: (t.opened_at, t.id),
        )
        for ticket in waiting:
            if ticket.waiting_for > sum(lot.states["available"] for lot in self.spendable(now)):
                break
            self._capture(ticket, ticket.waiting_for, now)
            ticket.status = "open"
            ticket.waiting_for = 0

    def write_off(self, points: int, now: datetime) -> None:
        try:
            taken = self._take(points, now)
        except Refused:
            raise Refused(422, "validation-error") from None
        for lot, n in taken:
            lot.states["available"] -= n
            lot.states["written_off"] += n

    def revoke(self, lot_id: str) -> None:
        lot = self.lots[lot_id]
        if lot.revoked:
            return
        family = [lot]
        frontier = [lot.id]
        while frontier:
            parent = frontier.pop()
            for child in self.lots.values():
                if child.origin == parent:
                    family.append(child)
                    frontier.append(child.id)
        for member in family:
            member.revoked = True
            member.states["revoked"] += member.states["available"]
            member.states["available"] = 0

    # -- tickets ---------------------------------------------------------------------------
    def open(self, ticket_id: str, points: int, now: datetime, *, wait: bool = False) -> None:
        ticket = Ticket(ticket_id, opened_at=now)
        try:
            self._capture(ticket, points, now)
        except Refused:
            if not wait:
                raise
            ticket.status, ticket.waiting_for = "awaiting_points", points
        self.tickets[ticket_id] = ticket

    def _capture(self, ticket: Ticket, points: int, now: datetime) -> None:
        for lot, n in self._take(points, now):
            lot.states["available"] -= n
            lot.states["held"] += n
            ticket.pieces.append(Piece(len(ticket.pieces) + 1, lot.id, held=n))
        ticket.captured += points

    def check_open(self, ticket_id: str) -> Ticket:
        ticket = self.tickets[ticket_id]
        if ticket.status != "open":
            raise Refused(409, "invalid-state")
        return ticket

    def adjust(self, ticket_id: str, points: int, now: datetime) -> None:
        waiting = self.tickets[ticket_id]
        if waiting.status == "awaiting_points":  # what it waits for
            waiting.waiting_for = points
            return
        ticket = self.check_open(ticket_id)
        delta = points - ticket.captured
        if delta > 0:
            self._capture(ticket, delta, now)
        elif delta < 0:
            self._give_back(ticket, -delta, "held", vendor=False, now=now, lowering=True)
            ticket.captured = points

    def resolve(self, ticket_id: str, points: int | None, now: datetime) -> None:
        ticket = self.check_open(ticket_id)
        if points is not None:
            self.adjust(ticket_id, points, now)
        for piece in ticket.pieces:
            lot = self.lots[piece.lot_id]
            lot.states["held"] -= piece.held
            lot.states["deducted"] += piece.held
            piece.deducted += piece.held
            piece.held = 0
        ticket.charged = ticket.deducted = ticket.captured
        ticket.captured = 0
        ticket.status = "resolved"

    def refund(self, ticket_id: str, reason: str, now: datetime) -> None:
        ticket = self.tickets[ticket_id]
        vendor = reason in ("software_bug", "other")
        if ticket.status == "open":
            ticket.charged = ticket.captured
            self._give_back(ticket, ticket.captured, "held", vendor=vendor, now=now)
            ticket.returned = ticket.charged
            ticket.captured = 0
        elif ticket.status == "resolved":
            rest = ticket.deducted - ticket.returned
            self._give_back(ticket, rest, "deducted", vendor=vendor, now=now)
            ticket.returned += rest
        elif ticket.status == "awaiting_points":  # it holds nothing
            ticket.waiting_for = 0
        else:
            raise Refused(409, "invalid-state")
        ticket.status = "refunded"

    def credit(self, ticket_id: str, points: int, now: datetime) -> None:
        ticket = self.tickets[ticket_id]
        if ticket.status != "resolved":
            raise Refused(409, "invalid-state")
        if not 1 <= points <= ticket.deducted - ticket.returned:
            raise Refused(422, "validation-error")
        self._give_back(ticket, points, "deducted", vendor=True, now=now)
        ticket.returned += points

    # -- disputes --------------------------------------------------------------------------
    def check_dispute(self, ticket_id: str, points: int | None) -> None:
        """Only a resolved ticket with points left to give back, one open dispute at a time, and a
        claim of 1 to what is left. A claim below 1 is not even read."""
        if points is not None and points < 1:
            raise Refused(422, "validation-error")
        ticket = self.tickets[ticket_id]
        left = ticket.deducted - ticket.returned
        if ticket.status != "resolved" or left <= 0:
            raise Refused(409, "invalid-state")
        if any(d.ticket_id == ticket_id and d.status == "open" for d in self.disputes.values()):
            raise Refused(409, "conflict")
        if points is not None and not 1 <= points <= left:
            raise Refused(422, "validation-error")

    def open_dispute(self, dispute_id: str, ticket_id: str, points: int | None) -> None:
        self.check_dispute(ticket_id, points)
        self.disputes[dispute_id] = Dispute(dispute_id, ticket_id, points)

    def _decide(self, dispute_id: str) -> Dispute:
        dispute = self.disputes[dispute_id]
        if dispute.status != "open":
            raise Refused(409, "invalid-state")
        return dispute

    def accept_dispute(self, dispute_id: str, points: int | None, now: datetime) -> None:
        """A credit, the vendor's doing: the agent's figure, else the claim capped at what is left
        now, else everything left. Nothing left (refunded or credited meanwhile): refused.
        A figure below 1 is not even read."""
        if points is not None and points < 1:
            raise Refused(422, "validation-error")
        dispute = self._decide(dispute_id)
        ticket = self.tickets[dispute.ticket_id]
        left = ticket.deducted - ticket.returned
        if ticket.status != "resolved" or left <= 0:
            raise Refused(409, "invalid-state")
        if points is not None and not 1 <= points <= left:
            raise Refused(422, "validation-error")
        credit = points if points is not None else left if dispute.claimed is None else min(dispute.claimed, left)
        self._give_back(ticket, credit, "deducted", vendor=True, now=now)
        ticket.returned += credit
        dispute.status, dispute.credited = "accepted", credit

    def reject_dispute(self, dispute_id: str) -> None:
        self._decide(dispute_id).status = "rejected"

    def _give_back(
        self, ticket: Ticket, points: int, state: str, *, vendor: bool, now: datetime, lowering: bool = False
    ) -> None:
        """Last taken, first returned; the lot's situation decides where the points land."""
        remaining = points
        for piece in sorted(ticket.pieces, key=lambda p: p.seq, reverse=True):
            if not remaining:
                break
            returnable = piece.held if state == "held" else piece.deducted - piece.returned
            n = min(returnable, remaining)
            if not n:
                continue
            remaining -= n
            if state == "held":
                piece.held -= n
            if not lowering:
                piece.returned += n
            lot = self.lots[piece.lot_id]
            lot.states[state] -= n
            if lot.revoked:
                lot.states["revoked"] += n
                ticket.forfeited += n
            elif lot.expires_at is None or lot.expires_at > now + self.grace:
                lot.states["available"] += n
            elif vendor:
                lot.states["reissued"] += n
                self.pending_reissues.append((lot.id, n, now + self.grace))
            elif lot.expired_at(now):
                lot.states["expired"] += n
            else:
                lot.states["available"] += n
        assert remaining == 0

    def adopt_reissued(self, lots_from_api: list[dict[str, object]], now: datetime) -> None:
        """Match the `returned` lots the service created to the reissues the model expects."""
        known = set(self.lots)
        fresh = [lot for lot in lots_from_api if lot["id"] not in known and lot["source"] == "returned"]
        expected = sorted(self.pending_reissues, key=lambda r: r[0])
        by_origin: dict[str, list[tuple[int, datetime]]] = {}
        for origin, n, expires in expected:
            by_origin.setdefault(origin, []).append((n, expires))
        for lot in fresh:
            origin = str(lot["origin_lot_id"])
            pieces = by_origin.pop(origin, [])
            if not pieces:
                raise AssertionError(f"unexpected returned lot {lot}")
            total = sum(n for n, _ in pieces)
            granted = datetime.fromisoformat(str(lot["granted_at"]))
            model_lot = Lot(
                id=str(lot["id"]),
                source="returned",
                points=total,
                granted_at=granted,
                expires_at=pieces[0][1],
                origin=origin,
            )
            self.lots[model_lot.id] = model_lot
        if by_origin:
            raise AssertionError(f"expected returned lots for {sorted(by_origin)} were not created")
        if self.pending_reissues:  # new lots: points arrived (the service captured at once)
            self.pending_reissues.clear()
            self.points_arrived(now)
        self.pending_reissues.clear()
