from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ExpiringLot")


@_attrs_define
class ExpiringLot:
    """Available points of one lot, and when they expire.

    Attributes:
        expires_at (datetime.datetime): when they stop counting (UTC, RFC 3339)
        lot_id (str): the lot
        points (int): its available points, which expire at `expires_at`, in whole points
    """

    expires_at: datetime.datetime
    lot_id: str
    points: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        expires_at = self.expires_at.isoformat()

        lot_id = self.lot_id

        points = self.points

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "expires_at": expires_at,
                "lot_id": lot_id,
                "points": points,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        lot_id = d.pop("lot_id")

        points = d.pop("points")

        expiring_lot = cls(
            expires_at=expires_at,
            lot_id=lot_id,
            points=points,
        )

        expiring_lot.additional_properties = d
        return expiring_lot

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
