from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.ticket_refund_reason import TicketRefundReason
from ..types import UNSET, Unset

T = TypeVar("T", bound="TicketRefund")


@_attrs_define
class TicketRefund:
    """Refund a ticket: every point not yet returned goes back.

    Attributes:
        reason (TicketRefundReason): `software_bug` and `other` are the vendor's doing: points whose lot has expired (or
            expires within the return grace) come back in a new `returned` lot; with `withdrawn` and `duplicate`, points of
            an expired lot expire
        note (None | str | Unset): free text recorded in the ticket's history; omitted or null: none
    """

    reason: TicketRefundReason
    note: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        reason = self.reason.value

        note: None | str | Unset
        if isinstance(self.note, Unset):
            note = UNSET
        else:
            note = self.note

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "reason": reason,
            }
        )
        if note is not UNSET:
            field_dict["note"] = note

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        reason = TicketRefundReason(d.pop("reason"))

        def _parse_note(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        note = _parse_note(d.pop("note", UNSET))

        ticket_refund = cls(
            reason=reason,
            note=note,
        )

        return ticket_refund
