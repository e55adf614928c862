"""What an open costs the writer alone: CPU per open in batches, without HTTP.

Seeds `--accounts` accounts on a new SQLite file (or a migrated database, `--url`), then queues
`--batch` opens on different accounts at once, again and again, straight to `Database.write`:
the writer applies each group as one batch (BEGIN, load, apply, flush, COMMIT). Prints the
process's CPU per open (every thread: the event loop's queueing and answering, the writer, the
driver and SQLite's own C code), per round. `--profile` adds cProfile's table of the writer's
`_commit_batch` (it slows what it measures; read its shares, not its times).

    .venv/bin/python bench/writer_cost.py [--batch 16] [--rounds 4] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from points_service.db.migrate import upgrade
from points_service.domain.clock import SystemClock
from points_service.services.accounts import PutAccount
from points_service.services.context import Context
from points_service.services.grants import AdjustPoints
from points_service.services.tickets import OpenTicket
from points_service.services.uow import Database
from points_service.settings import Settings


async def main(args: argparse.Namespace) -> None:
    url = args.url
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'writer-cost.db'}"
        await asyncio.to_thread(upgrade, url)
    database = Database.from_settings(Settings(database_url=url, log_level="WARNING"))
    ctx = Context(actor="bench", role="admin", clock=SystemClock(), return_grace=timedelta(days=30))
    run = uuid.uuid4().hex[:6]
    accounts = [f"acc_writer_cost_{run}_{i}" for i in range(args.accounts)]
    for account_id in accounts:
        await database.write(PutAccount(ctx=ctx, account_id=account_id, display_name=account_id))
        await database.write(AdjustPoints(ctx=ctx, account_id=account_id, points=10**6, reason="seed"))

    profile = cProfile.Profile()
    commit_batch = Database._commit_batch

    def profiled(self: Database, jobs: Any) -> None:
        profile.enable()
        try:
            commit_batch(self, jobs)
        finally:
            profile.disable()

    if args.profile:
        Database._commit_batch = profiled  # type: ignore[method-assign]

    def opens(group: int) -> list[OpenTicket]:
        chosen = (accounts[(group * args.batch + i) % len(accounts)] for i in range(args.batch))
        return [
            OpenTicket(ctx=ctx, account_id=a, external_ref=uuid.uuid4().hex, category="consultation") for a in chosen
        ]

    print(f"{args.rounds} rounds of {args.groups} batches of {args.batch} opens ({url.split(':')[0]})")
    for round_ in range(args.rounds):
        batches, cpu = database.batches, time.process_time()
        for group in range(args.groups):
            await asyncio.gather(*(database.write(command) for command in opens(group)))
        per_open = (time.process_time() - cpu) / (args.groups * args.batch) * 1e3
        print(f"round {round_ + 1}: {per_open:.3f} ms of CPU per open, {database.batches - batches} batches")
    await database.dispose()
    if args.profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a migrated database (default: a new SQLite file)")
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--batch", type=int, default=16, help="opens queued at once (one batch)")
    parser.add_argument("--groups", type=int, default=30, help="batches per round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    asyncio.run(main(parser.parse_args()))
