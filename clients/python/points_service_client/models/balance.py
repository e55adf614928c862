from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.awaiting_points import AwaitingPoints
    from ..models.expiring_lot import ExpiringLot


T = TypeVar("T", bound="Balance")


@_attrs_define
class Balance:
    """An account's points at `as_of`. Due expiries count whether or not they were written yet.

    Attributes:
        account_id (str): the account
        as_of (datetime.datetime): the instant these figures are for (UTC, RFC 3339)
        available (int): whole points spendable now
        awaiting_points (AwaitingPoints): The account's tickets waiting for points (`awaiting_points`): they hold
            nothing yet.
        deducted (int): whole points closed tickets took for good (charged minus returned)
        expiring (list[ExpiringLot]): lots whose available points expire within `POINTS_EXPIRING_WINDOW_DAYS` (default
            90), soonest first
        held (int): whole points captured by open tickets
    """

    account_id: str
    as_of: datetime.datetime
    available: int
    awaiting_points: AwaitingPoints
    deducted: int
    expiring: list[ExpiringLot]
    held: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        as_of = self.as_of.isoformat()

        available = self.available

        awaiting_points = self.awaiting_points.to_dict()

        deducted = self.deducted

        expiring = []
        for expiring_item_data in self.expiring:
            expiring_item = expiring_item_data.to_dict()
            expiring.append(expiring_item)

        held = self.held

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "as_of": as_of,
                "available": available,
                "awaiting_points": awaiting_points,
                "deducted": deducted,
                "expiring": expiring,
                "held": held,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.awaiting_points import AwaitingPoints  # noqa: PLC0415
        from ..models.expiring_lot import ExpiringLot  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        as_of = datetime.datetime.fromisoformat(d.pop("as_of"))

        available = d.pop("available")

        awaiting_points = AwaitingPoints.from_dict(d.pop("awaiting_points"))

        deducted = d.pop("deducted")

        expiring = []
        _expiring = d.pop("expiring")
        for expiring_item_data in _expiring:
            expiring_item = ExpiringLot.from_dict(expiring_item_data)

            expiring.append(expiring_item)

        held = d.pop("held")

        balance = cls(
            account_id=account_id,
            as_of=as_of,
            available=available,
            awaiting_points=awaiting_points,
            deducted=deducted,
            expiring=expiring,
            held=held,
        )

        balance.additional_properties = d
        return balance

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
