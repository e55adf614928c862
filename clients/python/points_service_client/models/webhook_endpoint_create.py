from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.subscribed_event_type import SubscribedEventType
from ..types import UNSET, Unset

T = TypeVar("T", bound="WebhookEndpointCreate")


@_attrs_define
class WebhookEndpointCreate:
    """A new endpoint: where to POST events, and which.

    Attributes:
        event_types (list[SubscribedEventType]): the event types to push, or `["*"]` for all (also future ones)
        url (str): `https://…` (or `http://…`) URL of a public host: loopback, private and link-local addresses are
            refused, also when the host's name resolves to one (unless POINTS_WEBHOOK_ALLOW_PRIVATE)
        account_id (str | Unset): only this account's events (left out: every account's)
        description (str | Unset): what the endpoint is for (left out: none)
    """

    event_types: list[SubscribedEventType]
    url: str
    account_id: str | Unset = UNSET
    description: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        event_types = []
        for event_types_item_data in self.event_types:
            event_types_item = event_types_item_data.value
            event_types.append(event_types_item)

        url = self.url

        account_id = self.account_id

        description = self.description

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "event_types": event_types,
                "url": url,
            }
        )
        if account_id is not UNSET:
            field_dict["account_id"] = account_id
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        event_types = []
        _event_types = d.pop("event_types")
        for event_types_item_data in _event_types:
            event_types_item = SubscribedEventType(event_types_item_data)

            event_types.append(event_types_item)

        url = d.pop("url")

        account_id = d.pop("account_id", UNSET)

        description = d.pop("description", UNSET)

        webhook_endpoint_create = cls(
            event_types=event_types,
            url=url,
            account_id=account_id,
            description=description,
        )

        return webhook_endpoint_create
