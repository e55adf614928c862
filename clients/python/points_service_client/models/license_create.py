from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="LicenseCreate")


@_attrs_define
class LicenseCreate:
    """A software license sold to the account.

    Attributes:
        license_key (str): the license's key; it belongs to one account forever (the same content again answers 200,
            other content 409)
        product (str): the code of the license product
        purchased_at (datetime.datetime | None | Unset): when the license was bought (RFC 3339 with an offset,
            normalised to UTC); up to 5 minutes ahead and 7 days back (admins: any past time); omitted or null: now
    """

    license_key: str
    product: str
    purchased_at: datetime.datetime | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        license_key = self.license_key

        product = self.product

        purchased_at: None | str | Unset
        if isinstance(self.purchased_at, Unset):
            purchased_at = UNSET
        elif isinstance(self.purchased_at, datetime.datetime):
            purchased_at = self.purchased_at.isoformat()
        else:
            purchased_at = self.purchased_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "license_key": license_key,
                "product": product,
            }
        )
        if purchased_at is not UNSET:
            field_dict["purchased_at"] = purchased_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        license_key = d.pop("license_key")

        product = d.pop("product")

        def _parse_purchased_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                purchased_at_type_0 = datetime.datetime.fromisoformat(data)

                return purchased_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        purchased_at = _parse_purchased_at(d.pop("purchased_at", UNSET))

        license_create = cls(
            license_key=license_key,
            product=product,
            purchased_at=purchased_at,
        )

        return license_create
