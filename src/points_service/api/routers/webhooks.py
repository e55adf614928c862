"""Billing webhooks, signed per the Standard Webhooks specification."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from standardwebhooks.webhooks import Webhook

from ...domain.vocabulary import Outcome
from ...services import present, queries
from ...services.context import Context
from ...services.webhooks import (
    ACTOR,
    ReceiveBillingEvent,
    event_accounts,
    payment_account,
    refunded_payment,
)
from .. import schemas
from ..deps import ADMIN, Principal, allow, database
from ..pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, encode_cursor, instant, scope_of, text
from ..problems import ProblemError, problem_response
from ..routing import DeferredJsonRoute, parse_json

log = logging.getLogger("points_service.webhooks")

router = APIRouter(tags=["webhooks"], route_class=DeferredJsonRoute)

EVENT_EXAMPLE = {
    "type": "payment.succeeded",
    "timestamp": "2026-11-26T10:00:00Z",
    "data": {
        "payment_id": "pay_123",
        "account_id": "cust-42",
        "plan": "points-120",
        "amount": "68.50",
        "currency": "USD",
        "paid_at": "2026-11-26T09:59:58Z",
    },
}


def _verified(body: bytes, headers: dict[str, str], secrets: list[str]) -> bool:
    """True when one of the secrets signed this body (any malformed input is simply not verified)."""
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
            return True
        except Exception:  # the library raises several kinds for malformed headers
            continue
    return False


@router.post(
    "/v1/webhooks/billing",
    operation_id="receive_billing_event",
    summary="Receive a signed billing event",
    response_model=schemas.WebhookAck,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}, "example": EVENT_EXAMPLE}},
        },
        "security": [],
        "parameters": [
            {"name": "webhook-id", "in": "header", "required": True, "schema": {"type": "string", "maxLength": 255}},
            {"name": "webhook-timestamp", "in": "header", "required": True, "schema": {"type": "string"}},
            {"name": "webhook-signature", "in": "header", "required": True, "schema": {"type": "string"}},
        ],
    },
)
async def receive_billing_event(request: Request) -> Any:
    """Events: `payment.succeeded`, `payment.refunded`, `payment.charged_back`,
    `license.purchased`; others are stored as `ignored`. A settled delivery id answers 200 again
    and does nothing; a `failed` one (422) is attempted again when the sender retries."""
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    state = request.app.state
    secrets = state.settings.webhook_secret_list
    if not secrets:
        log.warning("refused a billing webhook: POINTS_WEBHOOK_SECRETS is not set")
        state.metrics.webhook_rejected()
        raise ProblemError(
            "unauthorized", "no webhook secret is configured: set POINTS_WEBHOOK_SECRETS to the billing system's secret"
        )
    if not _verified(body, headers, secrets):
        log.warning("rejected a billing webhook with a missing or bad signature")
        state.metrics.webhook_rejected()
        raise ProblemError("unauthorized", "missing or invalid webhook signature")
    webhook_id = headers["webhook-id"]
    if len(webhook_id) > 255 or "\x00" in webhook_id:
        raise ProblemError("unauthorized", "webhook-id must be at most 255 characters, without NUL")
    try:
        payload = parse_json(body)
    except ValueError as exc:
        raise ProblemError(
            "validation-error",
            "the event must be a JSON object",
            errors=[{"pointer": "#", "detail": f"malformed JSON: {exc}"}],
        ) from None
    if not isinstance(payload, dict):
        raise ProblemError(
            "validation-error",
            "the event must be a JSON object",
            errors=[{"pointer": "#", "detail": "not a JSON object"}],
        )
    ctx = Context(
        actor=ACTOR,
        role="billing",
        clock=state.clock,
        return_grace=state.settings.return_grace,
        currency=state.settings.currency,
    )
    db = database(request)
    accounts = event_accounts(payload)
    payment_id = refunded_payment(payload)
    if payment_id is not None:  # a refund that names no account: the account of the payment's lot
        owner = await db.read_single(payment_account, payment_id)
        accounts |= {owner} if owner is not None else set()
    received = await db.write(
        ReceiveBillingEvent(ctx=ctx, webhook_id=webhook_id, payload=payload, accounts=frozenset(accounts))
    )
    event = received.event
    if not received.replayed:
        state.metrics.webhook_outcome(event.outcome)
    ack = {
        "id": event.id,
        "type": event.type,
        "outcome": event.outcome,
        "detail": event.detail,
        "replayed": received.replayed,
    }
    if received.outcome is Outcome.FAILED:
        return problem_response(
            request,
            "validation-error",
            f"the event cannot be applied yet: {event.detail}",
            errors=[{"pointer": "#/data", "detail": event.detail or "cannot be applied"}],
            webhook_id=event.id,
            outcome=event.outcome,
        )
    return JSONResponse(ack)


@router.get(
    "/v1/admin/webhook-events",
    operation_id="list_webhook_events",
    summary="Stored billing webhook deliveries, newest first",
    tags=["admin"],
    response_model=schemas.Page[schemas.WebhookEvent],
)
async def list_webhook_events(
    request: Request,
    principal: Annotated[Principal, Depends(allow(*ADMIN))],
    outcome: Annotated[list[Outcome] | None, Query(description="repeatable")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Stored billing webhook deliveries newest first, with their payload and outcome
    (`?outcome=` repeatable)."""
    outcomes = sorted({str(o) for o in outcome}) if outcome else None
    scope = scope_of("webhook-events", outcome=outcomes)
    after = decode_cursor(cursor, scope, instant, text)
    page = await database(request).read_single(queries.webhook_events_page, outcomes=outcomes, after=after, limit=limit)
    items, next_key = page.items, page.next_key
    return {"items": [present.webhook_event(e) for e in items], "next_cursor": encode_cursor(scope, next_key)}
