from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AllocationOut")


@_attrs_define
class AllocationOut:
    """Points one capture step took from one lot.

    Attributes:
        deducted (int): whole points of this step taken at resolution
        held (int): whole points of this step held now
        lot_id (str): the lot they were taken from
        returned (int): whole points of this step given back by a refund or credit
        seq (int): the step's order; points are given back from the highest first
    """

    deducted: int
    held: int
    lot_id: str
    returned: int
    seq: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        deducted = self.deducted

        held = self.held

        lot_id = self.lot_id

        returned = self.returned

        seq = self.seq

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "deducted": deducted,
                "held": held,
                "lot_id": lot_id,
                "returned": returned,
                "seq": seq,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        deducted = d.pop("deducted")

        held = d.pop("held")

        lot_id = d.pop("lot_id")

        returned = d.pop("returned")

        seq = d.pop("seq")

        allocation_out = cls(
            deducted=deducted,
            held=held,
            lot_id=lot_id,
            returned=returned,
            seq=seq,
        )

        allocation_out.additional_properties = d
        return allocation_out

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
