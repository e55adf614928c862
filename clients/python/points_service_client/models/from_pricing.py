from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="FromPricing")


@_attrs_define
class FromPricing:
    """At least `min`; the helpdesk may estimate more when it opens a ticket.

    Attributes:
        min_ (int): the least a ticket costs, and its estimate when none is given, in whole points
        type_ (Literal['from']): `from`
    """

    min_: int
    type_: Literal["from"]

    def to_dict(self) -> dict[str, Any]:
        min_ = self.min_

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "min": min_,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        min_ = d.pop("min")

        type_ = cast(Literal["from"], d.pop("type"))
        if type_ != "from":
            raise ValueError(f"type must match const 'from', got '{type_}'")

        from_pricing = cls(
            min_=min_,
            type_=type_,
        )

        return from_pricing
