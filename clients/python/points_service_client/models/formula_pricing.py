from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="FormulaPricing")


@_attrs_define
class FormulaPricing:
    """`base + per_unit × quantity`, quantity counted in `unit` and at least `min_quantity`.

    Attributes:
        base (int): whole points every ticket of the category costs
        min_quantity (int): the least quantity a ticket may have
        per_unit (int): whole points added per unit of quantity
        type_ (Literal['formula']): `formula`
        unit (str): what the quantity counts, e.g. `deployed stores`
    """

    base: int
    min_quantity: int
    per_unit: int
    type_: Literal["formula"]
    unit: str

    def to_dict(self) -> dict[str, Any]:
        base = self.base

        min_quantity = self.min_quantity

        per_unit = self.per_unit

        type_ = self.type_

        unit = self.unit

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "base": base,
                "min_quantity": min_quantity,
                "per_unit": per_unit,
                "type": type_,
                "unit": unit,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        base = d.pop("base")

        min_quantity = d.pop("min_quantity")

        per_unit = d.pop("per_unit")

        type_ = cast(Literal["formula"], d.pop("type"))
        if type_ != "formula":
            raise ValueError(f"type must match const 'formula', got '{type_}'")

        unit = d.pop("unit")

        formula_pricing = cls(
            base=base,
            min_quantity=min_quantity,
            per_unit=per_unit,
            type_=type_,
            unit=unit,
        )

        return formula_pricing
