"""The `points-service` command: serve, migrate, keys, expire, purge, verify, statement, report, export.

One module per command group (`serve`, `keys`, `maintenance`, `statement`, `report`, `export`), what they share in
`common`; this module builds the typer app from them, in the order `--help` lists them.
"""

from __future__ import annotations

import typer

from . import export, keys, maintenance, report, serve, statement
from .common import unwrap

# Pretty exceptions would print local variables, secrets included: never.
app = typer.Typer(
    help="The support-points ledger service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(keys.app, name="keys")
app.command()(serve.migrate)
app.command()(serve.serve)
app.command()(maintenance.expire)
app.command()(maintenance.purge)
app.command()(maintenance.verify)
app.command("statement", help=unwrap(statement.statement.__doc__))(statement.statement)
app.add_typer(report.app, name="report")
app.command("export", help=unwrap(export.export.__doc__))(export.export)


def main() -> None:
    app(prog_name="points-service")
