"""The finance report: points liability and its movements over a period, in points and in money;
and the expiry forecast (at the end).

A *cell* is the finest unit the report is computed in: the points of one account, bought under
one plan (a returned lot counts under its origin's; NULL for lots without a plan), at one unit
price in one currency. Every point of a cell has the same value, so its figures in money are its
figures in points times the unit price, exactly. The identity

    closing = opening + granted − recognized + returned − breakage − revoked − written_off

holds exactly in each cell's points, hence exactly in its money before rounding.

**Rounding** (the only place report figures are rounded): each cell's money is presented in minor
units by *sequential rounding* — the exact running total of the identity's terms, taken in the
order above (recognized and returned split by ticket category, categories in code order), is
rounded half to even after each term, and each term is the difference of two consecutive rounded
totals. So in every cell `opening` and `closing` are the rounded exact liability at `from` and
`to` (a period's closing is the next one's opening), every term is within one minor unit of its
exact value, and the identity holds exactly in minor units. Grouped and ungrouped reports are sums
of the same rounded cells, so the rows of a grouped report add up to the ungrouped report exactly,
and a period's report depends only on what was recorded before its `to`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from .money import exact_sum, to_minor, value_of

FIGURES = ("opening", "granted", "recognized", "returned", "breakage", "revoked", "written_off", "closing")
# The sign of each term in the identity; `closing` is what they add up to.
_SIGNS = {"granted": 1, "recognized": -1, "returned": 1, "breakage": -1, "revoked": -1, "written_off": -1}


class GroupBy(enum.StrEnum):
    ACCOUNT = "account"
    PLAN = "plan"
    CATEGORY = "category"


@dataclass
class Cell:
    """One cell's figures in points. `recognized` and `returned` are split by ticket category."""

    currency: str
    account_id: str
    plan: str | None
    unit_price: Decimal
    opening: int = 0
    granted: int = 0
    breakage: int = 0
    revoked: int = 0
    written_off: int = 0
    closing: int = 0
    recognized: dict[str | None, int] = field(default_factory=dict)  # by category (None: no ticket)
    returned: dict[str | None, int] = field(default_factory=dict)

    def check(self) -> None:
        moved = (
            self.granted
            - sum(self.recognized.values())
            + sum(self.returned.values())
            - self.breakage
            - self.revoked
            - self.written_off
        )
        if self.opening + moved != self.closing:
            raise AssertionError(f"the finance identity does not hold for {self}")


@dataclass
class Row:
    """One row of the report: figures in points and in minor units of `currency`."""

    currency: str
    account_id: str | None = None
    plan: str | None = None
    category: str | None = None
    points: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    minor: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))

    @property
    def empty(self) -> bool:
        return not any(self.points.values()) and not any(self.minor.values())


def _nulls_first(key: str | None) -> tuple[bool, str]:
    return (key is not None, key or "")


def _terms(cell: Cell) -> list[tuple[str, str | None, int]]:
    """(figure, category, points) in the order sequential rounding takes them."""
    return [
        ("granted", None, cell.granted),
        *(("recognized", c, cell.recognized[c]) for c in sorted(cell.recognized, key=_nulls_first)),
        *(("returned", c, cell.returned[c]) for c in sorted(cell.returned, key=_nulls_first)),
        ("breakage", None, cell.breakage),
        ("revoked", None, cell.revoked),
        ("written_off", None, cell.written_off),
    ]


def cell_rows(cell: Cell) -> list[Row]:
    """A cell's figures valued and rounded: one row for its category-free figures, and one per
    ticket category for its `recognized` and `returned`."""
    cell.check()
    base = Row(cell.currency, cell.account_id, cell.plan)
    by_category: dict[str, Row] = {}
    exact = value_of(cell.opening, cell.unit_price)
    shown = to_minor(exact, cell.currency)
    base.points["opening"], base.minor["opening"] = cell.opening, shown
    for figure, category, points in _terms(cell):
        sign = _SIGNS[figure]
        exact += sign * value_of(points, cell.unit_price)
        rounded = to_minor(exact, cell.currency)
        row = base
        if category is not None:
            row = by_category.setdefault(category, Row(cell.currency, cell.account_id, cell.plan, category))
        row.points[figure] += points
        row.minor[figure] += sign * (rounded - shown)
        shown = rounded
    base.points["closing"], base.minor["closing"] = cell.closing, shown
    return [base, *by_category.values()]


def report_rows(cells: Iterable[Cell], group_by: GroupBy | None) -> list[Row]:
    """The report's rows, per currency and, when grouped, per account, plan or category; rows
    with nothing in them are left out. Ordered by currency, then key (null first)."""
    rows: dict[tuple[str, str | None], Row] = {}
    for cell in cells:
        for part in cell_rows(cell):
            key: str | None = None
            if group_by is GroupBy.ACCOUNT:
                key = part.account_id
            elif group_by is GroupBy.PLAN:
                key = part.plan
            elif group_by is GroupBy.CATEGORY:
                key = part.category
            row = rows.get((part.currency, key))
            if row is None:
                row = rows[(part.currency, key)] = Row(
                    part.currency,
                    account_id=key if group_by is GroupBy.ACCOUNT else None,
                    plan=key if group_by is GroupBy.PLAN else None,
                    category=key if group_by is GroupBy.CATEGORY else None,
                )
            for figure in FIGURES:
                row.points[figure] += part.points[figure]
                row.minor[figure] += part.minor[figure]
    kept = [row for row in rows.values() if not row.empty]
    return sorted(kept, key=lambda r: (r.currency, *_nulls_first(_key_of(r, group_by))))


def _key_of(row: Row, group_by: GroupBy | None) -> str | None:
    if group_by is GroupBy.ACCOUNT:
        return row.account_id
    if group_by is GroupBy.PLAN:
        return row.plan
    if group_by is GroupBy.CATEGORY:
        return row.category
    return None


def identity_holds(row: Row) -> bool:
    """closing = opening + granted − recognized + returned − breakage − revoked − written_off, in
    points and in minor units."""
    return all(
        figures["closing"] == figures["opening"] + sum(sign * figures[name] for name, sign in _SIGNS.items())
        for figures in (row.points, row.minor)
    )


# -- expiry forecast -------------------------------------------------------------------------------

FORECAST_MAX_MONTHS = 60


def month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instant (UTC) of the current calendar month and of each of the `months` after it:
    `months + 1` boundaries, the last one the end of the forecast."""
    first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return [
        first.replace(year=first.year + (first.month - 1 + i) // 12, month=(first.month - 1 + i) % 12 + 1)
        for i in range(months + 1)
    ]


@dataclass
class ForecastRow:
    """The available points of one currency that expire in one month if unused, their value at
    cost basis in minor units, and how many accounts hold them."""

    currency: str
    month: str  # "YYYY-MM" (UTC)
    points: int = 0
    minor: int = 0
    accounts: int = 0


def forecast_rows(
    amounts: Iterable[tuple[str, int, Decimal, int]],
    accounts: Iterable[tuple[str, int, int]],
    starts: list[datetime],
) -> list[ForecastRow]:
    """`amounts`: (currency, month index, unit price, points); `accounts`: (currency, month index,
    distinct accounts); `starts`: from `month_starts`. Every currency that has points to forecast
    gets one row per month, zeros included, ordered by currency then month. Each month's value is
    the exact sum of points × unit price, rounded once, half to even, to minor units."""
    months = [f"{start.year:04d}-{start.month:02d}" for start in starts[:-1]]
    values: dict[str, list[list[Decimal]]] = {}
    rows: dict[str, list[ForecastRow]] = {}

    def of(currency: str) -> list[ForecastRow]:
        if currency not in rows:
            rows[currency] = [ForecastRow(currency, month) for month in months]
            values[currency] = [[] for _ in months]
        return rows[currency]

    for currency, index, price, points in amounts:
        of(currency)[index].points += points
        values[currency][index].append(value_of(points, price))
    for currency, index, count in accounts:
        of(currency)[index].accounts += count
    for currency, by_month in values.items():
        for row, month_values in zip(rows[currency], by_month, strict=True):
            row.minor = to_minor(exact_sum(month_values), currency)
    return [row for currency in sorted(rows) for row in rows[currency]]
