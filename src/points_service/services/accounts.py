"""Account commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.models import Account
from .context import Context

_KEEP: Any = object()


@dataclass
class PutAccount:
    account: Account
    created: bool


async def put_account(
    session: AsyncSession,
    ctx: Context,
    *,
    account_id: str,
    display_name: str | None = _KEEP,
    metadata: dict[str, Any] | None = _KEEP,
) -> PutAccount:
    """Create the account, or update the fields sent (omitted fields keep their value)."""
    now = ctx.clock.now()
    stmt = select(Account).where(Account.id == account_id).with_for_update().execution_options(populate_existing=True)
    account = (await session.execute(stmt)).scalar_one_or_none()
    if account is None:
        account = new_account(account_id, now)
        session.add(account)
        created = True
    else:
        created = False
    changed = False
    if display_name is not _KEEP and display_name != account.display_name:
        account.display_name, changed = display_name, True
    if metadata is not _KEEP and (metadata or {}) != account.meta:
        account.meta, changed = metadata or {}, True
    if changed and not created:
        account.updated_at = max(now, account.updated_at)
    return PutAccount(account, created)


def new_account(account_id: str, now: Any) -> Account:
    return Account(
        id=account_id,
        display_name=None,
        meta={},
        available=0,
        held=0,
        deducted=0,
        last_seq=0,
        created_at=now,
        updated_at=now,
    )
