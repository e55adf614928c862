"""Serve points-service with the account lock taken out — for the negative control test only.

`python unsafe_serve.py --port N [--host H]` replaces `points_service.services.ledger.lock_account`
with a version that reads the account row WITHOUT `FOR UPDATE` (same signature, same
NotFoundError), and the group-commit writer's up-front account locks
(`points_service.services.uow._lock_accounts`) with nothing, then runs uvicorn in this very
process (`workers=1`: worker processes would re-import the package and lose the patch). The patch
lives only under tests/, so nothing outside the test suite can turn it on.

It also holds every transaction for `RACE_WINDOW` seconds after it has read an account's lots and
before it writes them. Without that, whether two unlocked transactions overlap is luck: on a busy
machine the batches of the four processes can run one after the other, and the control then
proves nothing (it once saw 3 opens of 64 succeed, all in order). With it, every transaction that
starts while another is waiting reads the same points, so the missing lock is always exposed.
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from points_service.db.models import Account, Lot
from points_service.domain.errors import NotFoundError
from points_service.services import ledger, uow

RACE_WINDOW = 0.2  # seconds between reading an account's lots and writing them

_lots_with_points = ledger.AccountWriter.lots_with_points


async def lock_account_without_lock(session: AsyncSession, account_id: str) -> Account:
    stmt = select(Account).where(Account.id == account_id).execution_options(populate_existing=True)
    account = (await session.execute(stmt)).scalar_one_or_none()
    if account is None:
        raise NotFoundError("account", account_id)
    return account


async def lots_with_points_then_wait(writer: ledger.AccountWriter) -> list[Lot]:
    lots = await _lots_with_points(writer)
    await asyncio.sleep(RACE_WINDOW)
    return lots


async def no_up_front_locks(_session: AsyncSession, _batch: object) -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    ledger.lock_account = lock_account_without_lock  # type: ignore[assignment]
    uow._lock_accounts = no_up_front_locks  # type: ignore[assignment]
    ledger.AccountWriter.lots_with_points = lots_with_points_then_wait  # type: ignore[method-assign]
    uvicorn.run("points_service.app:create_app", factory=True, host=args.host, port=args.port, workers=1)


if __name__ == "__main__":
    main()
