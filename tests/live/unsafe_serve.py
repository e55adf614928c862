"""Serve points-service with the account lock taken out — for the negative control test only.

`python unsafe_serve.py --port N [--host H]` replaces `points_service.services.ledger.lock_account`
with a version that reads the account row WITHOUT `FOR UPDATE` (same signature, same
NotFoundError), and the group-commit writer's up-front account locks
(`points_service.services.uow._lock_accounts`) with nothing, then runs uvicorn in this very process (`workers=1`: worker processes would
re-import the package and lose the patch). The patch lives only under tests/, so nothing outside
the test suite can turn it on.
"""

from __future__ import annotations

import argparse

import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from points_service.db.models import Account
from points_service.domain.errors import NotFoundError
from points_service.services import ledger, uow


async def lock_account_without_lock(session: AsyncSession, account_id: str) -> Account:
    stmt = select(Account).where(Account.id == account_id).execution_options(populate_existing=True)
    account = (await session.execute(stmt)).scalar_one_or_none()
    if account is None:
        raise NotFoundError("account", account_id)
    return account


async def no_up_front_locks(_session: AsyncSession, _batch: object) -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    ledger.lock_account = lock_account_without_lock  # type: ignore[assignment]
    uow._lock_accounts = no_up_front_locks  # type: ignore[assignment]
    uvicorn.run("points_service.app:create_app", factory=True, host=args.host, port=args.port, workers=1)


if __name__ == "__main__":
    main()
