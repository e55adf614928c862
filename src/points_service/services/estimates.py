"""The estimate accuracy report: per category, the tickets closed in a period and how their
charged points compare with what the category estimated at opening (`domain.estimates`).

A ticket counts in the period that holds its `closed_at` (when it left `open`: resolved, or
refunded while open or waiting), under the category it had then (an adjust may have reclassified
it; its estimate stays the one it was opened with). Its points are the ticket's as they stand at
the read: a credit or a refund after the period still adds to the period's `returned_points`, as
a refund for a software bug still counts in `software_bug_refunds` (a report for tuning prices,
not for the books: the finance report is the one that never changes once a period is over).

One statement reads the closed tickets through `ix_tickets_closed_at`, grouped by category,
estimate and charge: what the ratios need, in as many rows as there are distinct
(estimate, charge) pairs, never one per ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, case, func, literal_column, select

from ..db import schema as t
from ..domain.estimates import RatioMoments
from ..domain.lots import ReturnReason
from ..domain.tickets import TicketAction, TicketStatus

_TICKETS = t.tickets.c
_REFUNDS = t.ticket_events.c
# Refunded before anything was charged: it waited for points, or held none when it was refunded.
_UNCHARGED = and_(
    _TICKETS.status == literal_column(f"'{TicketStatus.REFUNDED}'"),
    _TICKETS.resolved_at.is_(None),
    _TICKETS.charged_points == literal_column("0"),
)
_uncharged = case((_UNCHARGED, 1), else_=0).label("uncharged")
_BUG_REFUND = and_(
    _REFUNDS.ticket_id == _TICKETS.id,
    _REFUNDS.action == literal_column(f"'{TicketAction.REFUNDED}'"),
    _REFUNDS.reason == literal_column(f"'{ReturnReason.SOFTWARE_BUG}'"),
)
CLOSED_IN_PERIOD = (
    select(
        _TICKETS.category_code,
        _TICKETS.estimated_points,
        _TICKETS.charged_points,
        _uncharged,
        func.count().label("tickets"),
        func.sum(_TICKETS.returned_points).label("returned"),
        func.count(_REFUNDS.id).label("bug_refunds"),
    )
    .select_from(t.tickets.outerjoin(t.ticket_events, _BUG_REFUND))
    .where(
        _TICKETS.closed_at >= bindparam("start", type_=_TICKETS.closed_at.type),
        _TICKETS.closed_at < bindparam("end", type_=_TICKETS.closed_at.type),
    )
    .group_by(_TICKETS.category_code, _TICKETS.estimated_points, _TICKETS.charged_points, _uncharged)
)


@dataclass
class Figures:
    """Closed tickets, in one category or in all."""

    tickets: int = 0
    estimated_points: int = 0
    charged_points: int = 0
    returned_points: int = 0
    software_bug_refunds: int = 0
    ratios: RatioMoments = field(default_factory=RatioMoments)

    def merge(self, other: Figures) -> None:
        self.tickets += other.tickets
        self.estimated_points += other.estimated_points
        self.charged_points += other.charged_points
        self.returned_points += other.returned_points
        self.software_bug_refunds += other.software_bug_refunds
        self.ratios.merge(other.ratios)


@dataclass
class EstimateTally:
    start: datetime
    end: datetime
    categories: dict[str, Figures]  # by category code, in code order
    total: Figures


def estimate_report(conn: Connection, *, start: datetime, end: datetime) -> EstimateTally:
    """Tickets closed in [start, end), per category (one statement)."""
    by_category: dict[str, Figures] = {}
    rows = conn.execute(CLOSED_IN_PERIOD, {"start": start, "end": end})
    for row in rows:
        category, estimated, charged, uncharged, tickets, bug_refunds = (str(row[0]), *map(int, row[1:5]), int(row[6]))
        returned = int(row.returned or 0)  # SUM: a Decimal on PostgreSQL
        figures = by_category.setdefault(category, Figures())
        figures.tickets += tickets
        figures.estimated_points += estimated * tickets
        figures.charged_points += charged * tickets
        figures.returned_points += returned
        figures.software_bug_refunds += bug_refunds
        if estimated > 0 and not uncharged:
            figures.ratios.add(charged, estimated, tickets)
    total = Figures()
    for figures in by_category.values():
        total.merge(figures)
    return EstimateTally(start, end, dict(sorted(by_category.items())), total)
