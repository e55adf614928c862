"""Finance reads: the finance report (and the expiry forecast), computed by aggregate SQL over the
ledger's postings, then valued and rounded by `domain.finance`.

Entries count when they were recorded (`created_at`): the period is `[from, to)`, the opening
liability is what the service would have answered just before `from` and the closing just before
`to` — available and held points, less the available points of lots already expired then whose
`expiry` entry was not yet written (pending, as every read shows them). Since nothing recorded
before `to` ever changes, a period's report never changes once `to` has passed.

How each posting counts (per lot state; `available` and `held` are the liability):

| posting | figure |
|---|---|
| new lot → `available` (not a `returned` lot) | granted |
| → `deducted` | recognized (by the entry's ticket's category) |
| `deducted` → anything (`reissued` too) | returned (by category) |
| → `expired` | breakage, recorded; plus pending at `to`, less pending at `from` |
| → `revoked`, → `written_off` | revoked, written_off |
| `held` → `reissued` with the new `returned` lot's → `available` | nothing: same cell (account, plan, price) |

A posting out of `expired`, `revoked` or `written_off` (the rules write none) would count negative,
so the identity holds whatever the ledger holds.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, distinct, func, literal, literal_column, select

from ..db import schema as t
from ..domain.finance import (
    FIGURES,
    FORECAST_MAX_MONTHS,
    Cell,
    ForecastRow,
    GroupBy,
    Row,
    forecast_rows,
    month_starts,
    report_rows,
)
from ..domain.money import format_amount
from .spreadsheet import safe_text

_p, _e, _l, _k = t.postings, t.ledger_entries, t.lots, t.tickets
_FROM = bindparam("from_", type_=_e.c.created_at.type)
_TO = bindparam("to", type_=_e.c.created_at.type)
_LIABILITY = ("available", "held")


def _is(column: Any, *states: str) -> Any:
    return case((column.in_(states), 1), else_=0)


def _sum(expression: Any) -> Any:
    return func.coalesce(func.sum(expression), 0)


_points = _p.c.points
_recorded_before_from = _e.c.created_at < _FROM
_in_period = _e.c.created_at >= _FROM
# The change a posting makes to the liability (available + held), and to available points.
_liability_delta = _points * (_is(_p.c.to_state, *_LIABILITY) - _is(_p.c.from_state, *_LIABILITY))
_available_delta = _points * (_is(_p.c.to_state, "available") - _is(_p.c.from_state, "available"))


def _into(state: str) -> Any:
    """Points moved into `state` in the period, less any moved out of it."""
    return _sum(
        case(
            (and_(_in_period, _p.c.to_state == state), _points),
            (and_(_in_period, _p.c.from_state == state), -_points),
            else_=0,
        )
    )


def _when(condition: Any, value: Any) -> Any:
    return _sum(case((condition, value), else_=0))


# One row per cell and ticket category: every posting recorded before `to`, in one scan.
FINANCE_CELLS = (
    select(
        _l.c.unit_currency,
        _l.c.account_id,
        _l.c.basis_plan_code,
        _l.c.unit_price,
        _k.c.category_code,
        _when(_recorded_before_from, _liability_delta).label("opening"),
        _when(and_(_recorded_before_from, _l.c.expires_at < _FROM), _available_delta).label("pending_from"),
        _sum(_liability_delta).label("closing"),
        _when(_l.c.expires_at < _TO, _available_delta).label("pending_to"),
        _when(and_(_in_period, _p.c.from_state.is_(None), _l.c.source != literal("returned")), _points).label(
            "granted"
        ),
        _when(and_(_in_period, _p.c.to_state == "deducted"), _points).label("recognized"),
        _when(and_(_in_period, _p.c.from_state == "deducted"), _points).label("returned"),
        _into("expired").label("expired"),
        _into("revoked").label("revoked"),
        _into("written_off").label("written_off"),
    )
    .select_from(
        _p.join(_e, _e.c.id == _p.c.entry_id).join(_l, _l.c.id == _p.c.lot_id).outerjoin(_k, _k.c.id == _e.c.ticket_id)
    )
    .where(_e.c.created_at < _TO)
    .group_by(_l.c.unit_currency, _l.c.account_id, _l.c.basis_plan_code, _l.c.unit_price, _k.c.category_code)
)


@dataclass(frozen=True)
class FinanceTally:
    from_: datetime
    to: datetime
    group_by: GroupBy | None
    rows: list[Row]


def finance_cells(conn: Connection, from_: datetime, to: datetime) -> list[Cell]:
    """The report's cells in points, from one aggregate statement."""
    cells: dict[tuple[str, str, str | None, str], Cell] = {}
    for row in conn.execute(FINANCE_CELLS, {"from_": from_, "to": to}):
        currency, account_id, plan, price, category = row[:5]
        key = (currency, account_id, plan, price)
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = Cell(currency, account_id, plan, Decimal(price))
        m = row._mapping
        cell.opening += int(m["opening"]) - int(m["pending_from"])
        cell.closing += int(m["closing"]) - int(m["pending_to"])
        cell.granted += int(m["granted"])
        # Pending expiries count as breakage when they fall due, recorded ones when recorded.
        cell.breakage += int(m["expired"]) + int(m["pending_to"]) - int(m["pending_from"])
        cell.revoked += int(m["revoked"])
        cell.written_off += int(m["written_off"])
        recognized, returned = int(m["recognized"]), int(m["returned"])
        if recognized or returned:
            cell.recognized[category] = cell.recognized.get(category, 0) + recognized
            cell.returned[category] = cell.returned.get(category, 0) + returned
    return list(cells.values())


def finance_report(conn: Connection, from_: datetime, to: datetime, group_by: GroupBy | None) -> FinanceTally:
    return FinanceTally(from_, to, group_by, report_rows(finance_cells(conn, from_, to), group_by))


def row_body(row: Row) -> dict[str, Any]:
    """A row as the API and the CLI show it: money as decimal strings with the currency's digits."""
    return {
        "currency": row.currency,
        "account_id": row.account_id,
        "plan": row.plan,
        "category": row.category,
        "points": dict(row.points),
        "money": {figure: format_amount(row.minor[figure], row.currency) for figure in FIGURES},
    }


CSV_GROUP_COLUMN = {GroupBy.ACCOUNT: "account_id", GroupBy.PLAN: "plan", GroupBy.CATEGORY: "category"}


def finance_csv(report: FinanceTally) -> str:
    """One line per row: the currency, the group (when grouped), each figure in points, then in money.
    The group is a client's account id or an admin's code: a spreadsheet must not run it
    (`spreadsheet.safe_text`: `-2-3`, a valid account id, would be shown as -5)."""
    key = [CSV_GROUP_COLUMN[report.group_by]] if report.group_by else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["currency", *key, *(f"{f}_points" for f in FIGURES), *(f"{f}_amount" for f in FIGURES)])
    for row in report.rows:
        body = row_body(row)
        writer.writerow(
            [row.currency, *(safe_text(body[k] or "") for k in key), *body["points"].values(), *body["money"].values()]
        )
    return out.getvalue()


# -- expiry forecast -------------------------------------------------------------------------------

# Month boundaries as parameters (portable: no date functions of either dialect), always all of
# them so the statement is built once; a forecast of fewer months stops at `end`.
_BOUNDS = [bindparam(f"month_{i}", type_=_l.c.expires_at.type) for i in range(1, FORECAST_MAX_MONTHS + 1)]
# The lots whose available points will expire, month by month: available (held points belong to
# open tickets; revoked, expired and deducted ones are in other states), not yet expired (due but
# unwritten expiries are already lost). SPENDABLE_LOT and the range on `expires_at` are the
# partial index `ix_lots_due`.
_FORECAST_LOTS = (
    select(
        _l.c.unit_currency.label("currency"),
        case(
            *((_l.c.expires_at < bound, literal_column(str(i))) for i, bound in enumerate(_BOUNDS)),
            else_=literal_column(str(FORECAST_MAX_MONTHS)),
        ).label("month"),
        _l.c.unit_price,
        _l.c.available,
        _l.c.account_id,
    )
    .where(
        t.SPENDABLE_LOT,
        _l.c.expires_at > bindparam("now", type_=_l.c.expires_at.type),
        _l.c.expires_at < bindparam("end", type_=_l.c.expires_at.type),
    )
    .subquery("due")
)
_due = _FORECAST_LOTS.c
# Points by currency, month and unit price (each price valued exactly in Python), and distinct
# accounts by currency and month: two aggregates over the same range of the index.
FORECAST_POINTS = select(_due.currency, _due.month, _due.unit_price, func.sum(_due.available).label("points")).group_by(
    _due.currency, _due.month, _due.unit_price
)
FORECAST_ACCOUNTS = select(_due.currency, _due.month, func.count(distinct(_due.account_id)).label("accounts")).group_by(
    _due.currency, _due.month
)


@dataclass(frozen=True)
class ForecastTally:
    as_of: datetime
    months: int
    rows: list[ForecastRow]


def expiry_forecast(conn: Connection, now: datetime, months: int) -> ForecastTally:
    """Per currency and calendar month (UTC) from `now`'s, the available points that will expire if
    unused, their value at cost basis and the accounts holding them (`domain.finance.forecast_rows`).
    Run in one snapshot (`Database.read`): its two statements see the same lots."""
    starts = month_starts(now, FORECAST_MAX_MONTHS)
    params: dict[str, Any] = {f"month_{i}": start for i, start in enumerate(starts[1:], 1)}
    params |= {"now": now, "end": starts[months]}
    points = [
        (r.currency, int(r.month), Decimal(r.unit_price), int(r.points))
        for r in conn.execute(FORECAST_POINTS, params).all()
    ]
    accounts = [(r.currency, int(r.month), int(r.accounts)) for r in conn.execute(FORECAST_ACCOUNTS, params).all()]
    return ForecastTally(now, months, forecast_rows(points, accounts, starts[: months + 1]))


def forecast_row_body(row: ForecastRow) -> dict[str, Any]:
    return {
        "currency": row.currency,
        "month": row.month,
        "points": row.points,
        "amount": format_amount(row.minor, row.currency),
        "accounts": row.accounts,
    }


FORECAST_COLUMNS = ("currency", "month", "points", "amount", "accounts")


def forecast_csv(forecast: ForecastTally) -> str:
    """One line per currency and month, zeros included."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FORECAST_COLUMNS)
    for row in forecast.rows:
        body = forecast_row_body(row)
        writer.writerow([body[c] for c in FORECAST_COLUMNS])
    return out.getvalue()
