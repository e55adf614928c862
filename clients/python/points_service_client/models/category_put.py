from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.fixed_pricing import FixedPricing
    from ..models.formula_pricing import FormulaPricing
    from ..models.from_pricing import FromPricing
    from ..models.range_pricing import RangePricing
    from ..models.upon_request_pricing import UponRequestPricing


T = TypeVar("T", bound="CategoryPut")


@_attrs_define
class CategoryPut:
    """A ticket category to create or change; its code is in the path.

    Attributes:
        group (str): the group it is listed under, e.g. `installation`
        name (str): the name shown to customers
        pricing (FixedPricing | FormulaPricing | FromPricing | RangePricing | UponRequestPricing): the rule that prices
            the opening of a ticket; open tickets keep the rule they were opened with
        active (bool | Unset): `false` retires the category: no new ticket may be opened in it Default: True.
    """

    group: str
    name: str
    pricing: FixedPricing | FormulaPricing | FromPricing | RangePricing | UponRequestPricing
    active: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        from ..models.fixed_pricing import FixedPricing  # noqa: PLC0415
        from ..models.formula_pricing import FormulaPricing  # noqa: PLC0415
        from ..models.from_pricing import FromPricing  # noqa: PLC0415
        from ..models.range_pricing import RangePricing  # noqa: PLC0415

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

        active = self.active

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "group": group,
                "name": name,
                "pricing": pricing,
            }
        )
        if active is not UNSET:
            field_dict["active"] = active

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.fixed_pricing import FixedPricing  # noqa: PLC0415
        from ..models.formula_pricing import FormulaPricing  # noqa: PLC0415
        from ..models.from_pricing import FromPricing  # noqa: PLC0415
        from ..models.range_pricing import RangePricing  # noqa: PLC0415
        from ..models.upon_request_pricing import UponRequestPricing  # noqa: PLC0415

        d = dict(src_dict)
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

        active = d.pop("active", UNSET)

        category_put = cls(
            group=group,
            name=name,
            pricing=pricing,
            active=active,
        )

        return category_put
