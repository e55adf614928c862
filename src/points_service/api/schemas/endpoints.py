"""Webhook endpoints (where events are pushed) and their delivery attempts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator
from pydantic.json_schema import SkipJsonSchema
from typing_extensions import TypeAliasType

from ...domain.events import EventType
from .common import _NOW, NO_NUL, RequestBody, _examples

_ENDPOINT_ID = "we_01M8BMRD80K402HET3029XW5Y5"
_EVENT_ID = "evt_01M8BMRD80K402HET3029XW5Y6"
_SECRET = "whsec_" + "MfKQ9r8GKYqrTZjUPsOmPq4ZJ4Do3Sd8"
_ENDPOINT = {
    "id": _ENDPOINT_ID,
    "url": "https://helpdesk.example.com/hooks/points",
    "description": "helpdesk notifications",
    "event_types": ["points.granted", "ticket.resolved"],
    "account_id": None,
    "enabled": True,
    "disabled_reason": None,
    "created_at": _NOW,
    "updated_at": _NOW,
}

if TYPE_CHECKING:
    SubscribedEventType = str
else:
    SubscribedEventType = TypeAliasType(
        "SubscribedEventType",
        Annotated[
            Literal[("*", *(member.value for member in EventType))],
            Field(description="an event type, or `*` for every type"),
        ],
    )


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


Url = Annotated[str, Field(strict=True, min_length=1, max_length=2048, pattern=r"^[\x21-\x7e]+$")]


class WebhookEndpointCreate(RequestBody):
    """A new endpoint: where to POST events, and which."""

    model_config = _examples(
        {"url": "https://helpdesk.example.com/hooks/points", "event_types": ["points.granted", "ticket.resolved"]},
        {"url": "https://crm.example.com/points", "event_types": ["*"], "description": "CRM", "account_id": "cust-42"},
    )

    url: Url = Field(
        description="`https://…` (or `http://…`) URL of a public host: loopback, private and link-local addresses "
        "are refused, also when the host's name resolves to one (unless POINTS_WEBHOOK_ALLOW_PRIVATE)"
    )
    event_types: list[SubscribedEventType] = Field(
        min_length=1, max_length=50, description='the event types to push, or `["*"]` for all (also future ones)'
    )
    # Optional, and documented without null (left out means none), as a client sends them.
    description: Annotated[str, Field(strict=True, max_length=500, pattern=NO_NUL)] | SkipJsonSchema[None] = Field(
        default=None, description="what the endpoint is for (left out: none)", json_schema_extra=_no_default
    )
    account_id: Annotated[str, Field(strict=True, pattern=r"^[A-Za-z0-9._:-]{1,64}$")] | SkipJsonSchema[None] = Field(
        default=None,
        description="only this account's events (left out: every account's)",
        json_schema_extra=_no_default,
    )

    @field_validator("event_types")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return ["*"] if "*" in value else list(dict.fromkeys(value))


class WebhookEndpoint(BaseModel):
    """Where events are pushed. Its secret is shown only when it is made (create, rotate-secret)."""

    model_config = _examples(_ENDPOINT)

    id: str = Field(description="the endpoint's id, `we_…`")
    url: str = Field(description="where events are POSTed")
    description: str | None = Field(description="what the endpoint is for; null: none given")
    event_types: list[str] = Field(description='the event types pushed to it; `["*"]`: every type')
    account_id: str | None = Field(description="only this account's events; null: every account's")
    enabled: bool = Field(description="false: no new deliveries, and pending ones wait until it is enabled again")
    disabled_reason: str | None = Field(
        description="why it was disabled (by whom, or after 5 days of failures); null when enabled"
    )
    created_at: AwareDatetime = Field(description="when it was created (UTC)")
    updated_at: AwareDatetime = Field(description="when it last changed (UTC)")


class WebhookEndpointWithSecret(WebhookEndpoint):
    """The endpoint with its signing secret: answered only when the secret is made."""

    model_config = _examples({**_ENDPOINT, "secret": _SECRET})

    secret: str = Field(
        description="the Standard Webhooks signing secret (`whsec_…`); shown only in this answer, keep it safe"
    )


class Redelivery(RequestBody):
    """An event to push to the endpoint again."""

    model_config = _examples({"event_id": _EVENT_ID})

    event_id: Annotated[str, Field(strict=True, pattern=r"^evt_[0-9A-Za-z]{1,60}$")] = Field(
        description="the event's id, `evt_…`"
    )


class RedeliveryQueued(BaseModel):
    """A fresh delivery of the event was queued, due now."""

    model_config = _examples({"endpoint_id": _ENDPOINT_ID, "event_id": _EVENT_ID, "status": "pending"})

    endpoint_id: str = Field(description="the endpoint's id")
    event_id: str = Field(description="the event's id")
    status: Literal["pending"] = Field(description="`pending`: it goes out with the dispatcher's next round")


class DeliveryAttempt(BaseModel):
    """One attempt to push an event to the endpoint."""

    model_config = _examples(
        {
            "event_id": _EVENT_ID,
            "attempt": 1,
            "at": _NOW,
            "status_code": 503,
            "duration_ms": 41,
            "error": "HTTP 503",
            "next_attempt_at": "2026-11-26T10:00:05Z",
        },
        {
            "event_id": _EVENT_ID,
            "attempt": 2,
            "at": "2026-11-26T10:00:05Z",
            "status_code": 200,
            "duration_ms": 38,
            "error": None,
            "next_attempt_at": None,
        },
    )

    event_id: str = Field(description="the event's id, also the delivery's `webhook-id`")
    attempt: int = Field(description="1 for the first attempt, 2 for the first retry, …")
    at: AwareDatetime = Field(description="when the attempt was made (UTC)")
    status_code: int | None = Field(description="the receiver's HTTP status; null: no answer (timeout, refused)")
    duration_ms: int = Field(description="how long the attempt took, in milliseconds")
    error: str | None = Field(description="why the attempt failed; null when it succeeded (2xx)")
    next_attempt_at: AwareDatetime | None = Field(
        description="when the delivery is tried again (UTC); null: delivered, or given up (`failed`)"
    )
