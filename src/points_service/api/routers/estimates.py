"""The estimate accuracy report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from ...domain.estimates import PLACES, rounded
from ...services.estimates import Figures, estimate_report
from .. import schemas
from ..deps import HELPDESK, Principal, allow, database
from ..periods import From, To, check_period
from ..routing import DeferredJsonRoute

router = APIRouter(prefix="/v1", tags=["reports"], route_class=DeferredJsonRoute)


def _figures(figures: Figures) -> dict[str, Any]:
    mean, stddev = figures.ratios.mean(), figures.ratios.stddev()
    return {
        "tickets": figures.tickets,
        "estimated_points": figures.estimated_points,
        "charged_points": figures.charged_points,
        "returned_points": figures.returned_points,
        "software_bug_refunds": figures.software_bug_refunds,
        "ratio_tickets": figures.ratios.count,
        "ratio_mean": None if mean is None else rounded(mean),
        "ratio_stddev": None if stddev is None else rounded(stddev),
    }


@router.get(
    "/reports/estimates",
    operation_id="get_estimate_report",
    summary="How closed tickets' charges compare with their categories' estimates",
    response_model=schemas.EstimateReport,
)
async def get_estimate_report(
    request: Request,
    principal: Annotated[Principal, Depends(allow(*HELPDESK))],
    start: From,
    end: To,
) -> dict[str, Any]:
    """Per category, the tickets closed (`closed_at`: resolved, or refunded while open or
    waiting) in [`from`, `to`): how many, Σ estimated, Σ charged, Σ returned, how many were
    refunded for a software bug, and the mean and population standard deviation of
    `charged_points ÷ estimated_points`, so the catalogue's prices can be tuned.

    Ratios are exact decimal strings rounded half to even to `decimal_places` (6). Tickets that
    estimated 0 points, and tickets refunded before anything was charged, have no ratio. A ticket
    counts under the category it had when it closed, with the estimate it was opened with; its
    points are as they stand now (a later credit or refund still counts)."""
    check_period(start, end)
    report = await database(request).read_long(estimate_report, start=start, end=end)
    return {
        "from": report.start,
        "to": report.end,
        "decimal_places": PLACES,
        "categories": [{"category": code, **_figures(f)} for code, f in report.categories.items()],
        "total": _figures(report.total),
    }
