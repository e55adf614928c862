from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="License")


@_attrs_define
class License:
    """A software license sold to an account.

    Attributes:
        account_id (str): the account it belongs to
        license_key (str): the license's key
        lot_id (None | str): the lot of bonus points it brought; null when the product's policy gave none
        product (str): the code of the license product
        purchased_at (datetime.datetime): when it was bought (UTC, RFC 3339)
    """

    account_id: str
    license_key: str
    lot_id: None | str
    product: str
    purchased_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        license_key = self.license_key

        lot_id: None | str
        lot_id = self.lot_id

        product = self.product

        purchased_at = self.purchased_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "license_key": license_key,
                "lot_id": lot_id,
                "product": product,
                "purchased_at": purchased_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account_id = d.pop("account_id")

        license_key = d.pop("license_key")

        def _parse_lot_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        lot_id = _parse_lot_id(d.pop("lot_id"))

        product = d.pop("product")

        purchased_at = datetime.datetime.fromisoformat(d.pop("purchased_at"))

        license_ = cls(
            account_id=account_id,
            license_key=license_key,
            lot_id=lot_id,
            product=product,
            purchased_at=purchased_at,
        )

        license_.additional_properties = d
        return license_

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
