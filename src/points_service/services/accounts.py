"""Account commands."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..db.records import Account
from .context import Context
from .events import account_created
from .ledger import open_account_write
from .state import Needs, Scope

_KEEP: Any = object()


@dataclass(frozen=True)
class PutAccountResult:
    account: Account
    created: bool


def new_account(account_id: str, now: datetime) -> Account:
    return Account(
        id=account_id,
        display_name=None,
        metadata={},
        available=0,
        held=0,
        deducted=0,
        last_seq=0,
        ledger_at=None,
        created_at=now,
        updated_at=now,
        event_seq=0,
        low_balance_threshold=None,
        low_balance=False,
        awaiting_count=0,
        awaiting_points=0,
    )


def ensure_account(tx: Scope, account_id: str, now: datetime) -> Account:
    """The locked account, created (empty) if it does not exist yet."""
    account = tx.account(account_id)
    if account is None:
        account = tx.insert(new_account(account_id, now))
        account_created(tx, account, now)
    return account


@dataclass(frozen=True, kw_only=True)
class PutAccount:
    """Create the account, or update the fields sent (omitted fields keep their value)."""

    ctx: Context
    account_id: str
    display_name: str | None = _KEEP
    metadata: dict[str, Any] | None = _KEEP
    low_balance_threshold: int | None = _KEEP

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)

    def apply(self, tx: Scope) -> PutAccountResult:
        now = self.ctx.clock.now()
        account = tx.account(self.account_id)
        created = account is None
        if account is None:
            account = tx.insert(new_account(self.account_id, now))
        changes: dict[str, Any] = {}
        threshold_changed = (
            self.low_balance_threshold is not _KEEP and self.low_balance_threshold != account.low_balance_threshold
        )
        if threshold_changed:
            changes["low_balance_threshold"] = self.low_balance_threshold
        if self.display_name is not _KEEP and self.display_name != account.display_name:
            changes["display_name"] = self.display_name
        if self.metadata is not _KEEP and (self.metadata or {}) != account.metadata:
            changes["metadata"] = self.metadata or {}
        if changes:
            if not created:
                changes["updated_at"] = max(now, account.updated_at)
            account = tx.update(replace(account, **changes))
        if created:
            account_created(tx, account, now)
        if threshold_changed:  # told at once if the balance is already below the new threshold
            open_account_write(tx, self.ctx, self.account_id).check_balance()
            account = tx.account(self.account_id) or account
        return PutAccountResult(account, created)
