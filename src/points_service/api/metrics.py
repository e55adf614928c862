"""Prometheus metrics, one registry per app (several apps may live in one test process).

Each service process counts for itself; with several workers, scrape each or aggregate.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import fields
from operator import attrgetter
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ..db.records import Entry
from ..domain.ledger import EntryKind
from ..services.uow import BatchTimes

# A write batch's steps, the `phase` label of `points_write_batch_seconds`: BatchTimes' fields.
_PHASES = tuple(field.name for field in fields(BatchTimes))
_PHASE_TIMES = attrgetter(*_PHASES)

# Ledger entry kind → the points flow it counts in (an adjustment: `granted` or `written_off`, by
# its sign).
_FLOWS: dict[str, str] = {
    EntryKind.PURCHASE: "granted",
    EntryKind.LICENSE_BONUS: "granted",
    EntryKind.IMPORT: "granted",
    EntryKind.CAPTURE: "captured",
    EntryKind.CAPTURE_INCREASE: "captured",
    EntryKind.CAPTURE_DECREASE: "released",
    EntryKind.DEDUCTION: "deducted",
    EntryKind.RETURN: "returned",
    EntryKind.EXPIRY: "expired",
    EntryKind.REVOCATION: "revoked",
}


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "points_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "points_http_request_duration_seconds",
            "HTTP request latency by route and status",
            ["method", "route", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.points = Counter(
            "points_moved_total",
            "Points moved by committed ledger entries: "
            "granted, captured, released, deducted, returned, expired, revoked, written_off",
            ["flow"],
            registry=self.registry,
        )
        self.webhooks = Counter(
            "points_webhook_deliveries_total",
            "Billing webhook deliveries by outcome (rejected: bad or missing signature)",
            ["outcome"],
            registry=self.registry,
        )
        self.db_errors = Counter(
            "points_database_errors_total",
            "Database errors by kind (busy, disconnect, unreachable, error)",
            ["kind"],
            registry=self.registry,
        )

        self.batch_size = Histogram(
            "points_write_batch_size",
            "Write commands per committed transaction (group commit)",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000),
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "points_write_batch_seconds",
            "Seconds a batch applied in one pass spent in each step: load (from BEGIN, waiting for the write"
            " lock included), apply, flush, commit",
            ["phase"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self._phases = tuple(self.batch_seconds.labels(phase) for phase in _PHASES)
        self._request_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._points_series: dict[str, Any] = {}
        self.batches_redone = Counter(
            "points_write_batches_redone_total",
            "Times a committed batch had to be redone first (deadlock, serialization failure, lock timeout, busy)",
            registry=self.registry,
        )

        self.pushes = Counter(
            "points_event_deliveries_total",
            "Attempts to push events to webhook endpoints by outcome (delivered, retrying, failed)",
            ["outcome"],
            registry=self.registry,
        )
        self.oldest_pending_event = Gauge(
            "points_oldest_undelivered_event_age_seconds",
            "Age of the oldest event not yet delivered to every endpoint that wants it (0: none)",
            registry=self.registry,
        )
        self.endpoints = Gauge(
            "points_webhook_endpoints",
            "Webhook endpoints by state (enabled, disabled)",
            ["state"],
            registry=self.registry,
        )
        # Called before each scrape (gauges read from the database at that moment).
        self.before_scrape: list[Callable[[], Awaitable[None]]] = []

    def pushed(self, outcome: str) -> None:
        self.pushes.labels(outcome=outcome).inc()

    def batch(self, size: int, redone: int, times: BatchTimes | None) -> None:
        self.batch_size.observe(size)
        if redone:
            self.batches_redone.inc(redone)
        if times is not None:
            for series, seconds in zip(self._phases, _PHASE_TIMES(times), strict=True):
                series.observe(seconds)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self._request_series.get((method, route, status))
        if series is None:  # labels() looks the child up under a lock: once per series
            labels = (method, route, str(status))
            series = self._request_series[(method, route, status)] = (
                self.requests.labels(*labels),
                self.latency.labels(*labels),
            )
        series[0].inc()
        series[1].observe(seconds)

    def committed(self, entries: Iterable[Entry]) -> None:
        """Count the points of ledger entries that were just committed."""
        for entry in entries:
            if entry.kind == "adjustment":
                flow = "granted" if entry.available_delta > 0 else "written_off"
            else:
                flow = _FLOWS[entry.kind]
            counter = self._points_series.get(flow)
            if counter is None:  # labels() looks the child up under a lock: once per flow
                counter = self._points_series[flow] = self.points.labels(flow)
            counter.inc(_size(entry))

    def webhook_rejected(self) -> None:
        self.webhooks.labels(outcome="rejected").inc()

    def webhook_outcome(self, outcome: str) -> None:
        self.webhooks.labels(outcome=outcome).inc()

    def database_error(self, kind: str) -> None:
        self.db_errors.labels(kind=kind).inc()


def _size(entry: Entry) -> int:
    """The points an entry moved: the largest of its balance effects."""
    return max(abs(entry.available_delta), abs(entry.held_delta), abs(entry.deducted_delta))


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    for refresh in metrics.before_scrape:
        await refresh()
    registry = metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
