from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.money import Money


T = TypeVar("T", bound="PlanPut")


@_attrs_define
class PlanPut:
    """A point pack to create or change; its code is in the path.

    Attributes:
        points (int): whole points a purchase of the pack grants, at least 1
        price (Money): An exact amount of money in a currency.
        active (bool | Unset): `false` retires the pack: it is no longer listed Default: True.
    """

    points: int
    price: Money
    active: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        points = self.points

        price = self.price.to_dict()

        active = self.active

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "points": points,
                "price": price,
            }
        )
        if active is not UNSET:
            field_dict["active"] = active

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.money import Money  # noqa: PLC0415

        d = dict(src_dict)
        points = d.pop("points")

        price = Money.from_dict(d.pop("price"))

        active = d.pop("active", UNSET)

        plan_put = cls(
            points=points,
            price=price,
            active=active,
        )

        return plan_put
