from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="DisputeAccept")


@_attrs_define
class DisputeAccept:
    """Accept a dispute: its points are credited back as `POST /v1/tickets/{id}/credit` would.

    Attributes:
        note (str): why, recorded in the ticket's history
        points (int | None | Unset): whole points to credit, 1 to what the ticket has left to return (outside → 422 with
            `max_points`); omitted or null: the points claimed, capped at what is left, or everything left when none were
            claimed
    """

    note: str
    points: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        note = self.note

        points: int | None | Unset
        if isinstance(self.points, Unset):
            points = UNSET
        else:
            points = self.points

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "note": note,
            }
        )
        if points is not UNSET:
            field_dict["points"] = points

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        note = d.pop("note")

        def _parse_points(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        points = _parse_points(d.pop("points", UNSET))

        dispute_accept = cls(
            note=note,
            points=points,
        )

        return dispute_accept
