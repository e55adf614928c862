"""`statement`: an account's three-part view (from `services.queries.statement`) as text or CSV."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from ..domain.clock import SystemClock
from ..services import queries
from ..services.statement_rows import StatementRows, statement_csv, statement_rows
from ..services.uow import Database
from ..settings import get_settings
from .common import run


async def _read_statement(db: Database, account_id: str, now: datetime, window: timedelta, limit: int) -> StatementRows:
    return statement_rows(await db.read(queries.statement, account_id, now, window, limit))


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


def _statement_text(st: StatementRows, limit: int) -> str:
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
        sys.stdout.write(statement_csv(st))
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
