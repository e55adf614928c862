from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.lot_source import LotSource

if TYPE_CHECKING:
    from ..models.money import Money
    from ..models.unit_price import UnitPrice


T = TypeVar("T", bound="Lot")


@_attrs_define
class Lot:
    """One arrival of points, with how many of them are in each state; the states always sum to
    `points`.

        Attributes:
            account_id (str): the account it belongs to
            available (int): whole points spendable now (0 once the lot has expired)
            deducted (int): whole points taken by resolved tickets
            expired (int): whole points that expired while available
            expires_at (datetime.datetime | None): when its available points stop counting (UTC, RFC 3339); null: never
            external_ref (None | str): the previous system's reference; null unless `source` is `import`
            granted_at (datetime.datetime): when the points arrived (UTC, RFC 3339): a purchase's or license's
                `purchased_at`, an import's `granted_at`, otherwise when the lot was created
            held (int): whole points captured by open tickets
            id (str): the lot's id: `lot_` and a ULID
            license_key (None | str): the license that brought the points; null unless `source` is `license_bonus`
            origin_lot_id (None | str): the lot these points were reissued from; null unless `source` is `returned`
            paid (Money | None): the price paid; null unless `source` is `purchase`
            payment_id (None | str): the billing system's payment id (purchases, and imports given one); null otherwise
            plan (None | str): the plan bought; null unless `source` is `purchase`
            points (int): whole points the lot received
            reissued (int): whole points tickets gave back after the lot expired (or nearly), moved into a `returned` lot
            revoked (int): whole points removed because the payment was refunded or charged back
            revoked_at (datetime.datetime | None): when the lot was revoked (UTC, RFC 3339); null unless revoked
            source (LotSource): how the points arrived: a `purchase`, a `license_bonus`, an `adjustment` (+N by an admin),
                an `import` from a previous system, or `returned` (points a ticket gave back after their lot expired)
            unit_price (UnitPrice): What one point of a lot cost: the price paid divided by the points, kept exactly to
                10 decimal places of the currency (rounded half to even); zero when nothing was paid.
            written_off (int): whole points removed by negative adjustments
    """

    account_id: str
    available: int
    deducted: int
    expired: int
    expires_at: datetime.datetime | None
    external_ref: None | str
    granted_at: datetime.datetime
    held: int
    id: str
    license_key: None | str
    origin_lot_id: None | str
    paid: Money | None
    payment_id: None | str
    plan: None | str
    points: int
    reissued: int
    revoked: int
    revoked_at: datetime.datetime | None
    source: LotSource
    unit_price: UnitPrice
    written_off: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.money import Money  # noqa: PLC0415

        account_id = self.account_id

        available = self.available

        deducted = self.deducted

        expired = self.expired

        expires_at: None | str
        if isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        external_ref: None | str
        external_ref = self.external_ref

        granted_at = self.granted_at.isoformat()

        held = self.held

        id = self.id

        license_key: None | str
        license_key = self.license_key

        origin_lot_id: None | str
        origin_lot_id = self.origin_lot_id

        paid: dict[str, Any] | None
        if isinstance(self.paid, Money):
            paid = self.paid.to_dict()
        else:
            paid = self.paid

        payment_id: None | str
        payment_id = self.payment_id

        plan: None | str
        plan = self.plan

        points = self.points

        reissued = self.reissued

        revoked = self.revoked

        revoked_at: None | str
        if isinstance(self.revoked_at, datetime.datetime):
            revoked_at = self.revoked_at.isoformat()
        else:
            revoked_at = self.revoked_at

        source = self.source.value

        unit_price = self.unit_price.to_dict()

        written_off = self.written_off

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "available": available,
                "deducted": deducted,
                "expired": expired,
                "expires_at": expires_at,
                "external_ref": external_ref,
                "granted_at": granted_at,
                "held": held,
                "id": id,
                "license_key": license_key,
                "origin_lot_id": origin_lot_id,
                "paid": paid,
                "payment_id": payment_id,
                "plan": plan,
                "points": points,
                "reissued": reissued,
                "revoked": revoked,
                "revoked_at": revoked_at,
                "source": source,
                "unit_price": unit_price,
                "written_off": written_off,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.money import Money  # noqa: PLC0415
        from ..models.unit_price import UnitPrice  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        available = d.pop("available")

        deducted = d.pop("deducted")

        expired = d.pop("expired")

        def _parse_expires_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        expires_at = _parse_expires_at(d.pop("expires_at"))

        def _parse_external_ref(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        external_ref = _parse_external_ref(d.pop("external_ref"))

        granted_at = datetime.datetime.fromisoformat(d.pop("granted_at"))

        held = d.pop("held")

        id = d.pop("id")

        def _parse_license_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        license_key = _parse_license_key(d.pop("license_key"))

        def _parse_origin_lot_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        origin_lot_id = _parse_origin_lot_id(d.pop("origin_lot_id"))

        def _parse_paid(data: object) -> Money | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                paid_type_0 = Money.from_dict(data)

                return paid_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Money | None, data)

        paid = _parse_paid(d.pop("paid"))

        def _parse_payment_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        payment_id = _parse_payment_id(d.pop("payment_id"))

        def _parse_plan(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        plan = _parse_plan(d.pop("plan"))

        points = d.pop("points")

        reissued = d.pop("reissued")

        revoked = d.pop("revoked")

        def _parse_revoked_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                revoked_at_type_0 = datetime.datetime.fromisoformat(data)

                return revoked_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        revoked_at = _parse_revoked_at(d.pop("revoked_at"))

        source = LotSource(d.pop("source"))

        unit_price = UnitPrice.from_dict(d.pop("unit_price"))

        written_off = d.pop("written_off")

        lot = cls(
            account_id=account_id,
            available=available,
            deducted=deducted,
            expired=expired,
            expires_at=expires_at,
            external_ref=external_ref,
            granted_at=granted_at,
            held=held,
            id=id,
            license_key=license_key,
            origin_lot_id=origin_lot_id,
            paid=paid,
            payment_id=payment_id,
            plan=plan,
            points=points,
            reissued=reissued,
            revoked=revoked,
            revoked_at=revoked_at,
            source=source,
            unit_price=unit_price,
            written_off=written_off,
        )

        lot.additional_properties = d
        return lot

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
