from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.event_type import EventType

if TYPE_CHECKING:
    from ..models.event_data import EventData


T = TypeVar("T", bound="Event")


@_attrs_define
class Event:
    """Something that happened to an account, recorded in the transaction of the change.

    Attributes:
        account_id (str): the account it happened to
        created_at (datetime.datetime): when the change was committed (UTC, RFC 3339)
        data (EventData): the resource as the change's response shows it: the account (`account.created`), the lot
            (`points.granted`), the ledger entry (`points.expired`, `points.revoked`, `points.written_off`), the ticket
            (`ticket.*`), the balance (`balance.low`, `balance.recovered`), or `{lot, notice_days, days_left, points}`
            (`lot.expiring_soon`)
        id (str): `evt_…`; also the `webhook-id` of every push of it
        seq (int): its number among the account's events: gapless and increasing from 1
        type_ (EventType): what happened; `data` is the resource the change's response shows
    """

    account_id: str
    created_at: datetime.datetime
    data: EventData
    id: str
    seq: int
    type_: EventType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        created_at = self.created_at.isoformat()

        data = self.data.to_dict()

        id = self.id

        seq = self.seq

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "created_at": created_at,
                "data": data,
                "id": id,
                "seq": seq,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.event_data import EventData  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        data = EventData.from_dict(d.pop("data"))

        id = d.pop("id")

        seq = d.pop("seq")

        type_ = EventType(d.pop("type"))

        event = cls(
            account_id=account_id,
            created_at=created_at,
            data=data,
            id=id,
            seq=seq,
            type_=type_,
        )

        event.additional_properties = d
        return event

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
