from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.lot_state import LotState

T = TypeVar("T", bound="PostingOut")


@_attrs_define
class PostingOut:
    """Points of one lot moving from one state to another.

    Attributes:
        from_state (LotState | None): the state they left: `available`, `held`, `deducted`, `expired`, `revoked`,
            `written_off` or `reissued`; null when they arrive with the lot
        lot_id (str): the lot
        points (int): whole points moved, more than 0
        to_state (LotState): a state a lot's points are in; a lot's seven states sum to its points
    """

    from_state: LotState | None
    lot_id: str
    points: int
    to_state: LotState
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from_state: None | str
        if isinstance(self.from_state, LotState):
            from_state = self.from_state.value
        else:
            from_state = self.from_state

        lot_id = self.lot_id

        points = self.points

        to_state = self.to_state.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "from_state": from_state,
                "lot_id": lot_id,
                "points": points,
                "to_state": to_state,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_from_state(data: object) -> LotState | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                from_state_type_0 = LotState(data)

                return from_state_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LotState | None, data)

        from_state = _parse_from_state(d.pop("from_state"))

        lot_id = d.pop("lot_id")

        points = d.pop("points")

        to_state = LotState(d.pop("to_state"))

        posting_out = cls(
            from_state=from_state,
            lot_id=lot_id,
            points=points,
            to_state=to_state,
        )

        posting_out.additional_properties = d
        return posting_out

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
