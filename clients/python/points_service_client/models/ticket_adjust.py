from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="TicketAdjust")


@_attrs_define
class TicketAdjust:
    """Set an open ticket's captured points, optionally correcting its category or quantity.

    Attributes:
        points (int): the whole points to hold from now on, 0 to 1,000,000,000 whatever the pricing rule: more captures
            the difference, less gives it back
        reason (str): why, recorded in the ticket's history
        category (None | str | Unset): reclassify to this active category; omitted or null: unchanged
        quantity (int | None | Unset): the quantity, for a formula rule (the ticket's, or the new category's, where it
            is required); omitted or null: none
    """

    points: int
    reason: str
    category: None | str | Unset = UNSET
    quantity: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        points = self.points

        reason = self.reason

        category: None | str | Unset
        if isinstance(self.category, Unset):
            category = UNSET
        else:
            category = self.category

        quantity: int | None | Unset
        if isinstance(self.quantity, Unset):
            quantity = UNSET
        else:
            quantity = self.quantity

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "points": points,
                "reason": reason,
            }
        )
        if category is not UNSET:
            field_dict["category"] = category
        if quantity is not UNSET:
            field_dict["quantity"] = quantity

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        points = d.pop("points")

        reason = d.pop("reason")

        def _parse_category(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        category = _parse_category(d.pop("category", UNSET))

        def _parse_quantity(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        quantity = _parse_quantity(d.pop("quantity", UNSET))

        ticket_adjust = cls(
            points=points,
            reason=reason,
            category=category,
            quantity=quantity,
        )

        return ticket_adjust
