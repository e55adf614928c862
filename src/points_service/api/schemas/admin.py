"""Administration: the expiry sweep, the ledger check; health."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from .common import _examples


class SweepResult(BaseModel):
    """What the expiry sweep wrote."""

    model_config = _examples(
        {
            "expired_lots": 3,
            "expired_points": 145,
            "accounts": ["cust-17", "cust-93"],
            "expiry_notices": 12,
            "idle_tickets": 2,
            "purged_events": 0,
        }
    )

    expired_lots: int = Field(description="lots whose expiry it wrote")
    expired_points: int = Field(description="whole points that expired")
    accounts: list[str] = Field(description="the accounts it wrote expiries for, by id")
    expiry_notices: int = Field(description="`lot.expiring_soon` events it sent")
    idle_tickets: int = Field(description="`ticket.idle` events it sent")
    purged_events: int = Field(description="events older than the retention it deleted (0 for one account)")


_DISAGREEMENT = {
    "account_id": "cust-42",
    "check": "entries sum to counters",
    "expected": {"available": 145, "held": 25, "deducted": 10},
    "found": {"available": 150, "held": 25, "deducted": 10},
}


class Disagreement(BaseModel):
    """One check of the ledger that failed."""

    model_config = _examples(_DISAGREEMENT)

    account_id: str = Field(description="the account")
    check: str = Field(
        description="what was checked, e.g. `entries sum to counters` or `lot <id> states sum to points`"
    )
    expected: Any = Field(description="what the check expected: a number, or points per state")
    found: Any = Field(description="what it found instead")


class VerifyReport(BaseModel):
    """The ledger check: every balance recomputed from the ledger and the lots, and compared."""

    model_config = _examples(
        {"ok": True, "checked_accounts": 1250, "checked_lots": 4312, "disagreements": []},
        {"ok": False, "checked_accounts": 1, "checked_lots": 2, "disagreements": [_DISAGREEMENT]},
    )

    ok: bool = Field(description="true when every check agreed (`disagreements` is empty)")
    checked_accounts: int = Field(description="accounts checked")
    checked_lots: int = Field(description="lots checked")
    disagreements: list[Disagreement] = Field(description="the checks that failed")
    next_cursor: str | None = Field(
        default=None,
        description="with `limit`: the next page of accounts to check, null after the last (and without `limit`)",
    )


class Health(BaseModel):
    """Liveness or readiness."""

    model_config = _examples({"status": "ok"})

    status: Literal["ok"] = Field(description="`ok`")
