from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.ticket_create_when_insufficient import TicketCreateWhenInsufficient
from ..types import UNSET, Unset

T = TypeVar("T", bound="TicketCreate")


@_attrs_define
class TicketCreate:
    """A ticket to open; it captures its estimated points.

    Attributes:
        category (str): the code of an active category
        external_ref (str): the helpdesk's reference, unique per account (a repeat answers 409 `conflict` naming the
            existing ticket)
        estimated_points (int | None | Unset): whole points to capture: required for `range` (within it) and
            `upon_request`, optional for `from` (at least `min`; omitted or null: `min`), omitted, null or equal to the
            price for `fixed` and `formula`
        quantity (int | None | Unset): formula categories only, and required there (at least the rule's `min_quantity`);
            omitted or null otherwise
        subject (None | str | Unset): a short description; omitted or null: none
        when_insufficient (TicketCreateWhenInsufficient | Unset): when the account cannot pay now: `reject` (409
            `insufficient-points`) or `wait` (202: the ticket is `awaiting_points`, holds nothing, and is captured when
            points arrive, first come first served) Default: TicketCreateWhenInsufficient.REJECT.
    """

    category: str
    external_ref: str
    estimated_points: int | None | Unset = UNSET
    quantity: int | None | Unset = UNSET
    subject: None | str | Unset = UNSET
    when_insufficient: TicketCreateWhenInsufficient | Unset = TicketCreateWhenInsufficient.REJECT

    def to_dict(self) -> dict[str, Any]:
        category = self.category

        external_ref = self.external_ref

        estimated_points: int | None | Unset
        if isinstance(self.estimated_points, Unset):
            estimated_points = UNSET
        else:
            estimated_points = self.estimated_points

        quantity: int | None | Unset
        if isinstance(self.quantity, Unset):
            quantity = UNSET
        else:
            quantity = self.quantity

        subject: None | str | Unset
        if isinstance(self.subject, Unset):
            subject = UNSET
        else:
            subject = self.subject

        when_insufficient: str | Unset = UNSET
        if not isinstance(self.when_insufficient, Unset):
            when_insufficient = self.when_insufficient.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "category": category,
                "external_ref": external_ref,
            }
        )
        if estimated_points is not UNSET:
            field_dict["estimated_points"] = estimated_points
        if quantity is not UNSET:
            field_dict["quantity"] = quantity
        if subject is not UNSET:
            field_dict["subject"] = subject
        if when_insufficient is not UNSET:
            field_dict["when_insufficient"] = when_insufficient

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        category = d.pop("category")

        external_ref = d.pop("external_ref")

        def _parse_estimated_points(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        estimated_points = _parse_estimated_points(d.pop("estimated_points", UNSET))

        def _parse_quantity(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        quantity = _parse_quantity(d.pop("quantity", UNSET))

        def _parse_subject(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        subject = _parse_subject(d.pop("subject", UNSET))

        _when_insufficient = d.pop("when_insufficient", UNSET)
        when_insufficient: TicketCreateWhenInsufficient | Unset
        if isinstance(_when_insufficient, Unset):
            when_insufficient = UNSET
        else:
            when_insufficient = TicketCreateWhenInsufficient(_when_insufficient)

        ticket_create = cls(
            category=category,
            external_ref=external_ref,
            estimated_points=estimated_points,
            quantity=quantity,
            subject=subject,
            when_insufficient=when_insufficient,
        )

        return ticket_create
