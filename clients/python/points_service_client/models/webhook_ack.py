from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_ack_outcome import WebhookAckOutcome

T = TypeVar("T", bound="WebhookAck")


@_attrs_define
class WebhookAck:
    """What became of a billing event.

    Attributes:
        detail (None | str): what happened, in words; null when there is nothing to say
        id (str): the delivery's `webhook-id`
        outcome (WebhookAckOutcome): `applied`; `ignored` (a type not handled); `needs_review` (for ops: e.g. a refund
            whose amount differs from the amount paid); `conflict` (contradicts what was recorded); `failed` events are
            answered 422 instead
        replayed (bool): true when this delivery id was settled before: nothing was done
        type_ (str): the event's type, e.g. `payment.succeeded`
    """

    detail: None | str
    id: str
    outcome: WebhookAckOutcome
    replayed: bool
    type_: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        detail: None | str
        detail = self.detail

        id = self.id

        outcome = self.outcome.value

        replayed = self.replayed

        type_ = self.type_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "detail": detail,
                "id": id,
                "outcome": outcome,
                "replayed": replayed,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_detail(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        detail = _parse_detail(d.pop("detail"))

        id = d.pop("id")

        outcome = WebhookAckOutcome(d.pop("outcome"))

        replayed = d.pop("replayed")

        type_ = d.pop("type")

        webhook_ack = cls(
            detail=detail,
            id=id,
            outcome=outcome,
            replayed=replayed,
            type_=type_,
        )

        webhook_ack.additional_properties = d
        return webhook_ack

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
