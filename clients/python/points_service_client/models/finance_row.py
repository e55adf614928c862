from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.finance_row_currency import FinanceRowCurrency

if TYPE_CHECKING:
    from ..models.finance_money import FinanceMoney
    from ..models.finance_points import FinancePoints


T = TypeVar("T", bound="FinanceRow")


@_attrs_define
class FinanceRow:
    """One currency's figures, or one group's with `group_by`. By account and by plan each row keeps
    `closing = opening + granted − recognized + returned − breakage − revoked − written_off`; by
    category only `recognized` and `returned` are split, the rest is in the row whose category is
    null.

        Attributes:
            account_id (None | str): the account (`group_by=account`); null otherwise
            category (None | str): the ticket category (`group_by=category`); null for everything but ticket figures
            currency (FinanceRowCurrency): ISO 4217 code of a currency with minor units
            money (FinanceMoney): The same figures valued at each point's lot `unit_price`, in the row's currency.
            plan (None | str): the plan the points were bought under (`group_by=plan`; a returned lot counts under its
                origin's); null for lots without a plan, and when not grouped by plan
            points (FinancePoints): The report's figures in whole points.
    """

    account_id: None | str
    category: None | str
    currency: FinanceRowCurrency
    money: FinanceMoney
    plan: None | str
    points: FinancePoints
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id: None | str
        account_id = self.account_id

        category: None | str
        category = self.category

        currency = self.currency.value

        money = self.money.to_dict()

        plan: None | str
        plan = self.plan

        points = self.points.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "category": category,
                "currency": currency,
                "money": money,
                "plan": plan,
                "points": points,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.finance_money import FinanceMoney  # noqa: PLC0415
        from ..models.finance_points import FinancePoints  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_account_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        account_id = _parse_account_id(d.pop("account_id"))

        def _parse_category(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        category = _parse_category(d.pop("category"))

        currency = FinanceRowCurrency(d.pop("currency"))

        money = FinanceMoney.from_dict(d.pop("money"))

        def _parse_plan(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        plan = _parse_plan(d.pop("plan"))

        points = FinancePoints.from_dict(d.pop("points"))

        finance_row = cls(
            account_id=account_id,
            category=category,
            currency=currency,
            money=money,
            plan=plan,
            points=points,
        )

        finance_row.additional_properties = d
        return finance_row

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
