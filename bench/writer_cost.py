"""What an open costs the writer alone: CPU per open in batches, without HTTP.

Seeds `--accounts` accounts on a new SQLite file (or a migrated database, `--url`), then queues
`--batch` opens on different accounts at once, again and again, straight to `Database.write`:
the writer applies each group as one batch (BEGIN, load, apply, flush, COMMIT). Prints the
process's CPU per open (every thread: the event loop's queueing and answering, the writer, the
driver and SQLite's own C code), per round. `--profile` adds cProfile's table of the writer's
`_commit_batch` (it slows what it measures; read its shares, not its times).

On SQLite, `--wal-pages N` then checkpoints the WAL away, queues N more batches and reads the WAL
file: the pages each batch wrote (the WAL frames of its transaction), per table and index, named
with SQLite's `dbstat`. What a batch writes is what its COMMIT and the later checkpoint cost
(docs/performance.md, "What the indexes cost the writes"). `--hot` puts every open of a batch on
one account.

    .venv/bin/python bench/writer_cost.py [--batch 16] [--rounds 4] [--profile] [--wal-pages 5] [--hot]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sqlite3
import struct
import tempfile
import time
import uuid
from collections import Counter
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

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
    if args.wal_pages and url is not None and make_url(url).get_backend_name() != "sqlite":
        raise SystemExit("--wal-pages reads SQLite's WAL file: it needs a SQLite database")
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

    def profiled(self: Database, *args: Any) -> None:  # whatever `_commit_batch` takes
        profile.enable()
        try:
            commit_batch(self, *args)
        finally:
            profile.disable()

    if args.profile:
        Database._commit_batch = profiled  # type: ignore[method-assign]

    def opens(group: int) -> list[OpenTicket]:
        if args.hot:
            chosen = (accounts[group % len(accounts)] for _ in range(args.batch))
        else:
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
    if args.wal_pages:
        path = Path(str(make_url(url).database))
        with closing(sqlite3.connect(path)) as side:  # the writer is idle between batches
            busy, _, _ = side.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise SystemExit("the WAL could not be emptied: another connection is using it")
        batches = database.batches
        for group in range(args.rounds * args.groups, args.rounds * args.groups + args.wal_pages):
            await asyncio.gather(*(database.write(command) for command in opens(group)))
        print_wal_pages(path, database.batches - batches, args.batch)
    await database.dispose()
    if args.profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


def print_wal_pages(path: Path, batches: int, batch: int) -> None:
    """The frames in the WAL since it was emptied, per b-tree (table or index) and per commit."""
    with closing(sqlite3.connect(path)) as side:
        owner = dict(side.execute("SELECT pageno, name FROM dbstat"))
    wal = Path(f"{path}-wal").read_bytes()
    # WAL format (sqlite.org/fileformat.html): a 32-byte header (page size at 8, salts at 16), then
    # frames of a 24-byte header (page number, commit size, salts) and a page. Only frames with the
    # header's salts belong to the WAL as it is; a commit frame has a non-zero commit size.
    page_size, salts = struct.unpack(">I", wal[8:12])[0], wal[16:24]
    frames: Counter[str] = Counter()
    commits = 0
    for offset in range(32, len(wal) - 24 - page_size + 1, 24 + page_size):
        page, commit = struct.unpack(">II", wal[offset : offset + 8])
        if wal[offset + 8 : offset + 16] != salts:
            break
        frames[owner.get(page, "(freed since)")] += 1
        commits += commit != 0
    if commits == 0:
        raise SystemExit("no commit found in the WAL")
    total = sum(frames.values())
    print(f"\n{commits} commits in the WAL ({batches} batches of {batch} opens queued): ", end="")
    print(f"{total / commits:.1f} pages per commit, {total / commits / batch:.2f} per open, {page_size} bytes each")
    print("| table or index | pages per commit |")
    print("|---|---:|")
    for name, count in frames.most_common():
        print(f"| {name} | {count / commits:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a migrated database (default: a new SQLite file)")
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--batch", type=int, default=16, help="opens queued at once (one batch)")
    parser.add_argument("--groups", type=int, default=30, help="batches per round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--wal-pages", type=int, default=0, metavar="N", help="then N batches: their pages per table (SQLite)"
    )
    parser.add_argument("--hot", action="store_true", help="every open of a batch on one account")
    asyncio.run(main(parser.parse_args()))
