"""The `points-service` command: serve, migrate, keys, expire, purge, verify, statement."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.exc import DBAPIError, OperationalError

from .api.observability import configure_logging
from .domain.clock import SystemClock
from .domain.errors import DomainError
from .services import keys as key_commands
from .services.context import Context
from .services.uow import Database, DatabaseBusyError
from .settings import Settings, get_settings

# Pretty exceptions would print local variables, secrets included: never.
app = typer.Typer(
    help="The support-points ledger service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(
    help="Manage API keys (secrets are printed once, at creation).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(keys_app, name="keys")

T = TypeVar("T")

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE: the database could not be reached


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"points-service: {message}", err=True)
    raise typer.Exit(code)


def _run(settings: Settings, body: Callable[[Database], Awaitable[T]]) -> T:
    """Run `body` against the database, turning failures into one-line errors."""

    async def main() -> T:
        db = Database.from_settings(settings)
        try:
            return await body(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        _fail(exc.detail)
    except DatabaseBusyError as exc:
        cause = exc.__cause__ or exc
        _fail(f"database error: {str(cause).splitlines()[0] if str(cause) else exc.detail}", EXIT_UNAVAILABLE)
    except (OperationalError, DBAPIError, OSError) as exc:
        _fail(f"database error: {str(exc).splitlines()[0]}", EXIT_UNAVAILABLE)
    raise AssertionError("unreachable")


def _migrate(settings: Settings) -> None:
    from .db.migrate import upgrade

    try:
        upgrade(settings.database_url)
    except (OperationalError, DBAPIError, OSError) as exc:
        _fail(f"cannot migrate the database: {str(exc).splitlines()[0]}", EXIT_UNAVAILABLE)


@app.command()
def migrate() -> None:
    """Upgrade the database to the latest schema."""
    settings = get_settings()
    _migrate(settings)
    typer.echo("database is at the latest schema")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes (PostgreSQL only above 1)")] = 1,
) -> None:
    """Migrate if needed, then serve the HTTP API."""
    import uvicorn

    settings = get_settings()
    if settings.is_sqlite and workers > 1:
        _fail("SQLite serves one process: use --workers 1, or PostgreSQL for more", EXIT_USAGE)
    _migrate(settings)
    configure_logging(settings.log_level)
    uvicorn.run(
        "points_service.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        log_config=None,  # ours: JSON lines with the request id
        access_log=False,  # ours names the route and the API key
    )


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, billing, helpdesk or viewer")],
    name: Annotated[str, typer.Option(help="unique name, never reused; shown as the actor")],
    account: Annotated[str | None, typer.Option(help="the account a viewer key is bound to")] = None,
) -> None:
    """Create a key and print its secret, alone on stdout, once."""

    async def body(db: Database) -> str:
        command = key_commands.CreateKey(role=role, name=name, account_id=account, now=SystemClock().now())
        return (await db.write(command)).secret

    typer.echo(_run(get_settings(), body))


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False) -> None:
    """List keys (never their secrets)."""

    async def body(db: Database) -> list[dict[str, str | None]]:
        return [
            {
                "name": k.name,
                "role": k.role,
                "account": k.account_id,
                "created_at": k.created_at.isoformat(),
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in await db.read_single(key_commands.list_keys)
        ]

    for row in _run(get_settings(), body):
        if as_json:
            typer.echo(json.dumps(row))
        else:
            state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
            account = f" account={row['account']}" if row["account"] else ""
            typer.echo(f"{row['name']}\t{row['role']}{account}\t{state}")


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="the key's name")]) -> None:
    """Revoke a key: it answers 401 within a second."""

    async def body(db: Database) -> None:
        await db.write(key_commands.RevokeKey(name=name, now=SystemClock().now()))

    _run(get_settings(), body)
    typer.echo(f"revoked {name}")


@keys_app.command("init")
def keys_init(name: Annotated[str, typer.Option(help="name of the first admin key")] = "admin") -> None:
    """Create an admin key if no active one exists, and print it with an example (for `make run`)."""
    settings = get_settings()
    _migrate(settings)

    async def body(db: Database) -> str | None:
        if await db.read_single(key_commands.has_admin_key):
            return None
        taken = {k.name for k in await db.read_single(key_commands.list_keys)}
        unique = name
        while unique in taken:
            unique = f"{name}-{len(taken)}"
            taken.add(unique)
        return (await db.write(key_commands.CreateKey(role="admin", name=unique, now=SystemClock().now()))).secret

    secret = _run(settings, body)
    if secret is None:
        typer.echo("an admin key exists already (points-service keys list)")
        return
    typer.echo(
        f"Created the admin key (shown only this once):\n\n    {secret}\n\n"
        "Try it:\n\n"
        f"    curl -s -H 'Authorization: Bearer {secret}' http://127.0.0.1:8000/v1/plans\n"
    )


def _system_context() -> Context:
    settings = get_settings()
    return Context(actor="system:expiry", role="system", clock=SystemClock(), return_grace=settings.return_grace)


@app.command()
def expire(account: Annotated[str | None, typer.Option(help="only this account")] = None) -> None:
    """Run the expiry sweep now and print what it expired."""
    from .services.expiry import sweep

    result = _run(get_settings(), lambda db: sweep(db, _system_context(), account_id=account))
    typer.echo(json.dumps(asdict(result)))


@app.command()
def purge() -> None:
    """Delete stored Idempotency-Key responses older than POINTS_IDEMPOTENCY_TTL_HOURS."""
    from .services.idempotency import PurgeResponses

    settings = get_settings()
    before = SystemClock().now() - timedelta(hours=settings.idempotency_ttl_hours)
    purged = _run(settings, lambda db: db.write(PurgeResponses(before=before)))
    typer.echo(json.dumps({"purged_idempotency_keys": purged.responses}))


@app.command()
def verify(account: Annotated[str | None, typer.Option(help="only this account")] = None) -> None:
    """Check the ledger; exit status 1 on any disagreement."""
    from .services.verify import verify as run_verify

    report = _run(get_settings(), lambda db: db.read(run_verify, account_id=account))
    typer.echo(
        json.dumps(
            {
                "ok": report.ok,
                "checked_accounts": report.checked_accounts,
                "checked_lots": report.checked_lots,
                "disagreements": [asdict(d) for d in report.disagreements],
            },
            default=str,
        )
    )
    if not report.ok:
        raise typer.Exit(1)


# --- statement ---------------------------------------------------------------------------------

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
    from .services import queries

    st = await db.read(queries.statement, account_id, now, window, limit)
    bal, ledger, open_, closed = st.balance, st.modifications, st.in_progress, st.closed
    modifications = []
    for row, _postings in ledger.items:
        if isinstance(row, queries.PendingExpiry):
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


def _unwrap(doc: str | None) -> str:
    """A docstring as help text: its paragraphs unwrapped (the help formatter wraps them again)."""
    import inspect

    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


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
    st = _run(settings, lambda db: _read_statement(db, account, SystemClock().now(), window, limit))
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


app.command("statement", help=_unwrap(statement.__doc__))(statement)


def main() -> None:
    app(prog_name="points-service")


if __name__ == "__main__":
    main()
