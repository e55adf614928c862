"""The application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from .api.deps import KeyCache, Owners
from .api.docs import install_openapi
from .api.docs_ui import install_docs_ui
from .api.limits import BodyGuard, HeadGuard
from .api.metrics import Metrics
from .api.metrics import router as metrics_router
from .api.observability import RequestObserver, configure_logging
from .api.problems import install_problem_handlers, unexpected_error_response
from .api.problems import router as problems_router
from .api.route_index import RouteIndex
from .api.routers import (
    accounts,
    admin,
    catalogue,
    disputes,
    endpoints,
    estimates,
    events,
    export,
    grants,
    health,
    reports,
    tickets,
    webhooks,
)
from .domain.clock import Clock, SystemClock
from .services.dispatch import Dispatcher, outbox_state
from .services.housekeeping import periodic_sweep, policy_of, system_context
from .services.uow import Database
from .settings import Settings, get_settings
from .ui import install_ui

log = logging.getLogger("points_service.app")

DESCRIPTION = """\
The support-points ledger: customers buy point packs and get license bonuses; opening a support
ticket captures its points, resolving deducts them, a software bug gives them all back. Points
expire two years after purchase.

Every error is an RFC 9457 problem document (`application/problem+json`) with a stable `type`.
Authenticate with `Authorization: Bearer <api key>`.

Any request may also be refused for its size, whatever the operation: a request target (path and
query string) over 8 KiB is a 414 `uri-too-long`; a header field over 8 KiB, or header fields over
32 KiB in all, a 431 `request-header-fields-too-large`.
"""


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, database: Database | None = None
) -> FastAPI:
    settings = settings or get_settings()
    metrics = Metrics()
    db = database or Database.from_settings(settings)
    db.on_commit = metrics.committed
    db.on_batch = metrics.batch
    clock = clock or SystemClock()

    async def scrape_outbox() -> None:
        """The outbox's gauges, read at each scrape (nothing is counted while nobody looks)."""
        try:
            state = await db.read(outbox_state)
        except Exception:  # the database is away: the other metrics still answer
            log.warning("could not read the outbox for the metrics", exc_info=True)
            return
        oldest = state.oldest_pending
        metrics.oldest_pending_event.set(max(0.0, (clock.now() - oldest).total_seconds()) if oldest else 0.0)
        metrics.endpoints.labels(state="enabled").set(state.enabled)
        metrics.endpoints.labels(state="disabled").set(state.disabled)

    metrics.before_scrape.append(scrape_outbox)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.webhook_secret_list:
            log.warning(
                "POINTS_WEBHOOK_SECRETS is not set: every billing webhook delivery will be refused (401) "
                "until it names the billing system's Standard Webhooks secret"
            )
        db.open()
        dispatcher = None
        if settings.dispatch:  # pushes events to the webhook endpoints (services.dispatch)
            dispatcher = Dispatcher(
                db.engine,
                clock,
                allow_private=settings.webhook_allow_private,
                timeout=settings.webhook_timeout,
                interval=settings.dispatch_interval,
                senders=settings.dispatch_senders,
                on_attempt=metrics.pushed,
            )
            dispatcher.start()
        app.state.dispatcher = dispatcher
        sweeping = None
        if settings.sweep_interval > timedelta(0):
            system, policy = system_context(settings, app.state.clock), policy_of(settings)
            sweeping = asyncio.create_task(periodic_sweep(db, system, policy, settings.sweep_interval))
        # What start-up made (modules, the app, its routes and models, compiled statements) lives as
        # long as the process: out of the garbage collector's sight, a full collection no longer
        # walks its 140,000-odd objects (about 100 ms, every request waiting: docs/performance.md).
        gc.freeze()
        yield
        gc.unfreeze()  # a process that serves again (tests) collects what this one left
        if sweeping is not None:
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping
        if dispatcher is not None:
            await asyncio.get_running_loop().run_in_executor(None, dispatcher.stop)
        await db.dispose()

    app = FastAPI(
        title="points-service",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # install_docs_ui: the same pages, with their assets served from the package
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.clock = clock
    app.state.dispatcher = None  # set by the lifespan when it runs one
    app.state.key_cache = KeyCache(settings.auth_cache_seconds)
    app.state.owners = Owners()
    app.state.metrics = metrics
    install_problem_handlers(app)
    app.state.inflight = {}
    # FastAPI's router tries its routes one after another; the index installed last finds a
    # request's route without that (api/route_index.py). Routes that could match the same path
    # keep their order: the first one wins, as ever.
    routers = [
        module.router
        for module in (
            tickets,
            accounts,
            grants,
            webhooks,
            events,
            catalogue,
            disputes,
            endpoints,
            reports,
            export,
            estimates,
            admin,
            health,
        )
    ]
    if settings.bench_routes:  # the ceiling: a route found at once, as the busiest routes are
        from .api.routers import bench

        routers.insert(0, bench.router)
    for router in (*routers, problems_router, metrics_router):
        app.router.routes.extend(router.routes)  # one flat list: no per-router matching on top
    install_openapi(app)
    install_docs_ui(app)
    install_ui(app)
    app.router.routes.insert(0, RouteIndex(app.router.routes))  # the last route is in place
    app.add_middleware(BodyGuard, problem_base_uri=settings.problem_base_uri)
    app.add_middleware(HeadGuard, problem_base_uri=settings.problem_base_uri)
    app.add_middleware(
        RequestObserver, metrics=metrics, on_error=unexpected_error_response
    )  # outermost: sees every request
    return app


def serve_app() -> FastAPI:
    """The factory `points-service serve` runs in each worker: JSON logs, then the app."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
