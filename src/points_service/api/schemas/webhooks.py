"""Billing webhooks: what became of an event, and the stored deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from .common import _T2_LOT, WebhookOutcomeName, _examples

_DELIVERY = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
_WEBHOOK_ACK = {
    "id": _DELIVERY,
    "type": "payment.succeeded",
    "outcome": "applied",
    "detail": "purchase recorded",
    "replayed": False,
}


class WebhookAck(BaseModel):
    """What became of a billing event."""

    model_config = _examples(_WEBHOOK_ACK, {**_WEBHOOK_ACK, "replayed": True})

    id: str = Field(description="the delivery's `webhook-id`")
    type: str = Field(description="the event's type, e.g. `payment.succeeded`")
    outcome: WebhookOutcomeName = Field(
        description="`applied`; `ignored` (a type not handled); `needs_review` (for ops: e.g. a refund whose "
        "amount differs from the amount paid); "
        "`conflict` (contradicts what was recorded); `failed` events are answered 422 instead"
    )
    detail: str | None = Field(description="what happened, in words; null when there is nothing to say")
    replayed: bool = Field(description="true when this delivery id was settled before: nothing was done")


class WebhookEvent(BaseModel):
    """A stored billing webhook delivery."""

    model_config = _examples(
        {
            **{key: value for key, value in _WEBHOOK_ACK.items() if key != "replayed"},
            "account_id": "cust-58",
            "lot_id": _T2_LOT,
            "attempts": 1,
            "payload": {
                "type": "payment.succeeded",
                "timestamp": "2026-05-04T12:00:00Z",
                "data": {
                    "payment_id": "pay_5Lr8sK2vN7bX1gQe",
                    "account_id": "cust-58",
                    "plan": "points-300",
                    "amount": "169.50",
                    "currency": "USD",
                    "paid_at": "2026-05-04T11:59:57Z",
                },
            },
            "received_at": "2026-05-04T12:00:00Z",
            "updated_at": "2026-05-04T12:00:00Z",
        }
    )

    id: str = Field(description="the delivery's `webhook-id`")
    type: str = Field(description="the event's type (`(none)` when the payload had none)")
    outcome: WebhookOutcomeName = Field(
        description="`applied`, `ignored` (a type not handled), `failed` (attempted again when the sender retries), "
        "`needs_review` (for ops) or `conflict` (contradicts what was recorded)"
    )
    detail: str | None = Field(description="what happened, in words; null when there is nothing to say")
    account_id: str | None = Field(description="the payload's `data.account_id`; null when it had none")
    lot_id: str | None = Field(description="the lot the event created or revoked; null when none")
    attempts: int = Field(description="how many times this delivery id was processed")
    payload: dict[str, Any] = Field(description="the event as received, unknown fields included")
    received_at: datetime = Field(description="when it was first received (UTC, RFC 3339)")
    updated_at: datetime = Field(description="when it was last processed (UTC, RFC 3339)")
