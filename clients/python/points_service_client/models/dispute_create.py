from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="DisputeCreate")


@_attrs_define
class DisputeCreate:
    """Dispute a resolved ticket's charge.

    Attributes:
        reason (str): why the charge is wrong, in the customer's words; recorded in the ticket's history
        points (int | None | Unset): whole points claimed back, 1 to `deducted_points` − `returned_points` (outside →
            422 with `max_points`); omitted or null: everything not yet returned
    """

    reason: str
    points: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        reason = self.reason

        points: int | None | Unset
        if isinstance(self.points, Unset):
            points = UNSET
        else:
            points = self.points

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "reason": reason,
            }
        )
        if points is not UNSET:
            field_dict["points"] = points

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        reason = d.pop("reason")

        def _parse_points(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        points = _parse_points(d.pop("points", UNSET))

        dispute_create = cls(
            reason=reason,
            points=points,
        )

        return dispute_create
