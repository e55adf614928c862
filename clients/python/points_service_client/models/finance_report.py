from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.finance_report_group_by_type_0 import FinanceReportGroupByType0

if TYPE_CHECKING:
    from ..models.finance_row import FinanceRow


T = TypeVar("T", bound="FinanceReport")


@_attrs_define
class FinanceReport:
    """Points liability over `[from, to)`, per currency, in points and in money. Entries count when
    they were recorded, so a period's report never changes once `to` has passed.

        Attributes:
            from_ (datetime.datetime): start of the period, included (UTC, RFC 3339)
            group_by (FinanceReportGroupByType0 | None): how the rows are split; null: one row per currency
            rows (list[FinanceRow]): by currency, then by group (null first)
            to (datetime.datetime): end of the period, excluded (UTC, RFC 3339)
    """

    from_: datetime.datetime
    group_by: FinanceReportGroupByType0 | None
    rows: list[FinanceRow]
    to: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from_ = self.from_.isoformat()

        group_by: None | str
        if isinstance(self.group_by, FinanceReportGroupByType0):
            group_by = self.group_by.value
        else:
            group_by = self.group_by

        rows = []
        for rows_item_data in self.rows:
            rows_item = rows_item_data.to_dict()
            rows.append(rows_item)

        to = self.to.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "from": from_,
                "group_by": group_by,
                "rows": rows,
                "to": to,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.finance_row import FinanceRow  # noqa: PLC0415

        d = dict(src_dict)
        from_ = datetime.datetime.fromisoformat(d.pop("from"))

        def _parse_group_by(data: object) -> FinanceReportGroupByType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                group_by_type_0 = FinanceReportGroupByType0(data)

                return group_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(FinanceReportGroupByType0 | None, data)

        group_by = _parse_group_by(d.pop("group_by"))

        rows = []
        _rows = d.pop("rows")
        for rows_item_data in _rows:
            rows_item = FinanceRow.from_dict(rows_item_data)

            rows.append(rows_item)

        to = datetime.datetime.fromisoformat(d.pop("to"))

        finance_report = cls(
            from_=from_,
            group_by=group_by,
            rows=rows,
            to=to,
        )

        finance_report.additional_properties = d
        return finance_report

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
