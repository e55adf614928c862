from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.expiry_forecast_row import ExpiryForecastRow


T = TypeVar("T", bound="ExpiryForecast")


@_attrs_define
class ExpiryForecast:
    """The available points that will expire if unused, per currency and calendar month (UTC).

    Attributes:
        as_of (datetime.datetime): when the forecast was taken (UTC, RFC 3339); the first month counts from this instant
        months (int): how many calendar months, the current one first
        rows (list[ExpiryForecastRow]): by currency, then month: exactly `months` rows for every currency with points to
            forecast (months with nothing show zeros); no rows when there are none
    """

    as_of: datetime.datetime
    months: int
    rows: list[ExpiryForecastRow]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        as_of = self.as_of.isoformat()

        months = self.months

        rows = []
        for rows_item_data in self.rows:
            rows_item = rows_item_data.to_dict()
            rows.append(rows_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "as_of": as_of,
                "months": months,
                "rows": rows,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.expiry_forecast_row import ExpiryForecastRow  # noqa: PLC0415

        d = dict(src_dict)
        as_of = datetime.datetime.fromisoformat(d.pop("as_of"))

        months = d.pop("months")

        rows = []
        _rows = d.pop("rows")
        for rows_item_data in _rows:
            rows_item = ExpiryForecastRow.from_dict(rows_item_data)

            rows.append(rows_item)

        expiry_forecast = cls(
            as_of=as_of,
            months=months,
            rows=rows,
        )

        expiry_forecast.additional_properties = d
        return expiry_forecast

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
