"""The period `?from=&to=` of the reports and the export: [from, to), at most 10 years."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query

from ..domain.clock import MAX_PERIOD_YEARS, period_error
from .problems import validation_problem
from .schemas import Instant

From = Annotated[Instant, Query(alias="from", description="the period's start, included")]
To = Annotated[
    Instant, Query(alias="to", description=f"the period's end, excluded; at most {MAX_PERIOD_YEARS} years after `from`")
]


def check_period(start: datetime, end: datetime, now: datetime | None = None) -> None:
    """422 at the bound at fault for a period that ends before it starts or is longer than 10 years
    (with `now`: or has not ended yet)."""
    error = period_error(start, end, now)
    if error is not None:
        bound, detail = error
        raise validation_problem(f"#/query/{bound}", f"{bound} {detail}")
