"""The three-part view as plain rows, and as one CSV document: for the `statement` command and the
pages' download (the same columns and values for both). The document is meant for a spreadsheet: a
text value that one would take for a formula starts with an apostrophe (`spreadsheet.safe_text`).

`statement_rows` turns one read of `queries.statement` (one snapshot, the newest `limit` rows of
each part) into rows; `full_statement` reads every row of every part in one snapshot, a page at a
time, for a download that must hold the whole statement.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from . import queries
from .balance import PendingExpiry
from .spreadsheet import safe_text

STATEMENT_COLUMNS = (
    "part",
    # balance
    "account_id",
    "available",
    "held",
    "deducted",
    "as_of",
    # modification (part 1): a ledger entry; `points` is its signed effect on `available`
    "seq",
    "when",
    "recorded_at",
    "kind",
    "points",
    "reason",
    "pending",
    # tickets (parts 2 and 3)
    "ticket_id",
    "external_ref",
    "category",
    "status",
    "captured_points",
    "charged_points",
    "returned_points",
    "points_taken",
    "opened_at",
    "closed_at",
)
PAGE = 500  # rows of a part read per statement by `full_statement`


@dataclass
class StatementRows:
    """The three-part view of one account, read from one snapshot, as plain values."""

    balance: dict[str, Any]
    modifications: list[dict[str, Any]]
    in_progress: list[dict[str, Any]]
    closed: list[dict[str, Any]]
    more_modifications: bool
    more_in_progress: bool
    more_closed: bool


def modification(row: Any) -> dict[str, Any]:
    """A ledger entry of part 1 (or an expiry due but not yet written), with its signed effect."""
    if isinstance(row, PendingExpiry):
        return {
            "seq": None,
            "when": row.lot.expires_at,
            "recorded_at": None,
            "kind": "expiry",
            "points": -row.points,
            "reason": None,
            "pending": True,
        }
    return {
        "seq": row.seq,
        "when": row.effective_at,
        "recorded_at": row.created_at,
        "kind": row.kind,
        "points": row.available_delta,
        "reason": row.reason,
        "pending": False,
    }


def ticket(t: Any) -> dict[str, Any]:
    return {
        "ticket_id": t.id,
        "external_ref": t.external_ref,
        "category": t.category_code,
        "status": t.status,
        "captured_points": t.captured_points,
        "charged_points": t.charged_points,
        "returned_points": t.returned_points,
        "points_taken": t.charged_points - t.returned_points,
        "opened_at": t.opened_at,
        "closed_at": t.closed_at,
    }


def statement_rows(st: queries.StatementView) -> StatementRows:
    bal = st.balance
    return StatementRows(
        balance={
            "account_id": bal.account_id,
            "available": bal.available,
            "held": bal.held,
            "deducted": bal.deducted,
            "as_of": bal.as_of,
        },
        modifications=[modification(row) for row, _postings in st.modifications.items],
        in_progress=[ticket(t) for t in st.in_progress.items],
        closed=[ticket(t) for t in st.closed.items],
        more_modifications=st.modifications.next_key is not None,
        more_in_progress=st.in_progress.next_key is not None,
        more_closed=st.closed.next_key is not None,
    )


def full_statement(conn: Connection, account_id: str, now: datetime, window: timedelta) -> StatementRows:
    """Every row of the three parts at `now`, from one snapshot (run it in `Database.read`): the
    statement's first pages, then each part continued with the reads its cursors name."""
    st = queries.statement(conn, account_id, now, window, PAGE)
    rows = statement_rows(st)
    ledger = st.modifications
    while ledger.next_key is not None:
        ledger = queries.account_ledger_page(
            conn, account_id, now, kinds=queries.MODIFICATION_KINDS, before_seq=ledger.next_key[0], limit=PAGE
        )
        rows.modifications += [modification(row) for row, _postings in ledger.items]
    for part, statuses, page in (
        (rows.in_progress, queries.IN_PROGRESS, st.in_progress),
        (rows.closed, queries.CLOSED, st.closed),
    ):
        while page.next_key is not None:
            page = queries.tickets_page(
                conn, account_id, statuses=statuses, external_ref=None, after=page.next_key, limit=PAGE
            )
            part += [ticket(t) for t in page.items]
    rows.more_modifications = rows.more_in_progress = rows.more_closed = False
    return rows


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, str):  # text written by people: a reason, a ticket's reference
        return safe_text(value)
    return str(value)


_CLOSED_ONLY = ("status", "charged_points", "returned_points", "points_taken", "closed_at")


def statement_csv(st: StatementRows) -> str:
    """One CSV document: a `part` column (balance, modification, in_progress, closed) on every row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=STATEMENT_COLUMNS)
    writer.writeheader()
    rows = [
        ("balance", st.balance),
        *(("modification", m) for m in st.modifications),
        *(("in_progress", t) for t in st.in_progress),
        *(("closed", t) for t in st.closed),
    ]
    for part, fields in rows:
        if part == "in_progress":  # not charged yet: only what is held now
            fields = {k: v for k, v in fields.items() if k not in _CLOSED_ONLY}
        elif part == "closed":  # nothing is held once closed
            fields = {k: v for k, v in fields.items() if k != "captured_points"}
        writer.writerow({"part": part, **{k: _csv_value(v) for k, v in fields.items()}})
    return out.getvalue()
