"""Staff's lists: "use them or lose them", idle tickets, open disputes (accept or reject), billing
webhook deliveries that need review, and the outgoing endpoints with their failures.

Each list is the API's read with the API's access check (`api.deps.allow` with the operation's
roles); each action is the API's command. A role that may not act sees no form, and a forged
post is refused as the API refuses it (403).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from ..api import schemas
from ..api.deps import ADMIN, HELPDESK, STAFF, command_context, database, dispute_account, dispute_granted, role_granted
from ..api.pagination import instant, integer, scope_of, text
from ..api.problems import ProblemError
from ..services import dispute_log, present, queries
from ..services import disputes as commands
from ..services import endpoints as outgoing
from ..services.queries import KeyedPage
from .account_pages import PAGE_SIZE, Cursor
from .auth import User, check_csrf, signed_in
from .forms import points_field, validated
from .listing import listing
from .routing import PageRoute

router = APIRouter(prefix="/ui", include_in_schema=False, route_class=PageRoute)

REVIEW = ["conflict", "failed", "needs_review"]  # billing webhook outcomes a person must look at
Days = Annotated[int, Query(ge=1, le=1096)]


async def _staff(request: Request, *roles: str) -> User:
    user = await signed_in(request)
    role_granted(user.principal, roles)
    return user


@router.get("/expiring")
async def expiring(request: Request, days: Days = 30, cursor: Cursor = None) -> Response:
    """Accounts with available points expiring within `days`, soonest first: the daily "use them
    or lose them" list (`GET /v1/accounts?expiring_before=`)."""
    await _staff(request, *STAFF)
    now = request.app.state.clock.now()
    before = now + timedelta(days=days)

    async def read(after: list[Any] | None) -> KeyedPage:
        return await database(request).read(queries.accounts_expiring_before, now, before, after=after, limit=PAGE_SIZE)

    scope = scope_of("ui-expiring", days=days)
    return await listing(
        request,
        "expiring.html",
        name="accounts",
        scope=scope,
        cursor=cursor,
        parts=(instant, text),
        read=read,
        days=days,
    )


@router.get("/idle")
async def idle(request: Request, days: Days = 14, cursor: Cursor = None) -> Response:
    """Open tickets unchanged for at least `days`, the longest idle first (`GET /v1/tickets?idle_for=`)."""
    await _staff(request, *HELPDESK)
    before = request.app.state.clock.now() - timedelta(days=days)

    async def read(after: list[Any] | None) -> KeyedPage:
        return await database(request).read_single(
            queries.idle_tickets_page, before=before, after=after, limit=PAGE_SIZE
        )

    return await listing(
        request,
        "idle.html",
        name="tickets",
        scope=scope_of("ui-idle", days=days),
        cursor=cursor,
        parts=(instant, text),
        read=read,
        shape=present.ticket,
        days=days,
    )


@router.get("/disputes")
async def disputes(request: Request, cursor: Cursor = None, done: str | None = None) -> Response:
    """Open disputes, newest first, each with its accept and reject forms (`GET /v1/disputes?status=open`)."""
    await _staff(request, *HELPDESK)

    async def read(after: list[Any] | None) -> KeyedPage:
        return await database(request).read_single(
            dispute_log.disputes_page, statuses=["open"], account_id=None, after=after, limit=PAGE_SIZE
        )

    return await listing(
        request,
        "disputes.html",
        name="disputes",
        scope=scope_of("ui-disputes"),
        cursor=cursor,
        parts=(instant, text),
        read=read,
        shape=present.dispute,
        done=done if done in ("accepted", "rejected") else None,
    )


async def _decider(request: Request, dispute_id: str, csrf_token: str) -> User:
    user = await signed_in(request)
    check_csrf(user.csrf_token, csrf_token)
    await dispute_granted(request, user.principal, dispute_id, HELPDESK)
    return user


@router.post("/disputes/{dispute_id}/accept")
async def accept(
    request: Request,
    dispute_id: str,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    points: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """`POST /v1/disputes/{id}/accept` from a form: the points are credited back."""
    user = await _decider(request, dispute_id, csrf_token)
    body = validated(schemas.DisputeAccept, {"note": note, "points": points_field(points)})
    command = commands.AcceptDispute(
        ctx=command_context(request, user.principal),
        dispute_id=dispute_id,
        account_id=dispute_account(request),
        points=body.points,
        note=body.note,
    )
    await database(request).write(command)
    return RedirectResponse("/ui/disputes?done=accepted", status_code=303)


@router.post("/disputes/{dispute_id}/reject")
async def reject(
    request: Request,
    dispute_id: str,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """`POST /v1/disputes/{id}/reject` from a form: nothing is given back."""
    user = await _decider(request, dispute_id, csrf_token)
    body = validated(schemas.DisputeReject, {"note": note})
    command = commands.RejectDispute(
        ctx=command_context(request, user.principal),
        dispute_id=dispute_id,
        account_id=dispute_account(request),
        note=body.note,
    )
    await database(request).write(command)
    return RedirectResponse("/ui/disputes?done=rejected", status_code=303)


@router.get("/webhook-events")
async def webhook_events(request: Request, cursor: Cursor = None) -> Response:
    """Billing webhook deliveries that need a person: failed, conflicted or held for review
    (`GET /v1/admin/webhook-events?outcome=`)."""
    await _staff(request, *ADMIN)

    async def read(after: list[Any] | None) -> KeyedPage:
        return await database(request).read_single(
            queries.webhook_events_page, outcomes=REVIEW, after=after, limit=PAGE_SIZE
        )

    return await listing(
        request,
        "webhook_events.html",
        name="events",
        scope=scope_of("ui-webhook-events"),
        cursor=cursor,
        parts=(instant, text),
        read=read,
        shape=present.webhook_event,
    )


@router.get("/endpoints")
async def endpoints(request: Request, cursor: Cursor = None) -> Response:
    """The outgoing webhook endpoints, oldest first (`GET /v1/webhook-endpoints`)."""
    await _staff(request, *ADMIN)

    async def read(after: list[Any] | None) -> KeyedPage:
        return await database(request).read_single(outgoing.endpoints_page, after=after, limit=PAGE_SIZE)

    return await listing(
        request,
        "endpoints.html",
        name="endpoints",
        scope=scope_of("ui-endpoints"),
        cursor=cursor,
        parts=(instant, text),
        read=read,
        shape=outgoing.view,
    )


@router.get("/endpoints/{endpoint_id}")
async def endpoint(request: Request, endpoint_id: str, cursor: Cursor = None) -> Response:
    """An endpoint and its delivery attempts, newest first, failures marked
    (`GET /v1/webhook-endpoints/{id}/deliveries`)."""
    await _staff(request, *ADMIN)
    missing = ProblemError("not-found", f"webhook endpoint {endpoint_id[:64]!r} does not exist")
    if len(endpoint_id) > 64 or "\x00" in endpoint_id:  # cannot exist (PostgreSQL cannot compare NUL)
        raise missing
    db = database(request)
    found = await db.read_single(outgoing.endpoint, endpoint_id)
    if found is None:
        raise missing

    async def read(after: list[Any] | None) -> KeyedPage:
        attempts = await db.read(outgoing.attempts_page, endpoint_id, after=after, limit=PAGE_SIZE)
        if attempts is None:  # an endpoint is deleted, never changed back
            raise missing
        return attempts

    return await listing(
        request,
        "endpoint.html",
        name="attempts",
        scope=scope_of("ui-deliveries", endpoint_id=endpoint_id),
        cursor=cursor,
        parts=(integer,),
        read=read,
        shape=outgoing.attempt_view,
        endpoint=outgoing.view(found),
        failing_since=found.failing_since,
    )
