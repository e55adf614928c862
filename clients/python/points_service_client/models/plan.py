from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.money import Money


T = TypeVar("T", bound="Plan")


@_attrs_define
class Plan:
    """A point pack customers buy.

    Attributes:
        active (bool): false once retired: no longer listed (a payment for it is still accepted)
        code (str): the plan's code, e.g. `points-120`
        points (int): whole points a purchase of the pack grants
        price (Money): An exact amount of money in a currency.
    """

    active: bool
    code: str
    points: int
    price: Money
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        active = self.active

        code = self.code

        points = self.points

        price = self.price.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "active": active,
                "code": code,
                "points": points,
                "price": price,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.money import Money  # noqa: PLC0415

        d = dict(src_dict)
        active = d.pop("active")

        code = d.pop("code")

        points = d.pop("points")

        price = Money.from_dict(d.pop("price"))

        plan = cls(
            active=active,
            code=code,
            points=points,
            price=price,
        )

        plan.additional_properties = d
        return plan

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
