from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.fixed_pricing import FixedPricing
    from ..models.formula_pricing import FormulaPricing
    from ..models.from_pricing import FromPricing
    from ..models.range_pricing import RangePricing
    from ..models.upon_request_pricing import UponRequestPricing


T = TypeVar("T", bound="Category")


@_attrs_define
class Category:
    """A ticket category, with the rule that prices the opening of its tickets.

    Attributes:
        active (bool): false once retired: no new ticket may be opened in it
        code (str): the category's code, e.g. `store-problem`
        group (str): the group it is listed under, e.g. `installation`
        name (str): the name shown to customers
        pricing (FixedPricing | FormulaPricing | FromPricing | RangePricing | UponRequestPricing): the rule that prices
            the opening of a ticket; tickets keep the rule they were opened with
    """

    active: bool
    code: str
    group: str
    name: str
    pricing: FixedPricing | FormulaPricing | FromPricing | RangePricing | UponRequestPricing
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.fixed_pricing import FixedPricing  # noqa: PLC0415
        from ..models.formula_pricing import FormulaPricing  # noqa: PLC0415
        from ..models.from_pricing import FromPricing  # noqa: PLC0415
        from ..models.range_pricing import RangePricing  # noqa: PLC0415

        active = self.active

        code = self.code

        group = self.group

        name = self.name

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

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "active": active,
                "code": code,
                "group": group,
                "name": name,
                "pricing": pricing,
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
        active = d.pop("active")

        code = d.pop("code")

        group = d.pop("group")

        name = d.pop("name")

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

        category = cls(
            active=active,
            code=code,
            group=group,
            name=name,
            pricing=pricing,
        )

        category.additional_properties = d
        return category

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
