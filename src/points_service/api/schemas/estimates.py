"""The estimate accuracy report (docs/design.md §14)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ...domain.estimates import PLACES
from .common import _examples

RATIO_PATTERN = rf"^[0-9]+\.[0-9]{{{PLACES}}}$"
Ratio = Annotated[
    str,
    Field(
        pattern=RATIO_PATTERN,
        examples=["1.250000"],
        description=f"an exact decimal string with exactly {PLACES} places (rounded half to even), as money is "
        "written: never a JSON number",
    ),
]

_STORE_PROBLEM = {
    "category": "store-problem",
    "tickets": 4,
    "estimated_points": 100,
    "charged_points": 125,
    "returned_points": 25,
    "software_bug_refunds": 1,
    "ratio_tickets": 4,
    "ratio_mean": "1.250000",
    "ratio_stddev": "0.433013",
}
_GENERAL_QUESTION = {
    "category": "general-question",
    "tickets": 2,
    "estimated_points": 0,
    "charged_points": 0,
    "returned_points": 0,
    "software_bug_refunds": 0,
    "ratio_tickets": 0,
    "ratio_mean": None,
    "ratio_stddev": None,
}
_TOTAL = {**{k: v for k, v in _STORE_PROBLEM.items() if k != "category"}, "tickets": 6}


class EstimateFigures(BaseModel):
    """Tickets closed in the period and how far their charges strayed from their estimates.

    The ratio of a ticket is `charged_points ÷ estimated_points`; tickets that estimated 0 points,
    and tickets refunded before anything was charged (they waited for points, or held none), have
    none. The spread is the population standard deviation."""

    model_config = _examples(_TOTAL)

    tickets: int = Field(description="tickets closed in the period (resolved, or refunded while open or waiting)")
    estimated_points: int = Field(description="Σ `estimated_points`: what their categories priced them at opening")
    charged_points: int = Field(description="Σ `charged_points`: what they held when they left `open`")
    returned_points: int = Field(
        description="Σ `returned_points`: what they gave back after leaving `open` (refunds, credits), as of now"
    )
    software_bug_refunds: int = Field(description="how many of them were refunded for a software bug (as of now)")
    ratio_tickets: int = Field(description="how many of them have a ratio (estimated above 0, something charged)")
    ratio_mean: Ratio | None = Field(description="the mean of their ratios; null when none has one")
    ratio_stddev: Ratio | None = Field(
        description="the population standard deviation of their ratios, √(Σ(r − mean)² / n); null when none has one"
    )


class CategoryEstimates(EstimateFigures):
    """One category's closed tickets (a ticket counts under the category it had when it closed)."""

    model_config = _examples(_STORE_PROBLEM, _GENERAL_QUESTION)

    category: str = Field(description="the category's code")


_REPORT = {
    "from": "2026-10-01T00:00:00Z",
    "to": "2026-11-01T00:00:00Z",
    "decimal_places": PLACES,
    "categories": [_GENERAL_QUESTION, _STORE_PROBLEM],
    "total": _TOTAL,
}


class EstimateReport(BaseModel):
    """Per category, the tickets closed in [from, to) and how their charges compare with their
    estimates; figures as they stand now (a later credit still counts)."""

    model_config = ConfigDict(serialize_by_alias=True, **_examples(_REPORT))  # `from`, a Python keyword

    from_: datetime = Field(alias="from", description="the period's start, included (UTC, RFC 3339)")
    to: datetime = Field(description="the period's end, excluded (UTC, RFC 3339)")
    decimal_places: int = Field(description="the places every ratio is rounded to (half to even)")
    categories: list[CategoryEstimates] = Field(
        description="each category with tickets closed in the period, by code; empty when none closed"
    )
    total: EstimateFigures = Field(description="every category together")
