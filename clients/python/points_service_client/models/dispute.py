from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.dispute_status import DisputeStatus

T = TypeVar("T", bound="Dispute")


@_attrs_define
class Dispute:
    """A claim that a resolved ticket cost too much, and how it was decided.

    Attributes:
        account_id (str): the ticket's account
        closed_at (datetime.datetime | None): when it was accepted or rejected (UTC, RFC 3339); null while open
        closed_by (None | str): the name of the API key that decided it; null while open
        id (str): the dispute's id: `dsp_` and a ULID
        opened_at (datetime.datetime): when it was opened (UTC, RFC 3339)
        opened_by (str): the name of the API key that opened it
        points_claimed (int | None): whole points claimed back; null: everything left to return
        points_credited (int | None): whole points credited back on acceptance; null unless accepted
        reason (str): why the charge was disputed
        resolution_note (None | str): why it was accepted or rejected; null while open
        status (DisputeStatus): `open` until a helpdesk agent accepts (points credited) or rejects it
        ticket_id (str): the disputed ticket
    """

    account_id: str
    closed_at: datetime.datetime | None
    closed_by: None | str
    id: str
    opened_at: datetime.datetime
    opened_by: str
    points_claimed: int | None
    points_credited: int | None
    reason: str
    resolution_note: None | str
    status: DisputeStatus
    ticket_id: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        closed_at: None | str
        if isinstance(self.closed_at, datetime.datetime):
            closed_at = self.closed_at.isoformat()
        else:
            closed_at = self.closed_at

        closed_by: None | str
        closed_by = self.closed_by

        id = self.id

        opened_at = self.opened_at.isoformat()

        opened_by = self.opened_by

        points_claimed: int | None
        points_claimed = self.points_claimed

        points_credited: int | None
        points_credited = self.points_credited

        reason = self.reason

        resolution_note: None | str
        resolution_note = self.resolution_note

        status = self.status.value

        ticket_id = self.ticket_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "closed_at": closed_at,
                "closed_by": closed_by,
                "id": id,
                "opened_at": opened_at,
                "opened_by": opened_by,
                "points_claimed": points_claimed,
                "points_credited": points_credited,
                "reason": reason,
                "resolution_note": resolution_note,
                "status": status,
                "ticket_id": ticket_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account_id = d.pop("account_id")

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

        def _parse_closed_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        closed_by = _parse_closed_by(d.pop("closed_by"))

        id = d.pop("id")

        opened_at = datetime.datetime.fromisoformat(d.pop("opened_at"))

        opened_by = d.pop("opened_by")

        def _parse_points_claimed(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        points_claimed = _parse_points_claimed(d.pop("points_claimed"))

        def _parse_points_credited(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        points_credited = _parse_points_credited(d.pop("points_credited"))

        reason = d.pop("reason")

        def _parse_resolution_note(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        resolution_note = _parse_resolution_note(d.pop("resolution_note"))

        status = DisputeStatus(d.pop("status"))

        ticket_id = d.pop("ticket_id")

        dispute = cls(
            account_id=account_id,
            closed_at=closed_at,
            closed_by=closed_by,
            id=id,
            opened_at=opened_at,
            opened_by=opened_by,
            points_claimed=points_claimed,
            points_credited=points_credited,
            reason=reason,
            resolution_note=resolution_note,
            status=status,
            ticket_id=ticket_id,
        )

        dispute.additional_properties = d
        return dispute

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
