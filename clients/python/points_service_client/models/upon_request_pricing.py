from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="UponRequestPricing")


@_attrs_define
class UponRequestPricing:
    """Priced case by case: the helpdesk gives `estimated_points` when it opens a ticket.

    Attributes:
        type_ (Literal['upon_request']): `upon_request`
    """

    type_: Literal["upon_request"]

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        type_ = cast(Literal["upon_request"], d.pop("type"))
        if type_ != "upon_request":
            raise ValueError(f"type must match const 'upon_request', got '{type_}'")

        upon_request_pricing = cls(
            type_=type_,
        )

        return upon_request_pricing
