"""Balances, ledger entries and their postings, and the account statement."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ...domain import lots as lot_rules
from .common import _L1, _L2, _NOW, _T_OPEN, EntryKind, LotState, Page, _examples
from .tickets import _HELPDESK, _TICKET_OPEN, _TICKET_RESOLVED, Ticket

_EXPIRING_L1 = {"lot_id": _L1, "points": 25, "expires_at": "2027-01-18T09:12:44Z"}
_BALANCE = {
    "account_id": "cust-42",
    "available": 145,
    "held": 25,
    "deducted": 10,
    "expiring": [_EXPIRING_L1],
    "awaiting_points": {"count": 0, "points": 0},
    "as_of": _NOW,
}


class ExpiringLot(BaseModel):
    """Available points of one lot, and when they expire."""

    model_config = _examples(_EXPIRING_L1)

    lot_id: str = Field(description="the lot")
    points: int = Field(description="its available points, which expire at `expires_at`, in whole points")
    expires_at: datetime = Field(description="when they stop counting (UTC, RFC 3339)")


class AwaitingPoints(BaseModel):
    """The account's tickets waiting for points (`awaiting_points`): they hold nothing yet."""

    model_config = _examples({"count": 1, "points": 40})

    count: int = Field(description="how many tickets wait")
    points: int = Field(description="whole points they wait for, in all")


class Balance(BaseModel):
    """An account's points at `as_of`. Due expiries count whether or not they were written yet."""

    model_config = _examples(_BALANCE)

    account_id: str = Field(description="the account")
    available: int = Field(description="whole points spendable now")
    held: int = Field(description="whole points captured by open tickets")
    deducted: int = Field(description="whole points closed tickets took for good (charged minus returned)")
    expiring: list[ExpiringLot] = Field(
        description=(
            "lots whose available points expire within `POINTS_EXPIRING_WINDOW_DAYS` (default 90), soonest first"
        )
    )
    awaiting_points: AwaitingPoints = Field(
        description="tickets opened with `when_insufficient: wait` that wait for points (captured first come, "
        "first served when a lot arrives)"
    )
    as_of: datetime = Field(description="the instant these figures are for (UTC, RFC 3339)")


_STATES = ", ".join(f"`{state}`" for state in list(lot_rules.LotState)[:-1]) + f" or `{list(lot_rules.LotState)[-1]}`"


class PostingOut(BaseModel):
    """Points of one lot moving from one state to another."""

    model_config = _examples({"lot_id": _L1, "from_state": "available", "to_state": "held", "points": 25})

    lot_id: str = Field(description="the lot")
    from_state: LotState | None = Field(
        description=f"the state they left: {_STATES}; null when they arrive with the lot"
    )
    to_state: LotState = Field(description=f"the state they entered: {_STATES}")
    points: int = Field(description="whole points moved, more than 0")


_ENTRY_L2 = {
    "id": "le_01M8BMRD80VAAY4YRPT0SFJGSR",
    "seq": 5,
    "account_id": "cust-42",
    "kind": "purchase",
    "available_delta": 120,
    "held_delta": 0,
    "deducted_delta": 0,
    "available_after": 145,
    "held_after": 25,
    "deducted_after": 10,
    "postings": [{"lot_id": _L2, "from_state": None, "to_state": "available", "points": 120}],
    "lot_id": _L2,
    "ticket_id": None,
    "reason": None,
    "actor": "billing-system",
    "created_at": _NOW,
    "effective_at": "2026-11-26T09:59:58Z",
    "pending": False,
    "dispute_id": None,
}
_ENTRY_L1 = {
    **_ENTRY_L2,
    "id": "le_01JHWAZ8Q0SDT9M0KQSNPRMRY0",
    "seq": 1,
    "available_delta": 60,
    "available_after": 60,
    "held_after": 0,
    "deducted_after": 0,
    "postings": [{"lot_id": _L1, "from_state": None, "to_state": "available", "points": 60}],
    "lot_id": _L1,
    "created_at": "2025-01-18T09:12:44Z",
    "effective_at": "2025-01-18T09:12:44Z",
}
_ENTRY_CAPTURE = {
    **_ENTRY_L2,
    "id": "le_01M7WQRWM8BB4RYFG63FEEXW2B",
    "seq": 4,
    "kind": "capture",
    "available_delta": -25,
    "held_delta": 25,
    "available_after": 25,
    "postings": [{"lot_id": _L1, "from_state": "available", "to_state": "held", "points": 25}],
    "lot_id": _L1,
    "ticket_id": _T_OPEN,
    "actor": _HELPDESK,
    "created_at": "2026-11-20T15:04:05Z",
    "effective_at": "2026-11-20T15:04:05Z",
}
_LX = "lot_01JDH726T0GSMZW7RZ2DXZKHS1"
_ENTRY_PENDING = {
    **_ENTRY_L2,
    "id": f"pending:{_LX}",
    "seq": None,
    "account_id": "cust-17",
    "kind": "expiry",
    "available_delta": -15,
    "available_after": 0,
    "held_after": 0,
    "deducted_after": 45,
    "postings": [{"lot_id": _LX, "from_state": "available", "to_state": "expired", "points": 15}],
    "lot_id": _LX,
    "actor": "system:expiry",
    "effective_at": "2026-11-25T08:30:00Z",
    "pending": True,
}


class LedgerEntry(BaseModel):
    """One operation's effect on an account's points. Entries are never changed or deleted."""

    model_config = _examples(_ENTRY_L2, _ENTRY_CAPTURE, _ENTRY_PENDING)

    id: str = Field(description="the entry's id: `le_` and a ULID (`pending:<lot id>` for a pending expiry)")
    seq: int | None = Field(
        description="its place in the account's ledger, gapless from 1; null for a pending expiry, not yet written"
    )
    account_id: str = Field(description="the account")
    kind: EntryKind = Field(
        description="`purchase`, `license_bonus`, `adjustment`, `import`, `expiry`, `revocation`, `capture`, "
        "`capture_increase`, `capture_decrease`, `deduction` or `return`"
    )
    available_delta: int = Field(description="signed change of the account's available points, in whole points")
    held_delta: int = Field(description="signed change of the account's held points, in whole points")
    deducted_delta: int = Field(description="signed change of the account's deducted points, in whole points")
    available_after: int = Field(description="the account's available points after the entry")
    held_after: int = Field(description="the account's held points after the entry")
    deducted_after: int = Field(description="the account's deducted points after the entry")
    postings: list[PostingOut] = Field(description="the points each lot moved between states")
    lot_id: str | None = Field(description="the lot, when exactly one is involved; null otherwise")
    ticket_id: str | None = Field(description="the ticket that moved the points; null for entries of no ticket")
    reason: str | None = Field(description="the reason given with the operation; null when there was none")
    actor: str = Field(description="who did it: the API key's name, `webhook:billing` or `system:expiry`")
    created_at: datetime = Field(
        description="when it was written, or for a pending expiry when it was read (UTC, RFC 3339)"
    )
    effective_at: datetime = Field(
        description="when it took effect (UTC, RFC 3339): a lot's `expires_at` for an expiry, its `granted_at` "
        "for a grant, else `created_at`"
    )
    pending: bool = Field(
        description="true for a due expiry not yet written (the account's next write or the sweep writes it)"
    )
    dispute_id: str | None = Field(
        description="the accepted dispute whose credit this is: set on the `return` entry accepting a dispute "
        "writes (its `reason` is then `dispute`), null on every other entry"
    )


class Statement(BaseModel):
    """The account page's three parts, from one consistent snapshot. They reconcile: `available` =
    Σ `modifications` `available_delta` − Σ `in_progress` `captured_points` − Σ `closed`
    (`charged_points` − `returned_points`)."""

    model_config = _examples(
        {
            "balance": _BALANCE,
            "modifications": {"items": [_ENTRY_L2, _ENTRY_L1], "next_cursor": None},
            "in_progress": {"items": [_TICKET_OPEN], "next_cursor": None},
            "closed": {"items": [_TICKET_RESOLVED], "next_cursor": None},
        }
    )

    balance: Balance = Field(description="the account's balance")
    modifications: Page[LedgerEntry] = Field(
        description="where points came from and went other than to tickets: entries of kinds `purchase`, "
        "`license_bonus`, `adjustment`, `import`, `expiry` (pending ones included) and `revocation`, newest first; "
        "continued by `/ledger?view=modifications`"
    )
    in_progress: Page[Ticket] = Field(
        description="open tickets with the points captured for each, and tickets waiting for points (0 captured, "
        "`estimated_points` what they wait for), newest first; continued by "
        "`/tickets?status=open&status=awaiting_points`"
    )
    closed: Page[Ticket] = Field(
        description="resolved and refunded tickets with the points each took, newest first; "
        "continued by `/tickets?status=resolved&status=refunded`"
    )
