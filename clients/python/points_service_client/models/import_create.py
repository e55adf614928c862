from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ImportCreate")


@_attrs_define
class ImportCreate:
    """Points moved from a previous system.

    Attributes:
        external_ref (str): the previous system's reference; imported once (the same content again answers 200)
        granted_at (datetime.datetime): when the previous system granted them (RFC 3339 with an offset, normalised to
            UTC); not in the future
        points (int): whole points to import, at least 1
        reason (str): why, recorded on the ledger entry
        expires_at (datetime.datetime | None | Unset): when they expire (RFC 3339 with an offset, normalised to UTC);
            after `granted_at`, and may be past (the lot is created expired); omitted: two years from `granted_at`; null:
            never
        payment_id (None | str | Unset): the payment behind the points, in the purchases' namespace (its refund revokes
            the lot); omitted or null: none
    """

    external_ref: str
    granted_at: datetime.datetime
    points: int
    reason: str
    expires_at: datetime.datetime | None | Unset = UNSET
    payment_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        external_ref = self.external_ref

        granted_at = self.granted_at.isoformat()

        points = self.points

        reason = self.reason

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        payment_id: None | str | Unset
        if isinstance(self.payment_id, Unset):
            payment_id = UNSET
        else:
            payment_id = self.payment_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "external_ref": external_ref,
                "granted_at": granted_at,
                "points": points,
                "reason": reason,
            }
        )
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if payment_id is not UNSET:
            field_dict["payment_id"] = payment_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        external_ref = d.pop("external_ref")

        granted_at = datetime.datetime.fromisoformat(d.pop("granted_at"))

        points = d.pop("points")

        reason = d.pop("reason")

        def _parse_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        def _parse_payment_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        payment_id = _parse_payment_id(d.pop("payment_id", UNSET))

        import_create = cls(
            external_ref=external_ref,
            granted_at=granted_at,
            points=points,
            reason=reason,
            expires_at=expires_at,
            payment_id=payment_id,
        )

        return import_create
