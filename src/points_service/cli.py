"""The `points-service` command: serve, migrate, keys, expire, verify."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, TypeVar

import typer
from sqlalchemy.exc import DBAPIError, OperationalError

from .api.observability import configure_logging
from .db.engine import create_engine
from .domain.clock import SystemClock
from .domain.errors import DomainError
from .services import keys as key_commands
from .services.context import Context
from .services.uow import Database
from .settings import Settings, get_settings

# Pretty exceptions would print local variables, secrets included: never.
app = typer.Typer(
    help="The support-points ledger service.", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
)
keys_app = typer.Typer(
    help="Manage API keys (secrets are printed once, at creation).", no_args_is_help=True, pretty_exceptions_enable=False
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
        db = Database(create_engine(settings))
        try:
            return await body(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        _fail(exc.detail)
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
        _, secret = await db.write(key_commands.create_key, role=role, name=name, account_id=account, now=SystemClock().now())
        return secret

    typer.echo(_run(get_settings(), body))


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False) -> None:
    """List keys (never their secrets)."""

    async def body(db: Database) -> list[dict[str, str | None]]:
        async with db.snapshot() as session:
            return [
                {
                    "name": k.name,
                    "role": k.role,
                    "account": k.account_id,
                    "created_at": k.created_at.isoformat(),
                    "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                }
                for k in await key_commands.list_keys(session)
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
        await db.write(key_commands.revoke_key, name=name, now=SystemClock().now())

    _run(get_settings(), body)
    typer.echo(f"revoked {name}")


@keys_app.command("init")
def keys_init(name: Annotated[str, typer.Option(help="name of the first admin key")] = "admin") -> None:
    """Create an admin key if no active one exists, and print it with an example (for `make run`)."""
    settings = get_settings()
    _migrate(settings)

    async def body(db: Database) -> str | None:
        async with db.snapshot() as session:
            if await key_commands.has_admin_key(session):
                return None
            taken = {k.name for k in await key_commands.list_keys(session)}
        unique = name
        while unique in taken:
            unique = f"{name}-{len(taken)}"
            taken.add(unique)
        _, secret = await db.write(key_commands.create_key, role="admin", name=unique, now=SystemClock().now())
        return secret

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
    from datetime import timedelta

    from .services.idempotency import purge_idempotency_keys

    settings = get_settings()
    before = SystemClock().now() - timedelta(hours=settings.idempotency_ttl_hours)
    deleted = _run(settings, lambda db: db.write(purge_idempotency_keys, before=before))
    typer.echo(json.dumps({"purged_idempotency_keys": deleted}))


@app.command()
def verify(account: Annotated[str | None, typer.Option(help="only this account")] = None) -> None:
    """Check the ledger; exit status 1 on any disagreement."""
    from .services.verify import verify as run_verify

    async def body(db: Database) -> object:
        async with db.snapshot() as session:
            return await run_verify(session, account_id=account)

    report = _run(get_settings(), body)
    typer.echo(
        json.dumps(
            {
                "ok": report.ok,  # type: ignore[attr-defined]
                "checked_accounts": report.checked_accounts,  # type: ignore[attr-defined]
                "checked_lots": report.checked_lots,  # type: ignore[attr-defined]
                "disagreements": [asdict(d) for d in report.disagreements],  # type: ignore[attr-defined]
            },
            default=str,
        )
    )
    if not report.ok:  # type: ignore[attr-defined]
        raise typer.Exit(1)


def main() -> None:
    app(prog_name="points-service")


if __name__ == "__main__":
    sys.exit(main())
