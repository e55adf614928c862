from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.balance import Balance
    from ..models.lot import Lot


T = TypeVar("T", bound="LotWithBalance")


@_attrs_define
class LotWithBalance:
    """A lot, and the account's balance after the operation.

    Attributes:
        balance (Balance): An account's points at `as_of`. Due expiries count whether or not they were written yet.
        lot (Lot): One arrival of points, with how many of them are in each state; the states always sum to
            `points`.
    """

    balance: Balance
    lot: Lot
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        balance = self.balance.to_dict()

        lot = self.lot.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "balance": balance,
                "lot": lot,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.balance import Balance  # noqa: PLC0415
        from ..models.lot import Lot  # noqa: PLC0415

        d = dict(src_dict)
        balance = Balance.from_dict(d.pop("balance"))

        lot = Lot.from_dict(d.pop("lot"))

        lot_with_balance = cls(
            balance=balance,
            lot=lot,
        )

        lot_with_balance.additional_properties = d
        return lot_with_balance

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
