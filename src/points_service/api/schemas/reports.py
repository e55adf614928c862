"""Finance reports: liability and its movements over a period."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from .common import Amount, Currency, GroupByName, _examples

_ROW = {
    "currency": "USD",
    "account_id": None,
    "plan": None,
    "category": None,
    "points": {
        "opening": 0,
        "granted": 120,
        "recognized": 25,
        "returned": 0,
        "breakage": 0,
        "revoked": 0,
        "written_off": 0,
        "closing": 95,
    },
    "money": {
        "opening": "0.00",
        "granted": "68.50",
        "recognized": "14.27",
        "returned": "0.00",
        "breakage": "0.00",
        "revoked": "0.00",
        "written_off": "0.00",
        "closing": "54.23",
    },
}


class FinancePoints(BaseModel):
    """The report's figures in whole points."""

    model_config = _examples(_ROW["points"])  # type: ignore[arg-type]  # a dict literal's value

    opening: int = Field(description="available or held just before `from` (expired points excluded)")
    granted: int = Field(description="arrived: purchases, license bonuses, imports, positive adjustments")
    recognized: int = Field(description="deducted by resolved tickets: revenue")
    returned: int = Field(description="given back after resolution (refunds, credits): reverses recognized revenue")
    breakage: int = Field(description="expired while available")
    revoked: int = Field(description="revoked because the payment was refunded or charged back")
    written_off: int = Field(description="written off by negative adjustments")
    closing: int = Field(description="available or held just before `to`")


class FinanceMoney(BaseModel):
    """The same figures valued at each point's lot `unit_price`, in the row's currency."""

    model_config = _examples(_ROW["money"])  # type: ignore[arg-type]  # a dict literal's value

    opening: Amount
    granted: Amount
    recognized: Amount
    returned: Amount
    breakage: Amount
    revoked: Amount
    written_off: Amount
    closing: Amount


class FinanceRow(BaseModel):
    """One currency's figures, or one group's with `group_by`. By account and by plan each row keeps
    `closing = opening + granted − recognized + returned − breakage − revoked − written_off`; by
    category only `recognized` and `returned` are split, the rest is in the row whose category is
    null."""

    model_config = _examples(_ROW)

    currency: Currency
    account_id: str | None = Field(description="the account (`group_by=account`); null otherwise")
    plan: str | None = Field(
        description="the plan the points were bought under (`group_by=plan`; a returned lot counts under its "
        "origin's); null for lots without a plan, and when not grouped by plan"
    )
    category: str | None = Field(
        description="the ticket category (`group_by=category`); null for everything but ticket figures"
    )
    points: FinancePoints = Field(description="the figures in whole points")
    money: FinanceMoney = Field(
        description="in minor units: each account's points at one plan and unit price are valued exactly, then "
        "rounded half to even term by term on the running total (docs/design.md), so the identity holds exactly"
    )


class FinanceReport(BaseModel):
    """Points liability over `[from, to)`, per currency, in points and in money. Entries count when
    they were recorded, so a period's report never changes once `to` has passed."""

    model_config = _examples(
        {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z", "group_by": None, "rows": [_ROW]}
    ) | ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: datetime = Field(alias="from", description="start of the period, included (UTC, RFC 3339)")
    to: datetime = Field(description="end of the period, excluded (UTC, RFC 3339)")
    group_by: GroupByName | None = Field(description="how the rows are split; null: one row per currency")
    rows: list[FinanceRow] = Field(description="by currency, then by group (null first)")


_FORECAST_ROW = {"currency": "USD", "month": "2026-11", "points": 95, "amount": "54.23", "accounts": 1}


class ExpiryForecastRow(BaseModel):
    """One currency's points that expire in one calendar month (UTC) if they are not used."""

    model_config = _examples(_FORECAST_ROW)

    currency: Currency
    month: str = Field(
        pattern=r"^[0-9]{4}-[0-9]{2}$",
        description="the calendar month, `YYYY-MM` (UTC); the first one counts from `as_of`",
    )
    points: int = Field(description="available points whose lot expires in the month (held points excluded)")
    amount: Amount = Field(
        description="their value at cost basis (each point at its lot's `unit_price`), summed exactly and rounded "
        "once, half to even, to the currency's minor units"
    )
    accounts: int = Field(description="how many distinct accounts hold these points")


class ExpiryForecast(BaseModel):
    """The available points that will expire if unused, per currency and calendar month (UTC)."""

    model_config = _examples(
        {
            "as_of": "2026-11-26T10:00:00Z",
            "months": 1,
            "rows": [_FORECAST_ROW],
        }
    )

    as_of: datetime = Field(
        description="when the forecast was taken (UTC, RFC 3339); the first month counts from this instant"
    )
    months: int = Field(description="how many calendar months, the current one first")
    rows: list[ExpiryForecastRow] = Field(
        description="by currency, then month: exactly `months` rows for every currency with points to forecast "
        "(months with nothing show zeros); no rows when there are none"
    )
