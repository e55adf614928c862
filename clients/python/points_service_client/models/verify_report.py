from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.disagreement import Disagreement


T = TypeVar("T", bound="VerifyReport")


@_attrs_define
class VerifyReport:
    """The ledger check: every balance recomputed from the ledger and the lots, and compared.

    Attributes:
        checked_accounts (int): accounts checked
        checked_lots (int): lots checked
        disagreements (list[Disagreement]): the checks that failed
        ok (bool): true when every check agreed (`disagreements` is empty)
        next_cursor (None | str | Unset): with `limit`: the next page of accounts to check, null after the last (and
            without `limit`)
    """

    checked_accounts: int
    checked_lots: int
    disagreements: list[Disagreement]
    ok: bool
    next_cursor: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        checked_accounts = self.checked_accounts

        checked_lots = self.checked_lots

        disagreements = []
        for disagreements_item_data in self.disagreements:
            disagreements_item = disagreements_item_data.to_dict()
            disagreements.append(disagreements_item)

        ok = self.ok

        next_cursor: None | str | Unset
        if isinstance(self.next_cursor, Unset):
            next_cursor = UNSET
        else:
            next_cursor = self.next_cursor

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "checked_accounts": checked_accounts,
                "checked_lots": checked_lots,
                "disagreements": disagreements,
                "ok": ok,
            }
        )
        if next_cursor is not UNSET:
            field_dict["next_cursor"] = next_cursor

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.disagreement import Disagreement  # noqa: PLC0415

        d = dict(src_dict)
        checked_accounts = d.pop("checked_accounts")

        checked_lots = d.pop("checked_lots")

        disagreements = []
        _disagreements = d.pop("disagreements")
        for disagreements_item_data in _disagreements:
            disagreements_item = Disagreement.from_dict(disagreements_item_data)

            disagreements.append(disagreements_item)

        ok = d.pop("ok")

        def _parse_next_cursor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor", UNSET))

        verify_report = cls(
            checked_accounts=checked_accounts,
            checked_lots=checked_lots,
            disagreements=disagreements,
            ok=ok,
            next_cursor=next_cursor,
        )

        verify_report.additional_properties = d
        return verify_report

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
