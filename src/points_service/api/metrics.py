"""Prometheus metrics, one registry per app (several apps may live in one test process)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.webhooks = Counter(
            "points_webhook_deliveries_total",
            "Billing webhook deliveries by outcome (rejected: bad or missing signature)",
            ["outcome"],
            registry=self.registry,
        )

    def webhook_rejected(self) -> None:
        self.webhooks.labels(outcome="rejected").inc()

    def webhook_outcome(self, outcome: str) -> None:
        self.webhooks.labels(outcome=outcome).inc()


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
