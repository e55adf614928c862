from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="TicketCredit")


@_attrs_define
class TicketCredit:
    """Give back part of a resolved ticket's points; it stays resolved.

    Attributes:
        points (int): whole points to give back, 1 to `deducted_points` − `returned_points`; outside → 422 with
            `max_points`
        reason (str): why, recorded in the ticket's history
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
