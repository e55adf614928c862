"""Finance reports (docs/design.md §13): the finance report and the expiry forecast, in JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from ...domain.finance import FORECAST_MAX_MONTHS, GroupBy
from ...services.reports import (
    expiry_forecast,
    finance_csv,
    finance_report,
    forecast_csv,
    forecast_row_body,
    row_body,
)
from .. import schemas
from ..deps import BILLING, Principal, allow, database
from ..negotiation import qualities
from ..periods import check_period
from ..routing import DeferredJsonRoute

router = APIRouter(prefix="/v1/reports", tags=["reports"], route_class=DeferredJsonRoute)

Billing = Annotated[Principal, Depends(allow(*BILLING))]
CSV = "text/csv"
CSV_EXAMPLE = (
    "currency,opening_points,granted_points,recognized_points,returned_points,breakage_points,revoked_points,"
    "written_off_points,closing_points,opening_amount,granted_amount,recognized_amount,returned_amount,"
    "breakage_amount,revoked_amount,written_off_amount,closing_amount\r\n"
    "USD,0,120,25,0,0,0,0,95,0.00,68.50,14.27,0.00,0.00,0.00,0.00,54.23\r\n"
)


def wants_csv(request: Request) -> bool:
    """`Accept: text/csv` (any parameters; not with q=0) asks for CSV; anything else gets JSON."""
    return qualities(request.headers.get("accept", ""), CSV)[CSV] > 0


@router.get(
    "/finance",
    operation_id="finance_report",
    summary="Points liability and its movements over a period, in points and money",
    response_model=schemas.FinanceReport,
    responses={200: {"content": {CSV: {"schema": {"type": "string"}, "example": CSV_EXAMPLE}}}},
)
async def get_finance_report(
    request: Request,
    principal: Billing,
    from_: Annotated[schemas.Instant, Query(alias="from", description="start of the period, included")],
    to: Annotated[schemas.Instant, Query(description="end of the period, excluded; not in the future")],
    group_by: Annotated[
        schemas.GroupByName | None, Query(description="split the rows by account, plan or ticket category")
    ] = None,
) -> Any:
    """Per currency: `opening` liability (points available or held just before `from`), `granted`,
    `recognized` (deducted by resolutions: revenue), `returned` (given back after resolution),
    `breakage` (expired), `revoked`, `written_off`, and `closing` liability just before `to`, with
    `closing = opening + granted − recognized + returned − breakage − revoked − written_off`
    exactly, in points and in money (points valued at their lot's `unit_price`). Entries count in
    the period in which they were recorded (`created_at`), so a closed period's report never
    changes; a backdated purchase counts when it was recorded. `Accept: text/csv` answers CSV.
    `from` after `to`, `to` in the future or a period over 10 years is a 422."""
    check_period(from_, to, request.app.state.clock.now())
    by = GroupBy(group_by) if group_by else None
    report = await database(request).read_long(finance_report, from_, to, by)
    if wants_csv(request):
        return Response(finance_csv(report), media_type="text/csv; charset=utf-8")
    return {"from": report.from_, "to": report.to, "group_by": group_by, "rows": [row_body(r) for r in report.rows]}


FORECAST_CSV_EXAMPLE = "currency,month,points,amount,accounts\r\nUSD,2026-11,95,54.23,1\r\nUSD,2026-12,0,0.00,0\r\n"


@router.get(
    "/expiry-forecast",
    operation_id="expiry_forecast",
    summary="Points that will expire if unused, per month, in points and money",
    response_model=schemas.ExpiryForecast,
    responses={200: {"content": {CSV: {"schema": {"type": "string"}, "example": FORECAST_CSV_EXAMPLE}}}},
)
async def get_expiry_forecast(
    request: Request,
    principal: Billing,
    months: Annotated[
        int,
        Query(ge=1, le=FORECAST_MAX_MONTHS, description="calendar months to forecast, the current one first"),
    ] = 12,
) -> Any:
    """Per currency and calendar month (UTC), from the current month (counted from now): the
    available points whose lot expires in that month, their value at cost basis (each point at its
    lot's `unit_price`, summed exactly, rounded once half to even to minor units) and how many
    accounts hold them. Held points belong to open tickets and are not forecast; revoked points are
    gone. Points already past their expiry but not yet swept are already lost and not forecast.
    Every currency with points to forecast has exactly `months` rows, months with nothing at zero.
    `Accept: text/csv` answers CSV. `months` outside 1..60 is a 422."""
    forecast = await database(request).read_long(expiry_forecast, request.app.state.clock.now(), months)
    if wants_csv(request):
        return Response(forecast_csv(forecast), media_type="text/csv; charset=utf-8")
    return {"as_of": forecast.as_of, "months": forecast.months, "rows": [forecast_row_body(r) for r in forecast.rows]}
