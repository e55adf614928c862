"""What the command groups share: one-line failures, running a body against the database, migrating."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer
from sqlalchemy.exc import DBAPIError, OperationalError

from ..db.engine import sqlite_file
from ..domain.clock import SystemClock
from ..domain.errors import DomainError
from ..services.context import Context
from ..services.uow import Database, DatabaseBusyError
from ..settings import Settings, get_settings

T = TypeVar("T")

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE: the database could not be reached


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"points-service: {message}", err=True)
    raise typer.Exit(code)


def require_database(settings: Settings) -> None:
    """Refuse, creating nothing, to work on a SQLite file that does not exist: a command run from
    the wrong directory would otherwise make an empty `var/points.db` there and fail on its tables."""
    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        fail(
            f"no database at {path.absolute()} (POINTS_DATABASE_URL={settings.database_url}; a relative path "
            "is relative to the current directory). Run this where `make run` ran, or set POINTS_DATABASE_URL "
            "to your database; `points-service migrate` creates a new one",
            EXIT_UNAVAILABLE,
        )


def run(settings: Settings, body: Callable[[Database], Awaitable[T]]) -> T:
    """Run `body` against the database (which must exist), turning failures into one-line errors."""
    require_database(settings)

    async def main() -> T:
        db = Database.from_settings(settings)
        try:
            return await body(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        fail(exc.detail)
    except DatabaseBusyError as exc:
        cause = exc.__cause__ or exc
        fail(f"database error: {str(cause).splitlines()[0] if str(cause) else exc.detail}", EXIT_UNAVAILABLE)
    except (OperationalError, DBAPIError, OSError) as exc:
        first_line = str(exc).splitlines()[0]
        if "no such table" in first_line or "UndefinedTable" in first_line:
            fail(f"the database has no schema yet ({first_line}): run `points-service migrate` first", EXIT_UNAVAILABLE)
        fail(f"database error: {first_line}", EXIT_UNAVAILABLE)


def migrate_database(settings: Settings) -> None:
    from ..db.migrate import upgrade

    try:
        upgrade(settings.database_url)
    except (OperationalError, DBAPIError, OSError) as exc:
        fail(f"cannot migrate the database: {str(exc).splitlines()[0]}", EXIT_UNAVAILABLE)


def system_context() -> Context:
    from ..services.housekeeping import system_context as of_settings

    return of_settings(get_settings(), SystemClock())


def unwrap(doc: str | None) -> str:
    """A docstring as help text: its paragraphs unwrapped (the help formatter wraps them again)."""
    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)
