from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="TicketCredit")


@_attrs_define
class TicketCredit:
    """
    Attributes:
        points (int): 1 to deducted − returned; outside → 422 with `max_points`
        reason (str):
    """

    points: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        points = self.points

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "points": points,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        points = d.pop("points")

        reason = d.pop("reason")

        ticket_credit = cls(
            points=points,
            reason=reason,
        )

        return ticket_credit
