"""Serve points-service with the account lock taken out — for the negative control test only.

`python unsafe_serve.py --port N [--host H]` replaces the write batches' account lock
(`points_service.services.load.LOCK_ACCOUNTS`, a `SELECT … FOR UPDATE`) with the same `SELECT`
without `FOR UPDATE`, then runs uvicorn in this very process (`workers=1`: worker processes would
re-import the package and lose the patch). The patch lives only under tests/, so nothing outside
the test suite can turn it on.

It also holds every batch for `RACE_WINDOW` seconds after it has read its accounts' lots and
before it writes them. Without that, whether two unlocked batches overlap is luck: on a busy
machine the batches of the four processes can run one after the other, and the control then
proves nothing (it once saw 3 opens of 64 succeed, all in order). With it, every batch that starts
while another is waiting reads the same points, so the missing lock is always exposed.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import uvicorn
from sqlalchemy import bindparam, select

from points_service.db import schema as t
from points_service.services import load, uow

RACE_WINDOW = 0.2  # seconds between reading an account's lots and writing them

_load = load.load


def load_then_wait(*args: Any, **kwargs: Any) -> Any:
    batch = _load(*args, **kwargs)
    time.sleep(RACE_WINDOW)
    return batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    load.LOCK_ACCOUNTS = (  # the same columns, not locked
        select(*load.LOCK_ACCOUNTS.selected_columns)
        .select_from(load._WITH_LOTS)
        .where(t.accounts.c.id.in_(bindparam("accounts", expanding=True)))
        .order_by(t.accounts.c.id)
    )
    uow.load = load_then_wait  # type: ignore[attr-defined]  # uow imports load without re-exporting it; patched on purpose
    uvicorn.run("points_service.app:create_app", factory=True, host=args.host, port=args.port, workers=1)


if __name__ == "__main__":
    main()
