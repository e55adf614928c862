"""The ledger export: every account's entries recorded in a period, with their postings, a chunk at
a time, as NDJSON lines or CSV rows.

Memory stays constant whatever the period holds. The entries are read in keyset chunks of
`CHUNK` entries in (`created_at`, `id`) order, the order of `ix_ledger_entries_created_at`: each
chunk is one short read on a reader thread (its own snapshot: the entries and then their
postings), so an export never holds a reader, a snapshot or more than one chunk for long, and
the caller asks for the next chunk only once it has passed the last one on. Entries are never
changed or deleted, so chunks read at different instants still fit together: an export of a
period that has ended is complete and the same every time; in a period still running, entries
committed during the export appear when they sort after the chunk being read.

The rows (README "Exporting the ledger"):

* NDJSON: one ledger entry per line, exactly as `GET /v1/accounts/{id}/ledger` shows it
  (`pending` is always false: an export holds recorded entries only).
* CSV: one row per posting, the entry's columns repeated on each of its rows, then the
  posting's `posting_idx`, `lot_id_posted`, `from_state`, `to_state`, `points`, then the entry's
  columns added since (`dispute_id`): last, so that a reader by position keeps working. An empty
  cell is null (no text column can hold an empty string). Timestamps are RFC 3339 in UTC, as in JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, tuple_

from ..db import schema as t
from ..db.records import SELECT, Entry
from .events import instant_text
from .present import entry as present_entry
from .queries import postings_of
from .uow import Database

CHUNK = 1000  # entries per read: what an export holds at most, with their postings and their text

_entries = t.ledger_entries.c
_at = bindparam("start", type_=_entries.created_at.type), bindparam("end", type_=_entries.created_at.type)
_IN_PERIOD = (_entries.created_at >= _at[0], _entries.created_at < _at[1])
_ORDER = (_entries.created_at, _entries.id)
_AFTER = tuple_(bindparam("after_at", type_=_entries.created_at.type), bindparam("after_id"))
ENTRIES_FROM = SELECT[Entry].where(*_IN_PERIOD).order_by(*_ORDER).limit(bindparam("limit"))
# After the first chunk the keyset alone bounds the range from below (it is within the period): with
# `created_at >= start` beside it, SQLite would walk the index from `start` again for every chunk.
ENTRIES_AFTER = SELECT[Entry].where(_IN_PERIOD[1], tuple_(*_ORDER) > _AFTER).order_by(*_ORDER).limit(bindparam("limit"))

EntryWithPostings = tuple[Entry, list[dict[str, Any]]]


@dataclass
class Chunk:
    entries: list[EntryWithPostings]
    last: tuple[datetime, str] | None  # the key to continue after; None: the period holds no more


def read_chunk(
    conn: Connection, *, start: datetime, end: datetime, after: tuple[datetime, str] | None, limit: int
) -> Chunk:
    """Up to `limit` entries recorded in [start, end) after the key `after`, with their postings."""
    params: dict[str, Any] = {"end": end, "limit": limit}
    if after is None:
        params["start"] = start
    else:
        params["after_at"], params["after_id"] = after
    rows = conn.execute(ENTRIES_FROM if after is None else ENTRIES_AFTER, params)
    entries = [Entry(*row) for row in rows]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    postings = postings_of(conn, [e.id for e in entries])
    last = (entries[-1].created_at, entries[-1].id) if len(entries) == limit else None
    return Chunk([(e, postings.get(e.id, [])) for e in entries], last)


async def export_chunks(
    db: Database, *, start: datetime, end: datetime, chunk: int | None = None
) -> AsyncGenerator[list[EntryWithPostings]]:
    """The entries recorded in [start, end), oldest first (by `created_at`, then id), a chunk at a
    time; the next chunk is read only when the caller asks for it. A period without entries
    yields one empty chunk (so the first read, and any error it meets, comes with the first ask)."""
    after: tuple[datetime, str] | None = None
    limit = chunk or CHUNK
    while True:
        read = await db.read_long(read_chunk, start=start, end=end, after=after, limit=limit)
        yield read.entries
        if read.last is None:
            return
        after = read.last


# -- the rows ------------------------------------------------------------------------------------------


def entry_view(entry: Entry, postings: list[dict[str, Any]]) -> dict[str, Any]:
    """The entry as the ledger endpoints show it, with its timestamps as the API writes them."""
    view = present_entry(entry, postings)
    view["created_at"] = instant_text(entry.created_at)
    view["effective_at"] = instant_text(entry.effective_at)
    return view


def ndjson(entries: Sequence[EntryWithPostings]) -> str:
    """One JSON object per entry, each on its own line (ending with a newline)."""
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    return "".join(dumps(entry_view(entry, postings)) + "\n" for entry, postings in entries)


ENTRY_HEAD = (
    "id",
    "seq",
    "account_id",
    "kind",
    "available_delta",
    "held_delta",
    "deducted_delta",
    "available_after",
    "held_after",
    "deducted_after",
    "lot_id",
    "ticket_id",
    "reason",
    "actor",
    "created_at",
    "effective_at",
)
# A posting's columns; its lot is `lot_id_posted` (the entry's own `lot_id` is the one lot involved,
# when exactly one is).
POSTING_COLUMNS = ("posting_idx", "lot_id_posted", "from_state", "to_state", "points")
# The entry's columns added since the export was first published: after the posting's, so that the
# columns a reader by position knows stay where they were.
ENTRY_TAIL = ("dispute_id",)
ENTRY_COLUMNS = (*ENTRY_HEAD, *ENTRY_TAIL)
CSV_COLUMNS = (*ENTRY_HEAD, *POSTING_COLUMNS, *ENTRY_TAIL)


def _cell(value: Any) -> Any:
    return "" if value is None else value


def csv_header() -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(CSV_COLUMNS)
    return out.getvalue()


def csv_rows(entries: Sequence[EntryWithPostings]) -> str:
    """One row per posting (RFC 4180: CRLF line ends, quotes where needed); an entry without
    postings, which the ledger never writes, would still get one row, its posting cells empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for entry, postings in entries:
        view = entry_view(entry, postings)
        head = [_cell(view[name]) for name in ENTRY_HEAD]
        tail = [_cell(view[name]) for name in ENTRY_TAIL]
        if not postings:
            writer.writerow([*head, "", "", "", "", "", *tail])
        for idx, posting in enumerate(postings):
            writer.writerow(
                [
                    *head,
                    idx,
                    posting["lot_id"],
                    _cell(posting["from_state"]),
                    posting["to_state"],
                    posting["points"],
                    *tail,
                ]
            )
    return out.getvalue()
