from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.history_entry_action import HistoryEntryAction

T = TypeVar("T", bound="HistoryEntry")


@_attrs_define
class HistoryEntry:
    """One change of a ticket.

    Attributes:
        action (HistoryEntryAction): what was done
        actor (str): the name of the API key that made the change
        at (datetime.datetime): when (UTC, RFC 3339)
        note (None | str): the note given (resolve, refund; a dispute's reason or decision for its steps); for the
            credit an accepted dispute gives, the dispute's id; null when none was given
        points (int): whole points: captured (`opened`, `adjusted`), deducted (`resolved`) or given back (`refunded`,
            `credited`)
        reason (None | str): the reason given (adjust, refund, credit); `dispute` for the credit an accepted dispute
            gives (`credited`, as its ledger entry); `dispute <dispute id>` for a dispute's own steps (`disputed`,
            `dispute_accepted`, `dispute_rejected`); null for `opened` and `resolved`
        version (int): the ticket's version after the change
    """

    action: HistoryEntryAction
    actor: str
    at: datetime.datetime
    note: None | str
    points: int
    reason: None | str
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action.value

        actor = self.actor

        at = self.at.isoformat()

        note: None | str
        note = self.note

        points = self.points

        reason: None | str
        reason = self.reason

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "actor": actor,
                "at": at,
                "note": note,
                "points": points,
                "reason": reason,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        action = HistoryEntryAction(d.pop("action"))

        actor = d.pop("actor")

        at = datetime.datetime.fromisoformat(d.pop("at"))

        def _parse_note(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        note = _parse_note(d.pop("note"))

        points = d.pop("points")

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        version = d.pop("version")

        history_entry = cls(
            action=action,
            actor=actor,
            at=at,
            note=note,
            points=points,
            reason=reason,
            version=version,
        )

        history_entry.additional_properties = d
        return history_entry

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
