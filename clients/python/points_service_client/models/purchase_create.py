from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.money import Money


T = TypeVar("T", bound="PurchaseCreate")


@_attrs_define
class PurchaseCreate:
    """A point pack bought with a payment.

    Attributes:
        payment_id (str): the billing system's payment id, unique across accounts: the same payment again with the same
            fields answers 200, other content 409
        plan (str): the code of the plan bought (an inactive plan is still accepted)
        paid (Money | None | Unset): the price paid; omitted or null: the plan's price
        purchased_at (datetime.datetime | None | Unset): when it was paid (RFC 3339 with an offset, normalised to UTC);
            up to 5 minutes ahead (counts as now) and 7 days back (admins: any past time); omitted or null: now
    """

    payment_id: str
    plan: str
    paid: Money | None | Unset = UNSET
    purchased_at: datetime.datetime | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.money import Money  # noqa: PLC0415

        payment_id = self.payment_id

        plan = self.plan

        paid: dict[str, Any] | None | Unset
        if isinstance(self.paid, Unset):
            paid = UNSET
        elif isinstance(self.paid, Money):
            paid = self.paid.to_dict()
        else:
            paid = self.paid

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
                "payment_id": payment_id,
                "plan": plan,
            }
        )
        if paid is not UNSET:
            field_dict["paid"] = paid
        if purchased_at is not UNSET:
            field_dict["purchased_at"] = purchased_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.money import Money  # noqa: PLC0415

        d = dict(src_dict)
        payment_id = d.pop("payment_id")

        plan = d.pop("plan")

        def _parse_paid(data: object) -> Money | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                paid_type_0 = Money.from_dict(data)

                return paid_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Money | None | Unset, data)

        paid = _parse_paid(d.pop("paid", UNSET))

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

        purchase_create = cls(
            payment_id=payment_id,
            plan=plan,
            paid=paid,
            purchased_at=purchased_at,
        )

        return purchase_create
