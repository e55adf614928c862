from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.ticket_status import TicketStatus

if TYPE_CHECKING:
    from ..models.fixed_pricing import FixedPricing
    from ..models.formula_pricing import FormulaPricing
    from ..models.from_pricing import FromPricing
    from ..models.range_pricing import RangePricing
    from ..models.upon_request_pricing import UponRequestPricing


T = TypeVar("T", bound="Ticket")


@_attrs_define
class Ticket:
    """A support ticket and the points it captured, took and gave back.

    Attributes:
        account_id (str): the account whose points it uses
        captured_points (int): whole points held now; 0 once closed
        category (str): the code of its category
        charged_points (int): whole points held when it left `open`; 0 while open
        closed_at (datetime.datetime | None): when it left `open`, resolved or refunded (UTC, RFC 3339); null while the
            ticket is open
        deducted_points (int): whole points taken at resolution; 0 while open, and if refunded while open
        estimated_points (int): whole points the pricing rule gave at opening
        external_ref (str): the helpdesk's reference, unique per account
        forfeited_points (int): whole points that went back to a revoked lot and were revoked again at once
        id (str): the ticket's id: `tkt_` and a ULID
        opened_at (datetime.datetime): when it was opened (UTC, RFC 3339)
        pricing (FixedPricing | FormulaPricing | FromPricing | RangePricing | UponRequestPricing): the pricing rule it
            was opened (or reclassified) with
        quantity (int | None): the quantity it was priced with (formula rules); null otherwise
        refunded_at (datetime.datetime | None): when it was refunded (UTC, RFC 3339); null unless it was refunded
        resolved_at (datetime.datetime | None): when it was resolved (UTC, RFC 3339); null unless it was resolved
        returned_points (int): whole points given back after it left `open`, by a refund or credits (lowering a capture
            is not a return)
        status (TicketStatus): `open`, then `resolved` or `refunded`
        subject (None | str): a short description; null when none was given
        version (int): 1 at opening, one more on each change; the `ETag`, checked against `If-Match`
    """

    account_id: str
    captured_points: int
    category: str
    charged_points: int
    closed_at: datetime.datetime | None
    deducted_points: int
    estimated_points: int
    external_ref: str
    forfeited_points: int
    id: str
    opened_at: datetime.datetime
    pricing: FixedPricing | FormulaPricing | FromPricing | RangePricing | UponRequestPricing
    quantity: int | None
    refunded_at: datetime.datetime | None
    resolved_at: datetime.datetime | None
    returned_points: int
    status: TicketStatus
    subject: None | str
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.fixed_pricing import FixedPricing  # noqa: PLC0415
        from ..models.formula_pricing import FormulaPricing  # noqa: PLC0415
        from ..models.from_pricing import FromPricing  # noqa: PLC0415
        from ..models.range_pricing import RangePricing  # noqa: PLC0415

        account_id = self.account_id

        captured_points = self.captured_points

        category = self.category

        charged_points = self.charged_points

        closed_at: None | str
        if isinstance(self.closed_at, datetime.datetime):
            closed_at = self.closed_at.isoformat()
        else:
            closed_at = self.closed_at

        deducted_points = self.deducted_points

        estimated_points = self.estimated_points

        external_ref = self.external_ref

        forfeited_points = self.forfeited_points

        id = self.id

        opened_at = self.opened_at.isoformat()

        pricing: dict[str, Any]
        if isinstance(self.pricing, FixedPricing):
            pricing = self.pricing.to_dict()
        elif isinstance(self.pricing, RangePricing):
            pricing = self.pricing.to_dict()
        elif isinstance(self.pricing, FromPricing):
            pricing = self.pricing.to_dict()
        elif isinstance(self.pricing, FormulaPricing):
            pricing = self.pricing.to_dict()
        else:
            pricing = self.pricing.to_dict()

        quantity: int | None
        quantity = self.quantity

        refunded_at: None | str
        if isinstance(self.refunded_at, datetime.datetime):
            refunded_at = self.refunded_at.isoformat()
        else:
            refunded_at = self.refunded_at

        resolved_at: None | str
        if isinstance(self.resolved_at, datetime.datetime):
            resolved_at = self.resolved_at.isoformat()
        else:
            resolved_at = self.resolved_at

        returned_points = self.returned_points

        status = self.status.value

        subject: None | str
        subject = self.subject

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "captured_points": captured_points,
                "category": category,
                "charged_points": charged_points,
                "closed_at": closed_at,
                "deducted_points": deducted_points,
                "estimated_points": estimated_points,
                "external_ref": external_ref,
                "forfeited_points": forfeited_points,
                "id": id,
                "opened_at": opened_at,
                "pricing": pricing,
                "quantity": quantity,
                "refunded_at": refunded_at,
                "resolved_at": resolved_at,
                "returned_points": returned_points,
                "status": status,
                "subject": subject,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.fixed_pricing import FixedPricing  # noqa: PLC0415
        from ..models.formula_pricing import FormulaPricing  # noqa: PLC0415
        from ..models.from_pricing import FromPricing  # noqa: PLC0415
        from ..models.range_pricing import RangePricing  # noqa: PLC0415
        from ..models.upon_request_pricing import UponRequestPricing  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        captured_points = d.pop("captured_points")

        category = d.pop("category")

        charged_points = d.pop("charged_points")

        def _parse_closed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                closed_at_type_0 = datetime.datetime.fromisoformat(data)

                return closed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        closed_at = _parse_closed_at(d.pop("closed_at"))

        deducted_points = d.pop("deducted_points")

        estimated_points = d.pop("estimated_points")

        external_ref = d.pop("external_ref")

        forfeited_points = d.pop("forfeited_points")

        id = d.pop("id")

        opened_at = datetime.datetime.fromisoformat(d.pop("opened_at"))

        def _parse_pricing(
            data: object,
        ) -> FixedPricing | FormulaPricing | FromPricing | RangePricing | UponRequestPricing:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pricing_type_0 = FixedPricing.from_dict(data)

                return pricing_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pricing_type_1 = RangePricing.from_dict(data)

                return pricing_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pricing_type_2 = FromPricing.from_dict(data)

                return pricing_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pricing_type_3 = FormulaPricing.from_dict(data)

                return pricing_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            pricing_type_4 = UponRequestPricing.from_dict(data)

            return pricing_type_4

        pricing = _parse_pricing(d.pop("pricing"))

        def _parse_quantity(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        quantity = _parse_quantity(d.pop("quantity"))

        def _parse_refunded_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                refunded_at_type_0 = datetime.datetime.fromisoformat(data)

                return refunded_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        refunded_at = _parse_refunded_at(d.pop("refunded_at"))

        def _parse_resolved_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                resolved_at_type_0 = datetime.datetime.fromisoformat(data)

                return resolved_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        resolved_at = _parse_resolved_at(d.pop("resolved_at"))

        returned_points = d.pop("returned_points")

        status = TicketStatus(d.pop("status"))

        def _parse_subject(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        subject = _parse_subject(d.pop("subject"))

        version = d.pop("version")

        ticket = cls(
            account_id=account_id,
            captured_points=captured_points,
            category=category,
            charged_points=charged_points,
            closed_at=closed_at,
            deducted_points=deducted_points,
            estimated_points=estimated_points,
            external_ref=external_ref,
            forfeited_points=forfeited_points,
            id=id,
            opened_at=opened_at,
            pricing=pricing,
            quantity=quantity,
            refunded_at=refunded_at,
            resolved_at=resolved_at,
            returned_points=returned_points,
            status=status,
            subject=subject,
            version=version,
        )

        ticket.additional_properties = d
        return ticket

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
