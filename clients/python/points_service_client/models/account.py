from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.account_metadata import AccountMetadata
    from ..models.balance import Balance


T = TypeVar("T", bound="Account")


@_attrs_define
class Account:
    """A customer account and its balance.

    Attributes:
        account_id (str): the helpdesk's customer id: 1–64 of `[A-Za-z0-9._:-]`, case-sensitive
        balance (Balance): An account's points at `as_of`. Due expiries count whether or not they were written yet.
        created_at (datetime.datetime): when the account was created (UTC, RFC 3339)
        display_name (None | str): the name shown to staff; null when not set
        low_balance_threshold (int | None): `balance.low` is sent when `available` falls below it, `balance.recovered`
            when it is back; null: off
        metadata (AccountMetadata): free-form JSON object kept for the caller; `{}` when not set
        updated_at (datetime.datetime): when `display_name`, `metadata` or `low_balance_threshold` last changed (UTC,
            RFC 3339)
    """

    account_id: str
    balance: Balance
    created_at: datetime.datetime
    display_name: None | str
    low_balance_threshold: int | None
    metadata: AccountMetadata
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        balance = self.balance.to_dict()

        created_at = self.created_at.isoformat()

        display_name: None | str
        display_name = self.display_name

        low_balance_threshold: int | None
        low_balance_threshold = self.low_balance_threshold

        metadata = self.metadata.to_dict()

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "balance": balance,
                "created_at": created_at,
                "display_name": display_name,
                "low_balance_threshold": low_balance_threshold,
                "metadata": metadata,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.account_metadata import AccountMetadata  # noqa: PLC0415
        from ..models.balance import Balance  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        balance = Balance.from_dict(d.pop("balance"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_display_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        display_name = _parse_display_name(d.pop("display_name"))

        def _parse_low_balance_threshold(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        low_balance_threshold = _parse_low_balance_threshold(d.pop("low_balance_threshold"))

        metadata = AccountMetadata.from_dict(d.pop("metadata"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        account = cls(
            account_id=account_id,
            balance=balance,
            created_at=created_at,
            display_name=display_name,
            low_balance_threshold=low_balance_threshold,
            metadata=metadata,
            updated_at=updated_at,
        )

        account.additional_properties = d
        return account

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
