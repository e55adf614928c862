"""`export`: every ledger entry recorded in a period, as NDJSON or CSV (`services.export`, the same
chunked read as `GET /v1/ledger/export`), to stdout or a file."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer

from ..domain.clock import parse_instant, period_error
from ..services.uow import Database
from ..settings import get_settings
from .common import EXIT_USAGE, fail, run


def _instant(name: str, text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError as exc:
        fail(f"--{name} {exc}", EXIT_USAGE)


@contextlib.contextmanager
def _destination(output: Path | None) -> Iterator[TextIO]:
    """stdout, or `output` written whole or not at all: the rows go to a `.partial` file beside it,
    renamed over it only once the export has ended, so a failed export never leaves a file that
    looks complete."""
    if output is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


def export(
    start: Annotated[
        str, typer.Option("--from", help="the period's start, included (RFC 3339 with an offset)", show_default=False)
    ],
    end: Annotated[
        str, typer.Option("--to", help="the period's end, excluded (at most 10 years after --from)", show_default=False)
    ],
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV, one row per posting, instead of NDJSON")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write to this file instead of stdout", dir_okay=False)
    ] = None,
) -> None:
    """Export every ledger entry recorded in [--from, --to), with its postings, oldest first.

    NDJSON: one entry per line, as the API's ledger shows it. CSV (--csv): a header row, then one
    row per posting, the entry's columns repeated on each. The same rows as GET /v1/ledger/export,
    read a chunk at a time, so memory stays constant whatever the period holds. With --output, the
    file appears only once the export is complete.
    """
    from ..services import export as rows

    since, until = _instant("from", start), _instant("to", end)
    error = period_error(since, until)
    if error is not None:
        fail(f"--{error[0]} {error[1]}", EXIT_USAGE)

    async def write(db: Database, out: TextIO) -> int:
        count = 0
        if as_csv:
            out.write(rows.csv_header())
        async for chunk in rows.export_chunks(db, start=since, end=until):
            out.write(rows.csv_rows(chunk) if as_csv else rows.ndjson(chunk))
            count += len(chunk)
        return count

    try:
        with _destination(output) as out:
            count = run(get_settings(), lambda db: write(db, out))
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as a pipeline expects
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    if output is not None:
        typer.echo(f"points-service: {count} entries written to {output}", err=True)
