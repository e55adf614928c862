"""Accounts: their names, metadata and balances; accounts with points expiring."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from .common import Name, Points, RequestBody, _examples
from .ledger import _BALANCE, _EXPIRING_L1, Balance, ExpiringLot

_METADATA = {"crm_id": "0015g00000XyZ12AAB", "tier": "gold"}
_ACCOUNT = {
    "account_id": "cust-42",
    "display_name": "ACME Corp",
    "metadata": _METADATA,
    "created_at": "2025-01-18T09:12:40Z",
    "updated_at": "2026-06-02T11:45:00Z",
    "low_balance_threshold": 40,
    "balance": _BALANCE,
}
_ACCOUNT_ID = "the helpdesk's customer id: 1–64 of `[A-Za-z0-9._:-]`, case-sensitive"


class Account(BaseModel):
    """A customer account and its balance."""

    model_config = _examples(_ACCOUNT)

    account_id: str = Field(description=_ACCOUNT_ID)
    display_name: str | None = Field(description="the name shown to staff; null when not set")
    metadata: dict[str, Any] = Field(description="free-form JSON object kept for the caller; `{}` when not set")
    created_at: datetime = Field(description="when the account was created (UTC, RFC 3339)")
    updated_at: datetime = Field(
        description="when `display_name`, `metadata` or `low_balance_threshold` last changed (UTC, RFC 3339)"
    )
    low_balance_threshold: int | None = Field(
        description="`balance.low` is sent when `available` falls below it, `balance.recovered` when it is back; "
        "null: off"
    )
    balance: Balance = Field(description="its points now")


class AccountPut(RequestBody):
    """What to set on an account (created when new). Fields left out keep their value."""

    model_config = _examples(
        {"display_name": "ACME Corp", "metadata": _METADATA, "low_balance_threshold": 40}, {"display_name": None}
    )

    display_name: Name | None = Field(
        default=None, description="the name shown to staff, 1–200 characters; null clears it; omitted: unchanged"
    )
    metadata: Annotated[dict[str, Any], Field(max_length=50)] | None = Field(
        default=None,
        description=(
            "free-form JSON object of at most 50 keys, replacing the stored one; null clears it; omitted: unchanged"
        ),
    )
    low_balance_threshold: Points | None = Field(
        default=None,
        description=(
            "whole points: `balance.low` is sent once when `available` falls below it (at once if it already is), "
            "`balance.recovered` once when it is back at or above it; null turns it off; omitted: unchanged"
        ),
    )


class ExpiringAccount(BaseModel):
    """An account with available points expiring before `expiring_before`."""

    model_config = _examples(
        {"account_id": "cust-42", "display_name": "ACME Corp", "expiring_points": 25, "expiring": [_EXPIRING_L1]}
    )

    account_id: str = Field(description=_ACCOUNT_ID)
    display_name: str | None = Field(description="the name shown to staff; null when not set")
    expiring_points: int = Field(description="whole points expiring between now and `expiring_before`")
    expiring: list[ExpiringLot] = Field(description="the lots they are in, soonest expiry first")
