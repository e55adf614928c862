from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SweepResult")


@_attrs_define
class SweepResult:
    """What the expiry sweep wrote.

    Attributes:
        accounts (list[str]): the accounts it wrote expiries for, by id
        expired_lots (int): lots whose expiry it wrote
        expired_points (int): whole points that expired
        expiry_notices (int): `lot.expiring_soon` events it sent
        idle_tickets (int): `ticket.idle` events it sent
        purged_events (int): events older than the retention it deleted (0 for one account)
    """

    accounts: list[str]
    expired_lots: int
    expired_points: int
    expiry_notices: int
    idle_tickets: int
    purged_events: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        accounts = self.accounts

        expired_lots = self.expired_lots

        expired_points = self.expired_points

        expiry_notices = self.expiry_notices

        idle_tickets = self.idle_tickets

        purged_events = self.purged_events

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "accounts": accounts,
                "expired_lots": expired_lots,
                "expired_points": expired_points,
                "expiry_notices": expiry_notices,
                "idle_tickets": idle_tickets,
                "purged_events": purged_events,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        accounts = cast(list[str], d.pop("accounts"))

        expired_lots = d.pop("expired_lots")

        expired_points = d.pop("expired_points")

        expiry_notices = d.pop("expiry_notices")

        idle_tickets = d.pop("idle_tickets")

        purged_events = d.pop("purged_events")

        sweep_result = cls(
            accounts=accounts,
            expired_lots=expired_lots,
            expired_points=expired_points,
            expiry_notices=expiry_notices,
            idle_tickets=idle_tickets,
            purged_events=purged_events,
        )

        sweep_result.additional_properties = d
        return sweep_result

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
