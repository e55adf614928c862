from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_event_outcome import WebhookEventOutcome

if TYPE_CHECKING:
    from ..models.webhook_event_payload import WebhookEventPayload


T = TypeVar("T", bound="WebhookEvent")


@_attrs_define
class WebhookEvent:
    """A stored billing webhook delivery.

    Attributes:
        account_id (None | str): the payload's `data.account_id`; null when it had none
        attempts (int): how many times this delivery id was processed
        detail (None | str): what happened, in words; null when there is nothing to say
        id (str): the delivery's `webhook-id`
        lot_id (None | str): the lot the event created or revoked; null when none
        outcome (WebhookEventOutcome): `applied`, `ignored` (a type not handled), `failed` (attempted again when the
            sender retries), `needs_review` (for ops) or `conflict` (contradicts what was recorded)
        payload (WebhookEventPayload): the event as received, unknown fields included
        received_at (datetime.datetime): when it was first received (UTC, RFC 3339)
        type_ (str): the event's type (`(none)` when the payload had none)
        updated_at (datetime.datetime): when it was last processed (UTC, RFC 3339)
    """

    account_id: None | str
    attempts: int
    detail: None | str
    id: str
    lot_id: None | str
    outcome: WebhookEventOutcome
    payload: WebhookEventPayload
    received_at: datetime.datetime
    type_: str
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id: None | str
        account_id = self.account_id

        attempts = self.attempts

        detail: None | str
        detail = self.detail

        id = self.id

        lot_id: None | str
        lot_id = self.lot_id

        outcome = self.outcome.value

        payload = self.payload.to_dict()

        received_at = self.received_at.isoformat()

        type_ = self.type_

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "attempts": attempts,
                "detail": detail,
                "id": id,
                "lot_id": lot_id,
                "outcome": outcome,
                "payload": payload,
                "received_at": received_at,
                "type": type_,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.webhook_event_payload import WebhookEventPayload  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_account_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        account_id = _parse_account_id(d.pop("account_id"))

        attempts = d.pop("attempts")

        def _parse_detail(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        detail = _parse_detail(d.pop("detail"))

        id = d.pop("id")

        def _parse_lot_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        lot_id = _parse_lot_id(d.pop("lot_id"))

        outcome = WebhookEventOutcome(d.pop("outcome"))

        payload = WebhookEventPayload.from_dict(d.pop("payload"))

        received_at = datetime.datetime.fromisoformat(d.pop("received_at"))

        type_ = d.pop("type")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        webhook_event = cls(
            account_id=account_id,
            attempts=attempts,
            detail=detail,
            id=id,
            lot_id=lot_id,
            outcome=outcome,
            payload=payload,
            received_at=received_at,
            type_=type_,
            updated_at=updated_at,
        )

        webhook_event.additional_properties = d
        return webhook_event

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
