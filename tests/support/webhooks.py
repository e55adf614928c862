"""Billing webhook deliveries as the billing system signs them (Standard Webhooks)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook


def signed_headers(body: str | bytes, msg_id: str, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers (and the content type) for `body`, signed by `secret`
    at `timestamp` (unix seconds; default now: the service checks it against its wall clock)."""
    moment = datetime.fromtimestamp(int(time.time()) if timestamp is None else timestamp, tz=UTC)
    text = body.decode() if isinstance(body, bytes) else body
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, moment, text),
    }
