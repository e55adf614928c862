"""Tickets: opening, adjusting, resolving, refunding and crediting them; the lots they took points
from; their history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .catalogue import _FIXED_25, Pricing
from .common import (
    _NOW,
    _T2_LOT,
    _T_OPEN,
    _T_RESOLVED,
    NO_NUL,
    Code,
    Note,
    Points,
    Quantity,
    Reason,
    Ref,
    RefundReasonName,
    RequestBody,
    TicketActionName,
    TicketStatusName,
    _examples,
)

_IN_HISTORY = "recorded in the ticket's history"


class TicketCreate(RequestBody):
    """A ticket to open; it captures its estimated points."""

    model_config = _examples(
        {"external_ref": "HD-10482", "category": "store-problem", "subject": "Blank shipping step at checkout"},
        {
            "external_ref": "HD-10517",
            "category": "third-party-install",
            "estimated_points": 120,
            "subject": "Install a blog",
        },
        {"external_ref": "HD-10533", "category": "aspe-transfer", "quantity": 2, "subject": "Move two ASPE stores"},
    )

    external_ref: Ref = Field(
        description=(
            "the helpdesk's reference, unique per account (a repeat answers 409 `conflict` naming the existing ticket)"
        )
    )
    category: Code = Field(description="the code of an active category")
    quantity: Quantity | None = Field(
        default=None,
        description=(
            "formula categories only, and required there (at least the rule's `min_quantity`); "
            "omitted or null otherwise"
        ),
    )
    estimated_points: Points | None = Field(
        default=None,
        description="whole points to capture: required for `range` (within it) and `upon_request`, optional for `from` "
        "(at least `min`; omitted or null: `min`), omitted, null or equal to the price for `fixed` and `formula`",
    )
    subject: Annotated[str, Field(strict=True, max_length=500, pattern=NO_NUL)] | None = Field(
        default=None, description="a short description; omitted or null: none"
    )
    when_insufficient: Literal["reject", "wait"] = Field(
        default="reject",
        description="when the account cannot pay now: `reject` (409 `insufficient-points`) or `wait` (202: the "
        "ticket is `awaiting_points`, holds nothing, and is captured when points arrive, first come first served)",
    )


class TicketAdjust(RequestBody):
    """Set an open ticket's captured points, optionally correcting its category or quantity."""

    model_config = _examples(
        {"points": 40, "reason": "the server's PHP version had to be upgraded as well"},
        {"points": 300, "reason": "three stores to move, not two", "quantity": 3},
    )

    points: Points = Field(
        description="the whole points to hold from now on, 0 to 1,000,000,000 whatever the pricing rule: "
        "more captures the difference, less gives it back"
    )
    reason: Reason = Field(description=f"why, {_IN_HISTORY}")
    category: Code | None = Field(
        default=None, description="reclassify to this active category; omitted or null: unchanged"
    )
    quantity: Quantity | None = Field(
        default=None,
        description="the quantity, for a formula rule (the ticket's, or the new category's, where it is required); "
        "omitted or null: none",
    )


class TicketResolve(RequestBody):
    """Resolve an open ticket: its captured points are deducted."""

    model_config = _examples(
        {"note": "shipping step restored"},
        {"points": 40, "note": "fixed after upgrading PHP on the server"},
    )

    points: Points | None = Field(
        default=None,
        description="the final whole points, set first as an adjust would (one history entry, one version step); "
        "omitted or null: the captured points",
    )
    note: Note | None = Field(default=None, description=f"free text {_IN_HISTORY}; omitted or null: none")


class TicketRefund(RequestBody):
    """Refund a ticket: every point not yet returned goes back."""

    model_config = _examples({"reason": "software_bug", "note": "a bug of 5.4.1, fixed in 5.4.2"})

    reason: RefundReasonName = Field(
        description="`software_bug` and `other` are the vendor's doing: points whose lot has expired (or expires "
        "within the return grace) come back in a new `returned` lot; with `withdrawn` and `duplicate`, points of an "
        "expired lot expire"
    )
    note: Note | None = Field(default=None, description=f"free text {_IN_HISTORY}; omitted or null: none")


class TicketCredit(RequestBody):
    """Give back part of a resolved ticket's points; it stays resolved."""

    model_config = _examples({"points": 10, "reason": "goodwill: the fix took two attempts"})

    points: Points = Field(
        description=(
            "whole points to give back, 1 to `deducted_points` − `returned_points`; outside → 422 with `max_points`"
        )
    )
    reason: Reason = Field(description=f"why, {_IN_HISTORY}")


_TICKET_OPEN = {
    "id": _T_OPEN,
    "account_id": "cust-42",
    "external_ref": "HD-10482",
    "subject": "Blank shipping step at checkout",
    "category": "store-problem",
    "pricing": _FIXED_25,
    "quantity": None,
    "estimated_points": 25,
    "captured_points": 25,
    "charged_points": 0,
    "deducted_points": 0,
    "returned_points": 0,
    "forfeited_points": 0,
    "status": "open",
    "version": 1,
    "opened_at": "2026-11-20T15:04:05Z",
    "resolved_at": None,
    "refunded_at": None,
    "closed_at": None,
}
_TICKET_RESOLVED = {
    **_TICKET_OPEN,
    "id": _T_RESOLVED,
    "external_ref": "HD-10211",
    "subject": "How do I export orders to CSV?",
    "category": "consultation",
    "pricing": {"type": "fixed", "points": 10},
    "estimated_points": 10,
    "captured_points": 0,
    "charged_points": 10,
    "deducted_points": 10,
    "status": "resolved",
    "version": 2,
    "opened_at": "2026-10-05T13:21:09Z",
    "resolved_at": "2026-10-06T08:02:51Z",
    "closed_at": "2026-10-06T08:02:51Z",
}


class Ticket(BaseModel):
    """A support ticket and the points it captured, took and gave back."""

    model_config = _examples(_TICKET_OPEN, _TICKET_RESOLVED)

    id: str = Field(description="the ticket's id: `tkt_` and a ULID")
    account_id: str = Field(description="the account whose points it uses")
    external_ref: str = Field(description="the helpdesk's reference, unique per account")
    subject: str | None = Field(description="a short description; null when none was given")
    category: str = Field(description="the code of its category")
    pricing: Pricing = Field(description="the pricing rule it was opened (or reclassified) with")
    quantity: int | None = Field(description="the quantity it was priced with (formula rules); null otherwise")
    estimated_points: int = Field(description="whole points the pricing rule gave at opening")
    captured_points: int = Field(description="whole points held now; 0 once closed")
    charged_points: int = Field(description="whole points held when it left `open`; 0 while open")
    deducted_points: int = Field(
        description="whole points taken at resolution; 0 while open, and if refunded while open"
    )
    returned_points: int = Field(
        description=(
            "whole points given back after it left `open`, by a refund or credits (lowering a capture is not a return)"
        )
    )
    forfeited_points: int = Field(
        description="whole points that went back to a revoked lot and were revoked again at once"
    )
    status: TicketStatusName = Field(description="`open`, then `resolved` or `refunded`")
    version: int = Field(description="1 at opening, one more on each change; the `ETag`, checked against `If-Match`")
    opened_at: datetime = Field(description="when it was opened (UTC, RFC 3339)")
    resolved_at: datetime | None = Field(
        description="when it was resolved (UTC, RFC 3339); null unless it was resolved"
    )
    refunded_at: datetime | None = Field(
        description="when it was refunded (UTC, RFC 3339); null unless it was refunded"
    )
    closed_at: datetime | None = Field(
        description="when it left `open`, resolved or refunded (UTC, RFC 3339); null while the ticket is open"
    )


class AllocationOut(BaseModel):
    """Points one capture step took from one lot."""

    model_config = _examples({"seq": 1, "lot_id": _T2_LOT, "held": 0, "deducted": 25, "returned": 0})

    seq: int = Field(description="the step's order; points are given back from the highest first")
    lot_id: str = Field(description="the lot they were taken from")
    held: int = Field(description="whole points of this step held now")
    deducted: int = Field(description="whole points of this step taken at resolution")
    returned: int = Field(description="whole points of this step given back by a refund or credit")


_HELPDESK = "helpdesk-app"
_OPENED = {
    "at": "2026-11-19T11:42:17Z",
    "action": "opened",
    "points": 25,
    "reason": None,
    "note": None,
    "actor": _HELPDESK,
    "version": 1,
}


class HistoryEntry(BaseModel):
    """One change of a ticket."""

    model_config = _examples(_OPENED)

    at: datetime = Field(description="when (UTC, RFC 3339)")
    action: TicketActionName = Field(description="what was done")
    points: int = Field(
        description=(
            "whole points: captured (`opened`, `adjusted`), deducted (`resolved`) "
            "or given back (`refunded`, `credited`)"
        )
    )
    reason: str | None = Field(
        description="the reason given (adjust, refund, credit); `dispute` for the credit an accepted dispute "
        "gives (`credited`, as its ledger entry); `dispute <dispute id>` for a dispute's own steps (`disputed`, "
        "`dispute_accepted`, `dispute_rejected`); null for `opened` and `resolved`"
    )
    note: str | None = Field(
        description="the note given (resolve, refund; a dispute's reason or decision for its steps); for the "
        "credit an accepted dispute gives, the dispute's id; null when none was given"
    )
    actor: str = Field(description="the name of the API key that made the change")
    version: int = Field(description="the ticket's version after the change")


class TicketDetail(Ticket):
    """A ticket with the lots it took points from and its history."""

    model_config = _examples(
        {
            **_TICKET_OPEN,
            "id": "tkt_01M7SSTND8CVX1M02RPZF6J11G",
            "account_id": "cust-58",
            "external_ref": "HD-10377",
            "subject": "Orders stuck in processing",
            "captured_points": 0,
            "charged_points": 40,
            "deducted_points": 40,
            "status": "resolved",
            "version": 3,
            "opened_at": "2026-11-19T11:42:17Z",
            "resolved_at": _NOW,
            "closed_at": _NOW,
            "allocations": [
                {"seq": 1, "lot_id": _T2_LOT, "held": 0, "deducted": 25, "returned": 0},
                {"seq": 2, "lot_id": _T2_LOT, "held": 0, "deducted": 15, "returned": 0},
            ],
            "history": [
                _OPENED,
                {
                    **_OPENED,
                    "at": "2026-11-21T09:30:00Z",
                    "action": "adjusted",
                    "points": 40,
                    "reason": "the server's PHP version had to be upgraded as well",
                    "version": 2,
                },
                {
                    **_OPENED,
                    "at": _NOW,
                    "action": "resolved",
                    "points": 40,
                    "note": "fixed after upgrading PHP on the server",
                    "version": 3,
                },
            ],
        }
    )

    allocations: list[AllocationOut] = Field(description="what each capture step took from which lot, by `seq`")
    history: list[HistoryEntry] = Field(description="every change, oldest first")
