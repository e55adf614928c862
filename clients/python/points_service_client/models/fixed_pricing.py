from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="FixedPricing")


@_attrs_define
class FixedPricing:
    """Every ticket of the category costs `points`.

    Attributes:
        points (int): what every ticket of the category costs, in whole points
        type_ (Literal['fixed']): `fixed`
    """

    points: int
    type_: Literal["fixed"]

    def to_dict(self) -> dict[str, Any]:
        points = self.points

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "points": points,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        points = d.pop("points")

        type_ = cast(Literal["fixed"], d.pop("type"))
        if type_ != "fixed":
            raise ValueError(f"type must match const 'fixed', got '{type_}'")

        fixed_pricing = cls(
            points=points,
            type_=type_,
        )

        return fixed_pricing
