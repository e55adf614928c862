"""`report finance` and `report expiry-forecast` (`services.reports`), as text or CSV."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer

from ..domain.clock import SystemClock, parse_instant, period_error
from ..domain.finance import FIGURES, FORECAST_MAX_MONTHS, GroupBy
from ..services.reports import (
    CSV_GROUP_COLUMN,
    FinanceTally,
    ForecastTally,
    expiry_forecast,
    finance_csv,
    finance_report,
    forecast_csv,
    forecast_row_body,
    row_body,
)
from ..settings import get_settings
from .common import EXIT_USAGE, fail, run

app = typer.Typer(help="Finance reports.", no_args_is_help=True)


def _instant(value: str, option: str) -> datetime:
    try:
        return parse_instant(value)
    except ValueError as exc:
        fail(f"{option}: {exc}", EXIT_USAGE)


def _text(report: FinanceTally) -> str:
    by = report.group_by
    lines = [f"Finance report from {report.from_.isoformat()} to {report.to.isoformat()} (to excluded)"]
    if not report.rows:
        lines.append("  (nothing recorded)")
    for row in report.rows:
        body = row_body(row)
        title = row.currency if by is None else f"{row.currency}, {by.value} {body[CSV_GROUP_COLUMN[by]] or '(none)'}"
        lines += ["", title, f"  {'':<12}{'points':>14}{'amount':>20}"]
        lines += [f"  {f:<12}{body['points'][f]:>14}{body['money'][f]:>20}" for f in FIGURES]
    return "\n".join(lines)


@app.command()
def finance(
    from_: Annotated[str, typer.Option("--from", help="start of the period, included (RFC 3339 with an offset)")],
    to: Annotated[str, typer.Option("--to", help="end of the period, excluded; not in the future")],
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV, as GET /v1/reports/finance answers it")] = False,
    group_by: Annotated[GroupBy | None, typer.Option("--group-by", help="split by account, plan or category")] = None,
) -> None:
    """Print the finance report: per currency, the opening liability, granted, recognized,
    returned, breakage, revoked, written off and the closing liability, in points and in money.

    Entries count in the period in which they were recorded, so a closed period's report never
    changes. Exactly what GET /v1/reports/finance answers.
    """
    start, end = _instant(from_, "--from"), _instant(to, "--to")
    wrong = period_error(start, end, SystemClock().now())
    if wrong is not None:
        fail(f"--{wrong[0]}: {wrong[1]}", EXIT_USAGE)
    report = run(get_settings(), lambda db: db.read_long(finance_report, start, end, group_by))
    if as_csv:
        sys.stdout.write(finance_csv(report))
        sys.stdout.flush()
    else:
        typer.echo(_text(report))


def _forecast_text(forecast: ForecastTally) -> str:
    lines = [f"Expiry forecast for {forecast.months} months from {forecast.as_of.isoformat()} (available points)"]
    if not forecast.rows:
        lines.append("  (nothing expires)")
    currency = None
    for row in forecast.rows:
        if row.currency != currency:
            currency = row.currency
            lines += ["", currency, f"  {'month':<10}{'points':>14}{'amount':>20}{'accounts':>10}"]
        body = forecast_row_body(row)
        lines.append(f"  {body['month']:<10}{body['points']:>14}{body['amount']:>20}{body['accounts']:>10}")
    return "\n".join(lines)


@app.command("expiry-forecast")
def expiry_forecast_command(
    months: Annotated[
        int, typer.Option("--months", min=1, max=FORECAST_MAX_MONTHS, help="calendar months, the current one first")
    ] = 12,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV, as GET /v1/reports/expiry-forecast answers it")] = False,
) -> None:
    """Print the expiry forecast: per currency and calendar month (UTC), the available points that
    will expire if unused, their value at cost basis and the accounts holding them.

    Held points and points already past their expiry are not forecast. Every currency with points
    to forecast has one line per month, zeros included. Exactly what GET
    /v1/reports/expiry-forecast answers.
    """
    now = SystemClock().now()
    forecast = run(get_settings(), lambda db: db.read_long(expiry_forecast, now, months))
    if as_csv:
        sys.stdout.write(forecast_csv(forecast))
        sys.stdout.flush()
    else:
        typer.echo(_forecast_text(forecast))
