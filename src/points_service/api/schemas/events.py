"""Outgoing events, as the pull API lists them and as a push delivers them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field
from typing_extensions import TypeAliasType

from ...domain.events import EventType
from .common import _examples
from .lots import _LOT_L2

if TYPE_CHECKING:
    EventTypeName = str
else:
    EventTypeName = TypeAliasType(
        "EventType",
        Annotated[
            Literal[tuple(member.value for member in EventType)],
            Field(description="what happened; `data` is the resource the change's response shows"),
        ],
    )

_EVENT = {
    "id": "evt_01M8BMRD80K402HET3029XW5Y6",
    "type": "points.granted",
    "created_at": "2026-11-26T10:00:00Z",
    "account_id": "cust-42",
    "seq": 7,
    "data": _LOT_L2,
}


class Event(BaseModel):
    """Something that happened to an account, recorded in the transaction of the change."""

    model_config = _examples(_EVENT)

    id: str = Field(description="`evt_…`; also the `webhook-id` of every push of it")
    type: EventTypeName = Field(description="what happened")
    created_at: datetime = Field(description="when the change was committed (UTC, RFC 3339)")
    account_id: str = Field(description="the account it happened to")
    seq: int = Field(description="its number among the account's events: gapless and increasing from 1")
    data: dict[str, Any] = Field(
        description=(
            "the resource as the change's response shows it: the account (`account.created`), the lot "
            "(`points.granted`), the ledger entry (`points.expired`, `points.revoked`, `points.written_off`), the "
            "ticket (`ticket.*`), the balance (`balance.low`, `balance.recovered`), or `{lot, notice_days, "
            "days_left, points}` (`lot.expiring_soon`)"
        )
    )
