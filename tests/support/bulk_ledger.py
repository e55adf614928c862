"""A large ledger written straight into a migrated SQLite database, for the export's memory test and
bench/export_memory.py: far faster than through the API, and held to the schema's constraints.

`accounts` accounts, each with one lot; `entries` entries spread over them, one a second from
`start`, each with one posting (`available → held`, or `held → available`, alternately). The
balances are not meant to reconcile (verify would disagree): only the export reads them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

BATCH = 20_000


def _stamp(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")  # db.types.UTCDateTime's format


def fill(path: Path, *, entries: int, start: datetime, accounts: int = 100) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA journal_mode = WAL")
        at = _stamp(start)
        conn.executemany(
            "INSERT INTO accounts (id, metadata, available, held, deducted, last_seq, ledger_at, created_at, "
            "updated_at) VALUES (?, '{}', 0, 0, 0, 0, ?, ?, ?)",
            [(f"bulk-{a}", at, at, at) for a in range(accounts)],
        )
        conn.executemany(
            "INSERT INTO lots (id, account_id, source, points, available, held, deducted, expired, revoked, "
            "written_off, reissued, granted_at, created_at, reason, unit_price, unit_currency) "
            "VALUES (?, ?, 'adjustment', 1000, 1000, 0, 0, 0, 0, 0, 0, ?, ?, 'bulk', '0.0000000000', 'USD')",
            [(f"lot_bulk{a:08d}", f"bulk-{a}", at, at) for a in range(accounts)],
        )

        def rows() -> Iterator[tuple[tuple[object, ...], tuple[object, ...]]]:
            for n in range(entries):
                account, seq = n % accounts, n // accounts + 1
                capture = seq % 2 == 1
                when = _stamp(start + timedelta(seconds=n))
                entry_id = f"le_bulk{n:012d}"
                lot = f"lot_bulk{account:08d}"
                delta = -10 if capture else 10
                yield (
                    (entry_id, f"bulk-{account}", seq, "capture" if capture else "capture_decrease", delta, -delta,
                     0, 990 if capture else 1000, 10 if capture else 0, 0, lot, None, "bulk entry", "bulk", when,
                     when),
                    (entry_id, 0, lot, "available" if capture else "held", "held" if capture else "available", 10,
                     seq, 990 if capture else 1000, 10 if capture else 0),
                )  # fmt: skip

        generated = rows()
        while True:
            batch = [row for _, row in zip(range(BATCH), generated, strict=False)]
            if not batch:
                break
            conn.executemany(
                "INSERT INTO ledger_entries (id, account_id, seq, kind, available_delta, held_delta, deducted_delta, "
                "available_after, held_after, deducted_after, lot_id, ticket_id, reason, actor, created_at, "
                "effective_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [entry for entry, _ in batch],
            )
            conn.executemany(
                "INSERT INTO postings (entry_id, idx, lot_id, from_state, to_state, points, seq, available_after, "
                "held_after, deducted_after, expired_after, revoked_after, written_off_after, reissued_after) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0)",
                [posting for _, posting in batch],
            )
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
