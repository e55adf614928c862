from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="FinanceMoney")


@_attrs_define
class FinanceMoney:
    """The same figures valued at each point's lot `unit_price`, in the row's currency.

    Attributes:
        breakage (str): exact decimal string with exactly the currency's minor digits (`34.50` in USD, `3450` in JPY); a
            JSON number is rejected
        closing (str): exact decimal string with exactly the currency's minor digits (`34.50` in USD, `3450` in JPY); a
            JSON number is rejected
        granted (str): exact decimal string with exactly the currency's minor digits (`34.50` in USD, `3450` in JPY); a
            JSON number is rejected
        opening (str): exact decimal string with exactly the currency's minor digits (`34.50` in USD, `3450` in JPY); a
            JSON number is rejected
        recognized (str): exact decimal string with exactly the currency's minor digits (`34.50` in USD, `3450` in JPY);
            a JSON number is rejected
        returned (str): exact decimal string with exactly the currency's minor digits (`34.50` in USD, `3450` in JPY); a
            JSON number is rejected
        revoked (str): exact decimal string with exactly the currency's minor digits (`34.50` in USD, `3450` in JPY); a
            JSON number is rejected
        written_off (str): exact decimal string with exactly the currency's minor digits (`34.50` in USD, `3450` in
            JPY); a JSON number is rejected
    """

    breakage: str
    closing: str
    granted: str
    opening: str
    recognized: str
    returned: str
    revoked: str
    written_off: str
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

        finance_money = cls(
            breakage=breakage,
            closing=closing,
            granted=granted,
            opening=opening,
            recognized=recognized,
            returned=returned,
            revoked=revoked,
            written_off=written_off,
        )

        finance_money.additional_properties = d
        return finance_money

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
