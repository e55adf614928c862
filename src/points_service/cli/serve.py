"""`serve` and `migrate`: run the HTTP API, bring the database to the latest schema."""

from __future__ import annotations

from typing import Annotated

import typer

from ..api.observability import configure_logging
from ..settings import get_settings
from .common import EXIT_USAGE, fail, migrate_database


def migrate() -> None:
    """Upgrade the database to the latest schema."""
    settings = get_settings()
    migrate_database(settings)
    typer.echo("database is at the latest schema")


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes (PostgreSQL only above 1)")] = 1,
) -> None:
    """Migrate if needed, then serve the HTTP API."""
    import uvicorn

    from ..api.protocol import BoundedHttpToolsProtocol

    settings = get_settings()
    if settings.is_sqlite and workers > 1:
        fail("SQLite serves one process: use --workers 1, or PostgreSQL for more", EXIT_USAGE)
    migrate_database(settings)
    configure_logging(settings.log_level)
    uvicorn.run(
        "points_service.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=BoundedHttpToolsProtocol,  # httptools, reading at most 64 KiB of a request's head
        log_level=settings.log_level.lower(),
        log_config=None,  # ours: JSON lines with the request id
        access_log=False,  # ours names the route and the API key
    )
