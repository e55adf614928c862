from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Disagreement")


@_attrs_define
class Disagreement:
    """One check of the ledger that failed.

    Attributes:
        account_id (str): the account
        check (str): what was checked, e.g. `entries sum to counters` or `lot <id> states sum to points`
        expected (Any): what the check expected: a number, or points per state
        found (Any): what it found instead
    """

    account_id: str
    check: str
    expected: Any
    found: Any
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        check = self.check

        expected = self.expected

        found = self.found

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "check": check,
                "expected": expected,
                "found": found,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account_id = d.pop("account_id")

        check = d.pop("check")

        expected = d.pop("expected")

        found = d.pop("found")

        disagreement = cls(
            account_id=account_id,
            check=check,
            expected=expected,
            found=found,
        )

        disagreement.additional_properties = d
        return disagreement

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
