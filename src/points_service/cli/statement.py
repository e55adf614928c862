"""`statement`: an account's three-part view (from `services.queries.statement`) as text or CSV."""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from ..domain.clock import SystemClock
from ..services.uow import Database
from ..settings import get_settings
from .common import run

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


@dataclass
class _Statement:
    """The three-part view of one account, read from one snapshot, as plain values."""

    balance: dict[str, Any]
    modifications: list[dict[str, Any]]
    in_progress: list[dict[str, Any]]
    closed: list[dict[str, Any]]
    more_modifications: bool
    more_in_progress: bool
    more_closed: bool


async def _read_statement(db: Database, account_id: str, now: datetime, window: timedelta, limit: int) -> _Statement:
    from ..services import queries
    from ..services.balance import PendingExpiry

    st = await db.read(queries.statement, account_id, now, window, limit)
    bal, ledger, open_, closed = st.balance, st.modifications, st.in_progress, st.closed
    modifications = []
    for row, _postings in ledger.items:
        if isinstance(row, PendingExpiry):
            modifications.append(
                {
                    "seq": None,
                    "when": row.lot.expires_at,
                    "recorded_at": None,
                    "kind": "expiry",
                    "points": -row.points,
                    "reason": None,
                    "pending": True,
                }
            )
        else:
            modifications.append(
                {
                    "seq": row.seq,
                    "when": row.effective_at,
                    "recorded_at": row.created_at,
                    "kind": row.kind,
                    "points": row.available_delta,
                    "reason": row.reason,
                    "pending": False,
                }
            )

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

    return _Statement(
        balance={
            "account_id": bal.account_id,
            "available": bal.available,
            "held": bal.held,
            "deducted": bal.deducted,
            "as_of": bal.as_of,
        },
        modifications=modifications,
        in_progress=[ticket(t) for t in open_.items],
        closed=[ticket(t) for t in closed.items],
        more_modifications=ledger.next_key is not None,
        more_in_progress=open_.next_key is not None,
        more_closed=closed.next_key is not None,
    )


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


_CLOSED_ONLY = ("status", "charged_points", "returned_points", "points_taken", "closed_at")


def _statement_csv(st: _Statement) -> str:
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


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]], right: set[int]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: tuple[str, ...]) -> str:
        padded = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=False))]
        return ("  " + "  ".join(padded)).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def _statement_text(st: _Statement, limit: int) -> str:
    b = st.balance
    lines = [f"Account {b['account_id']}, as of {_when(b['as_of'])}", ""]
    lines += _table(
        ("available", "held", "deducted"),
        [(str(b["available"]), str(b["held"]), str(b["deducted"]))],
        right={0, 1, 2},
    )

    def section(
        title: str, headers: tuple[str, ...], rows: list[tuple[str, ...]], right: set[int], more: bool, total: str
    ) -> None:
        lines.extend(["", title])
        if not rows:
            lines.append("  (none)")
            return
        lines.extend(_table(headers, rows, right))
        if more:
            lines.append(f"  … only the newest {limit} are shown; raise --limit for more")
        else:
            lines.append(f"  {total}")

    mods = st.modifications
    section(
        "1. Balance modifications (newest first)",
        ("when", "kind", "points", "reason"),
        [
            (
                _when(m["when"]),
                m["kind"] + (" (pending)" if m["pending"] else ""),
                f"{m['points']:+d}",
                _one_line(m["reason"]),
            )
            for m in mods
        ],
        {2},
        st.more_modifications,
        f"total {sum(m['points'] for m in mods):+d}",
    )
    section(
        "2. Tickets in progress (newest first)",
        ("external_ref", "category", "captured", "opened_at"),
        [(t["external_ref"], t["category"], str(t["captured_points"]), _when(t["opened_at"])) for t in st.in_progress],
        {2},
        st.more_in_progress,
        f"total captured {sum(t['captured_points'] for t in st.in_progress)}",
    )
    section(
        "3. Closed tickets (newest first)",
        ("external_ref", "category", "status", "charged", "returned", "taken", "closed_at"),
        [
            (
                t["external_ref"],
                t["category"],
                t["status"],
                str(t["charged_points"]),
                str(t["returned_points"]),
                str(t["points_taken"]),
                _when(t["closed_at"]),
            )
            for t in st.closed
        ],
        {3, 4, 5},
        st.more_closed,
        f"total taken {sum(t['points_taken'] for t in st.closed)}",
    )
    return "\n".join(lines)


def statement(
    account: Annotated[str, typer.Argument(metavar="ACCOUNT", help="the account id", show_default=False)],
    as_csv: Annotated[
        bool, typer.Option("--csv", help="one CSV document (a `part` column on every row) instead of text")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="at most this many rows in each part (newest first)")] = 50,
) -> None:
    """Print an account's three-part view: balance modifications, tickets in progress, closed tickets.

    The balance (available, held, deducted) comes first. Part 1 lists the ledger entries that
    brought points in or removed them other than through tickets (purchase, license_bonus,
    adjustment, import, expiry, revocation), due expiries not yet written included as
    `pending`; part 2 the open tickets with the points each one holds; part 3 the resolved and
    refunded tickets with what each took for good (charged - returned). Every part comes from
    one consistent snapshot, as of now.

    With --csv, the rows' `part` column is balance, modification, in_progress or closed.
    """
    settings = get_settings()
    window = timedelta(days=settings.expiring_window_days)
    st = run(settings, lambda db: _read_statement(db, account, SystemClock().now(), window, limit))
    if as_csv:
        sys.stdout.write(_statement_csv(st))
        sys.stdout.flush()
        parts = [
            name
            for name, more in (
                ("modification", st.more_modifications),
                ("in_progress", st.more_in_progress),
                ("closed", st.more_closed),
            )
            if more
        ]
        if parts:
            shown = ", ".join(parts)
            typer.echo(f"points-service: only the newest {limit} {shown} rows are included (--limit)", err=True)
    else:
        typer.echo(_statement_text(st, limit))
