"""`keys`: create, list, revoke API keys, and `keys init` for the first admin key."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..domain.clock import SystemClock
from ..services import keys as key_commands
from ..services.uow import Database
from ..settings import get_settings
from .common import migrate_database, run

app = typer.Typer(
    help="Manage API keys (secrets are printed once, at creation).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, billing, helpdesk or viewer")],
    name: Annotated[str, typer.Option(help="unique name, never reused; shown as the actor")],
    account: Annotated[str | None, typer.Option(help="the account a viewer key is bound to")] = None,
) -> None:
    """Create a key and print its secret, alone on stdout, once."""

    async def body(db: Database) -> str:
        command = key_commands.CreateKey(role=role, name=name, account_id=account, now=SystemClock().now())
        return (await db.write(command)).secret

    typer.echo(run(get_settings(), body))


@app.command("list")
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

    for row in run(get_settings(), body):
        if as_json:
            typer.echo(json.dumps(row))
        else:
            state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
            account = f" account={row['account']}" if row["account"] else ""
            typer.echo(f"{row['name']}\t{row['role']}{account}\t{state}")


@app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="the key's name")]) -> None:
    """Revoke a key: it answers 401 within a second."""

    async def body(db: Database) -> None:
        await db.write(key_commands.RevokeKey(name=name, now=SystemClock().now()))

    run(get_settings(), body)
    typer.echo(f"revoked {name}")


def _free_name(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`… : the first one no key has had (names are never reused)."""
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{name}-{n}"
    return unique


def _program() -> str:
    """How this command was invoked, as the user can type it again here (`.venv/bin/points-service`)."""
    invoked = Path(sys.argv[0]).absolute()
    return str(invoked.relative_to(Path.cwd())) if invoked.is_relative_to(Path.cwd()) else str(invoked)


@app.command("init")
def keys_init(
    name: Annotated[str, typer.Option(help="name of the first admin key")] = "admin",
    url: Annotated[str, typer.Option(help="the service's address, for the example printed")] = "http://127.0.0.1:8000",
) -> None:
    """Create an admin key if no active one exists, and print it with an example (for `make run`).

    When one exists, say how to make another (keys are shown only once)."""
    settings = get_settings()
    migrate_database(settings)

    async def body(db: Database) -> tuple[str | None, str]:
        taken = {k.name for k in await db.read_single(key_commands.list_keys)}
        if await db.read_single(key_commands.has_admin_key):
            return None, _free_name(name, taken)
        unique = _free_name(name, taken)
        created = await db.write(key_commands.CreateKey(role="admin", name=unique, now=SystemClock().now()))
        return created.secret, unique

    secret, free = run(settings, body)
    if secret is None:
        typer.echo(
            "An admin key exists already (keys are shown only once). If it is lost, make another here:\n\n"
            f"    {_program()} keys create --role admin --name {free}\n\n"
            "then revoke the lost one (`keys list` shows the names, `keys revoke NAME` revokes).\n"
        )
        return
    typer.echo(
        f"Created the admin key {free!r} (shown only this once):\n\n    {secret}\n\n"
        "Try it:\n\n"
        f"    curl -s -H 'Authorization: Bearer {secret}' {url.rstrip('/')}/v1/plans\n"
    )
