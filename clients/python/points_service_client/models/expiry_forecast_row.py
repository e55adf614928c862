from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.expiry_forecast_row_currency import ExpiryForecastRowCurrency

T = TypeVar("T", bound="ExpiryForecastRow")


@_attrs_define
class ExpiryForecastRow:
    """One currency's points that expire in one calendar month (UTC) if they are not used.

    Attributes:
        accounts (int): how many distinct accounts hold these points
        amount (str): their value at cost basis (each point at its lot's `unit_price`), summed exactly and rounded once,
            half to even, to the currency's minor units
        currency (ExpiryForecastRowCurrency): ISO 4217 code of a currency with minor units
        month (str): the calendar month, `YYYY-MM` (UTC); the first one counts from `as_of`
        points (int): available points whose lot expires in the month (held points excluded)
    """

    accounts: int
    amount: str
    currency: ExpiryForecastRowCurrency
    month: str
    points: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        accounts = self.accounts

        amount = self.amount

        currency = self.currency.value

        month = self.month

        points = self.points

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "accounts": accounts,
                "amount": amount,
                "currency": currency,
                "month": month,
                "points": points,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        accounts = d.pop("accounts")

        amount = d.pop("amount")

        currency = ExpiryForecastRowCurrency(d.pop("currency"))

        month = d.pop("month")

        points = d.pop("points")

        expiry_forecast_row = cls(
            accounts=accounts,
            amount=amount,
            currency=currency,
            month=month,
            points=points,
        )

        expiry_forecast_row.additional_properties = d
        return expiry_forecast_row

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
