from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.account_put_metadata_type_0 import AccountPutMetadataType0


T = TypeVar("T", bound="AccountPut")


@_attrs_define
class AccountPut:
    """What to set on an account (created when new). Fields left out keep their value.

    Attributes:
        display_name (None | str | Unset): the name shown to staff, 1–200 characters; null clears it; omitted: unchanged
        low_balance_threshold (int | None | Unset): whole points: `balance.low` is sent once when `available` falls
            below it (at once if it already is), `balance.recovered` once when it is back at or above it; null turns it off;
            omitted: unchanged
        metadata (AccountPutMetadataType0 | None | Unset): free-form JSON object of at most 50 keys, replacing the
            stored one; null clears it; omitted: unchanged
    """

    display_name: None | str | Unset = UNSET
    low_balance_threshold: int | None | Unset = UNSET
    metadata: AccountPutMetadataType0 | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.account_put_metadata_type_0 import AccountPutMetadataType0  # noqa: PLC0415

        display_name: None | str | Unset
        if isinstance(self.display_name, Unset):
            display_name = UNSET
        else:
            display_name = self.display_name

        low_balance_threshold: int | None | Unset
        if isinstance(self.low_balance_threshold, Unset):
            low_balance_threshold = UNSET
        else:
            low_balance_threshold = self.low_balance_threshold

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, AccountPutMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if display_name is not UNSET:
            field_dict["display_name"] = display_name
        if low_balance_threshold is not UNSET:
            field_dict["low_balance_threshold"] = low_balance_threshold
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.account_put_metadata_type_0 import AccountPutMetadataType0  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_display_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        display_name = _parse_display_name(d.pop("display_name", UNSET))

        def _parse_low_balance_threshold(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        low_balance_threshold = _parse_low_balance_threshold(d.pop("low_balance_threshold", UNSET))

        def _parse_metadata(data: object) -> AccountPutMetadataType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = AccountPutMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AccountPutMetadataType0 | None | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        account_put = cls(
            display_name=display_name,
            low_balance_threshold=low_balance_threshold,
            metadata=metadata,
        )

        return account_put
