from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.money_currency import MoneyCurrency

T = TypeVar("T", bound="Money")


@_attrs_define
class Money:
    """An exact amount of money in a currency.

    Attributes:
        amount (str): exact decimal string with exactly the currency's minor digits (`34.50` in USD, `3450` in JPY); a
            JSON number is rejected
        currency (MoneyCurrency): ISO 4217 code of a currency with minor units
    """

    amount: str
    currency: MoneyCurrency

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        currency = self.currency.value

        field_dict: dict[str, Any] = {}

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

        currency = MoneyCurrency(d.pop("currency"))

        money = cls(
            amount=amount,
            currency=currency,
        )

        return money
