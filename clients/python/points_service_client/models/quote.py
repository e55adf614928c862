from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.fixed_pricing import FixedPricing
    from ..models.formula_pricing import FormulaPricing
    from ..models.from_pricing import FromPricing
    from ..models.range_pricing import RangePricing
    from ..models.upon_request_pricing import UponRequestPricing


T = TypeVar("T", bound="Quote")


@_attrs_define
class Quote:
    """What opening a ticket of a category costs. Fixed and formula rules fix `points` (= `min` =
    `max`); a range gives `min` and `max`; `from` gives `min`; upon request gives nothing.

        Attributes:
            category (str): the category's code
            max_ (int | None): the greatest cost in whole points; null for `from` and `upon_request`
            min_ (int | None): the least cost in whole points; null for `upon_request`
            points (int | None): the cost in whole points (fixed and formula rules); null when the rule does not fix it
            pricing (FixedPricing | FormulaPricing | FromPricing | RangePricing | UponRequestPricing): the category's
                pricing rule
            quantity (int | None): the quantity priced (formula rules); null when none was given
    """

    category: str
    max_: int | None
    min_: int | None
    points: int | None
    pricing: FixedPricing | FormulaPricing | FromPricing | RangePricing | UponRequestPricing
    quantity: int | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.fixed_pricing import FixedPricing  # noqa: PLC0415
        from ..models.formula_pricing import FormulaPricing  # noqa: PLC0415
        from ..models.from_pricing import FromPricing  # noqa: PLC0415
        from ..models.range_pricing import RangePricing  # noqa: PLC0415

        category = self.category

        max_: int | None
        max_ = self.max_

        min_: int | None
        min_ = self.min_

        points: int | None
        points = self.points

        pricing: dict[str, Any]
        if isinstance(self.pricing, FixedPricing):
            pricing = self.pricing.to_dict()
        elif isinstance(self.pricing, RangePricing):
            pricing = self.pricing.to_dict()
        elif isinstance(self.pricing, FromPricing):
            pricing = self.pricing.to_dict()
        elif isinstance(self.pricing, FormulaPricing):
            pricing = self.pricing.to_dict()
        else:
            pricing = self.pricing.to_dict()

        quantity: int | None
        quantity = self.quantity

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "category": category,
                "max": max_,
                "min": min_,
                "points": points,
                "pricing": pricing,
                "quantity": quantity,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.fixed_pricing import FixedPricing  # noqa: PLC0415
        from ..models.formula_pricing import FormulaPricing  # noqa: PLC0415
        from ..models.from_pricing import FromPricing  # noqa: PLC0415
        from ..models.range_pricing import RangePricing  # noqa: PLC0415
        from ..models.upon_request_pricing import UponRequestPricing  # noqa: PLC0415

        d = dict(src_dict)
        category = d.pop("category")

        def _parse_max_(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        max_ = _parse_max_(d.pop("max"))

        def _parse_min_(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        min_ = _parse_min_(d.pop("min"))

        def _parse_points(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        points = _parse_points(d.pop("points"))

        def _parse_pricing(
            data: object,
        ) -> FixedPricing | FormulaPricing | FromPricing | RangePricing | UponRequestPricing:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pricing_type_0 = FixedPricing.from_dict(data)

                return pricing_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pricing_type_1 = RangePricing.from_dict(data)

                return pricing_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pricing_type_2 = FromPricing.from_dict(data)

                return pricing_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pricing_type_3 = FormulaPricing.from_dict(data)

                return pricing_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            pricing_type_4 = UponRequestPricing.from_dict(data)

            return pricing_type_4

        pricing = _parse_pricing(d.pop("pricing"))

        def _parse_quantity(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        quantity = _parse_quantity(d.pop("quantity"))

        quote = cls(
            category=category,
            max_=max_,
            min_=min_,
            points=points,
            pricing=pricing,
            quantity=quantity,
        )

        quote.additional_properties = d
        return quote

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
