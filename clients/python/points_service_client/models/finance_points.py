from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="FinancePoints")


@_attrs_define
class FinancePoints:
    """The report's figures in whole points.

    Attributes:
        breakage (int): expired while available
        closing (int): available or held just before `to`
        granted (int): arrived: purchases, license bonuses, imports, positive adjustments
        opening (int): available or held just before `from` (expired points excluded)
        recognized (int): deducted by resolved tickets: revenue
        returned (int): given back after resolution (refunds, credits): reverses recognized revenue
        revoked (int): revoked because the payment was refunded or charged back
        written_off (int): written off by negative adjustments
    """

    breakage: int
    closing: int
    granted: int
    opening: int
    recognized: int
    returned: int
    revoked: int
    written_off: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        breakage = self.breakage

        closing = self.closing

        granted = self.granted

        opening = self.opening

        recognized = self.recognized

        returned = self.returned

        revoked = self.revoked

        written_off = self.written_off

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "breakage": breakage,
                "closing": closing,
                "granted": granted,
                "opening": opening,
                "recognized": recognized,
                "returned": returned,
                "revoked": revoked,
                "written_off": written_off,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        breakage = d.pop("breakage")

        closing = d.pop("closing")

        granted = d.pop("granted")

        opening = d.pop("opening")

        recognized = d.pop("recognized")

        returned = d.pop("returned")

        revoked = d.pop("revoked")

        written_off = d.pop("written_off")

        finance_points = cls(
            breakage=breakage,
            closing=closing,
            granted=granted,
            opening=opening,
            recognized=recognized,
            returned=returned,
            revoked=revoked,
            written_off=written_off,
        )

        finance_points.additional_properties = d
        return finance_points

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
