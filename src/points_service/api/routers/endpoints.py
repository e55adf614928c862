"""Webhook endpoints (admin): where the service pushes its events, and what came of each push.

A URL is vetted here before it is stored (`services.outbound.vet`: resolved off the event loop,
every address public unless POINTS_WEBHOOK_ALLOW_PRIVATE), and again by the dispatcher before
every delivery. The secret is in the answers of create and rotate-secret only.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from ...db.ids import new_id
from ...domain.errors import NotFoundError
from ...domain.network import UrlRefusedError
from ...services import endpoints as svc
from ...services.outbound import vet
from .. import schemas
from ..deps import ADMIN, Principal, allow, database
from ..pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, encode_cursor, instant, scope_of, text
from ..pagination import integer as whole
from ..problems import validation_problem
from ..routing import DeferredJsonRoute
from ..writes import KeyOrReplay, execute, remember

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhook-endpoints"], route_class=DeferredJsonRoute)

Admin = Annotated[Principal, Depends(allow(*ADMIN))]
EndpointId = Annotated[str, Path(pattern=r"^we_[0-9A-Za-z]{1,60}$", description="the endpoint's id, `we_…`")]


async def _vetted(request: Request, url: str) -> None:
    """422 at `#/url` unless the URL may be an endpoint (its name resolved on a thread)."""
    allow_private = request.app.state.settings.webhook_allow_private
    try:
        await asyncio.get_running_loop().run_in_executor(None, functools.partial(vet, url, allow_private=allow_private))
    except UrlRefusedError as exc:
        raise validation_problem("#/url", str(exc)) from None


def _now(request: Request) -> Any:
    return request.app.state.clock.now()


def _found(found: svc.Found, endpoint_id: str) -> svc.Endpoint:
    if found.endpoint is None:
        raise NotFoundError("webhook endpoint", endpoint_id)
    return found.endpoint


@router.post(
    "",
    operation_id="create_webhook_endpoint",
    summary="Create a webhook endpoint",
    status_code=201,
    response_model=schemas.WebhookEndpointWithSecret,
)
async def create_webhook_endpoint(
    request: Request, principal: Admin, key: KeyOrReplay, body: schemas.WebhookEndpointCreate
) -> Response:
    """Events of the chosen types (`["*"]`: all) are POSTed to `url`, signed per Standard Webhooks
    with the `secret` answered here, and only here: store it. `account_id` limits it to one
    account's events. Deliveries start with the events committed after this answer."""
    await _vetted(request, body.url)
    command = svc.CreateEndpoint(
        id=new_id("we"),
        url=body.url,
        description=body.description,
        event_types=body.event_types,
        account_id=body.account_id,
        secret=svc.new_secret(),
        now=_now(request),
    )
    return await execute(
        request,
        key,
        command,
        present=lambda endpoint: (201, svc.view(endpoint, secret=True), {}),
        model=schemas.WebhookEndpointWithSecret,
    )


@router.get(
    "",
    operation_id="list_webhook_endpoints",
    summary="List webhook endpoints",
    response_model=schemas.Page[schemas.WebhookEndpoint],
)
async def list_webhook_endpoints(
    request: Request, principal: Admin, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> dict[str, Any]:
    """Oldest first."""
    scope = scope_of("webhook_endpoints")
    after = decode_cursor(cursor, scope, instant, text)
    page = await database(request).read_single(svc.endpoints_page, after=after, limit=limit)
    return {"items": [svc.view(e) for e in page.items], "next_cursor": encode_cursor(scope, page.next_key)}


@router.get(
    "/{endpoint_id}",
    operation_id="get_webhook_endpoint",
    summary="Get a webhook endpoint",
    response_model=schemas.WebhookEndpoint,
)
async def get_webhook_endpoint(request: Request, principal: Admin, endpoint_id: EndpointId) -> dict[str, Any]:
    endpoint = await database(request).read_single(svc.endpoint, endpoint_id)
    if endpoint is None:
        raise NotFoundError("webhook endpoint", endpoint_id)
    return svc.view(endpoint)


@router.delete(
    "/{endpoint_id}",
    operation_id="delete_webhook_endpoint",
    summary="Delete a webhook endpoint",
    status_code=204,
    response_class=Response,
)
async def delete_webhook_endpoint(request: Request, principal: Admin, endpoint_id: EndpointId) -> Response:
    """The endpoint goes, with its pending deliveries and its attempts' history."""
    found = await database(request).write(svc.DeleteEndpoint(endpoint_id))
    if not found.rows:
        raise NotFoundError("webhook endpoint", endpoint_id)
    return Response(status_code=204)


async def _change(request: Request, key: Any, command: svc.ChangeEndpoint, *, secret: bool = False) -> Response:
    endpoint = _found(await database(request).write(command), command.endpoint_id)
    model = schemas.WebhookEndpointWithSecret if secret else schemas.WebhookEndpoint
    return await remember(request, key, 200, model.model_validate(svc.view(endpoint, secret=secret)), {})


@router.post(
    "/{endpoint_id}/disable",
    operation_id="disable_webhook_endpoint",
    summary="Disable a webhook endpoint",
    response_model=schemas.WebhookEndpoint,
)
async def disable_webhook_endpoint(
    request: Request, principal: Admin, key: KeyOrReplay, endpoint_id: EndpointId
) -> Response:
    """No new deliveries are queued for it; its pending ones wait until it is enabled again."""
    return await _change(request, key, svc.disable(endpoint_id, principal.name, _now(request)))


@router.post(
    "/{endpoint_id}/enable",
    operation_id="enable_webhook_endpoint",
    summary="Enable a webhook endpoint",
    response_model=schemas.WebhookEndpoint,
)
async def enable_webhook_endpoint(
    request: Request, principal: Admin, key: KeyOrReplay, endpoint_id: EndpointId
) -> Response:
    """Deliveries resume, the waiting ones first; its five days of failures count anew."""
    return await _change(request, key, svc.enable(endpoint_id, _now(request)))


@router.post(
    "/{endpoint_id}/rotate-secret",
    operation_id="rotate_webhook_endpoint_secret",
    summary="Give a webhook endpoint a new secret",
    response_model=schemas.WebhookEndpointWithSecret,
)
async def rotate_webhook_endpoint_secret(
    request: Request, principal: Admin, key: KeyOrReplay, endpoint_id: EndpointId
) -> Response:
    """Answers the new secret (only here). For 24 hours deliveries carry two signatures, one with
    each secret, so the receiver may switch to the new one at any time within the day."""
    return await _change(request, key, svc.rotate_secret(endpoint_id, svc.new_secret(), _now(request)), secret=True)


@router.get(
    "/{endpoint_id}/deliveries",
    operation_id="list_webhook_deliveries",
    summary="List a webhook endpoint's delivery attempts",
    response_model=schemas.Page[schemas.DeliveryAttempt],
)
async def list_webhook_deliveries(
    request: Request, principal: Admin, endpoint_id: EndpointId, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> dict[str, Any]:
    """Every attempt, newest first: when, what the receiver answered, and when the next one is due."""
    scope = scope_of("webhook_deliveries", endpoint_id=endpoint_id)
    after = decode_cursor(cursor, scope, whole)
    page = await database(request).read(svc.attempts_page, endpoint_id, after=after, limit=limit)
    if page is None:
        raise NotFoundError("webhook endpoint", endpoint_id)
    return {"items": [svc.attempt_view(a) for a in page.items], "next_cursor": encode_cursor(scope, page.next_key)}


@router.post(
    "/{endpoint_id}/redeliver",
    operation_id="redeliver_webhook_event",
    summary="Push an event to a webhook endpoint again",
    status_code=202,
    response_model=schemas.RedeliveryQueued,
)
async def redeliver_webhook_event(
    request: Request, principal: Admin, key: KeyOrReplay, endpoint_id: EndpointId, body: schemas.Redelivery
) -> Response:
    """Queues a fresh delivery of the event, due now, with a new round of retries, whatever came
    of the earlier ones. The event must be one the endpoint takes (its types and account)."""
    db = database(request)
    endpoint, event = await db.read(svc.endpoint_and_event, endpoint_id, body.event_id)
    if endpoint is None:
        raise NotFoundError("webhook endpoint", endpoint_id)
    if event is None:
        raise NotFoundError("event", body.event_id)
    if not endpoint.receives(event.type, event.account_id):
        raise validation_problem("#/event_id", "the endpoint does not take this event (its types or account)")
    found = await db.write(svc.Redeliver(endpoint_id, body.event_id, _now(request)))
    if not found.rows:  # the endpoint or the event went meanwhile
        raise NotFoundError("webhook endpoint", endpoint_id)
    queued = schemas.RedeliveryQueued(endpoint_id=endpoint_id, event_id=body.event_id, status="pending")
    return await remember(request, key, 202, queued, {})
