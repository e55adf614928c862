from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.category_estimates import CategoryEstimates
    from ..models.estimate_figures import EstimateFigures


T = TypeVar("T", bound="EstimateReport")


@_attrs_define
class EstimateReport:
    """Per category, the tickets closed in [from, to) and how their charges compare with their
    estimates; figures as they stand now (a later credit still counts).

        Attributes:
            categories (list[CategoryEstimates]): each category with tickets closed in the period, by code; empty when none
                closed
            decimal_places (int): the places every ratio is rounded to (half to even)
            from_ (datetime.datetime): the period's start, included (UTC, RFC 3339)
            to (datetime.datetime): the period's end, excluded (UTC, RFC 3339)
            total (EstimateFigures): Tickets closed in the period and how far their charges strayed from their estimates.

                The ratio of a ticket is `charged_points ÷ estimated_points`; tickets that estimated 0 points,
                and tickets refunded before anything was charged (they waited for points, or held none), have
                none. The spread is the population standard deviation.
    """

    categories: list[CategoryEstimates]
    decimal_places: int
    from_: datetime.datetime
    to: datetime.datetime
    total: EstimateFigures
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        categories = []
        for categories_item_data in self.categories:
            categories_item = categories_item_data.to_dict()
            categories.append(categories_item)

        decimal_places = self.decimal_places

        from_ = self.from_.isoformat()

        to = self.to.isoformat()

        total = self.total.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "categories": categories,
                "decimal_places": decimal_places,
                "from": from_,
                "to": to,
                "total": total,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.category_estimates import CategoryEstimates  # noqa: PLC0415
        from ..models.estimate_figures import EstimateFigures  # noqa: PLC0415

        d = dict(src_dict)
        categories = []
        _categories = d.pop("categories")
        for categories_item_data in _categories:
            categories_item = CategoryEstimates.from_dict(categories_item_data)

            categories.append(categories_item)

        decimal_places = d.pop("decimal_places")

        from_ = datetime.datetime.fromisoformat(d.pop("from"))

        to = datetime.datetime.fromisoformat(d.pop("to"))

        total = EstimateFigures.from_dict(d.pop("total"))

        estimate_report = cls(
            categories=categories,
            decimal_places=decimal_places,
            from_=from_,
            to=to,
            total=total,
        )

        estimate_report.additional_properties = d
        return estimate_report

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
