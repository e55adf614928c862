from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.expiring_lot import ExpiringLot


T = TypeVar("T", bound="ExpiringAccount")


@_attrs_define
class ExpiringAccount:
    """An account with available points expiring before `expiring_before`.

    Attributes:
        account_id (str): the helpdesk's customer id: 1–64 of `[A-Za-z0-9._:-]`, case-sensitive
        display_name (None | str): the name shown to staff; null when not set
        expiring (list[ExpiringLot]): the lots they are in, soonest expiry first
        expiring_points (int): whole points expiring between now and `expiring_before`
    """

    account_id: str
    display_name: None | str
    expiring: list[ExpiringLot]
    expiring_points: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        display_name: None | str
        display_name = self.display_name

        expiring = []
        for expiring_item_data in self.expiring:
            expiring_item = expiring_item_data.to_dict()
            expiring.append(expiring_item)

        expiring_points = self.expiring_points

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "display_name": display_name,
                "expiring": expiring,
                "expiring_points": expiring_points,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.expiring_lot import ExpiringLot  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        def _parse_display_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        display_name = _parse_display_name(d.pop("display_name"))

        expiring = []
        _expiring = d.pop("expiring")
        for expiring_item_data in _expiring:
            expiring_item = ExpiringLot.from_dict(expiring_item_data)

            expiring.append(expiring_item)

        expiring_points = d.pop("expiring_points")

        expiring_account = cls(
            account_id=account_id,
            display_name=display_name,
            expiring=expiring,
            expiring_points=expiring_points,
        )

        expiring_account.additional_properties = d
        return expiring_account

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
