from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.unit_price_currency import UnitPriceCurrency

T = TypeVar("T", bound="UnitPrice")


@_attrs_define
class UnitPrice:
    """What one point of a lot cost: the price paid divided by the points, kept exactly to
    10 decimal places of the currency (rounded half to even); zero when nothing was paid.

        Attributes:
            amount (str): exact decimal string with exactly 10 decimal places, whatever the currency
            currency (UnitPriceCurrency): ISO 4217 code of a currency with minor units
    """

    amount: str
    currency: UnitPriceCurrency
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        currency = self.currency.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "amount": amount,
                "currency": currency,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        currency = UnitPriceCurrency(d.pop("currency"))

        unit_price = cls(
            amount=amount,
            currency=currency,
        )

        unit_price.additional_properties = d
        return unit_price

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
