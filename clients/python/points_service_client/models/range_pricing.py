from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="RangePricing")


@_attrs_define
class RangePricing:
    """The helpdesk estimates between `min` and `max` when it opens a ticket.

    Attributes:
        max_ (int): the most a ticket may be estimated at, in whole points; at least `min`
        min_ (int): the least a ticket may be estimated at, in whole points
        type_ (Literal['range']): `range`
    """

    max_: int
    min_: int
    type_: Literal["range"]

    def to_dict(self) -> dict[str, Any]:
        max_ = self.max_

        min_ = self.min_

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "max": max_,
                "min": min_,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        max_ = d.pop("max")

        min_ = d.pop("min")

        type_ = cast(Literal["range"], d.pop("type"))
        if type_ != "range":
            raise ValueError(f"type must match const 'range', got '{type_}'")

        range_pricing = cls(
            max_=max_,
            min_=min_,
            type_=type_,
        )

        return range_pricing
