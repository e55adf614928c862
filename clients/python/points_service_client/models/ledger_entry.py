from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.entry_kind import EntryKind

if TYPE_CHECKING:
    from ..models.posting_out import PostingOut


T = TypeVar("T", bound="LedgerEntry")


@_attrs_define
class LedgerEntry:
    """One operation's effect on an account's points. Entries are never changed or deleted.

    Attributes:
        account_id (str): the account
        actor (str): who did it: the API key's name, `webhook:billing` or `system:expiry`
        available_after (int): the account's available points after the entry
        available_delta (int): signed change of the account's available points, in whole points
        created_at (datetime.datetime): when it was written, or for a pending expiry when it was read (UTC, RFC 3339)
        deducted_after (int): the account's deducted points after the entry
        deducted_delta (int): signed change of the account's deducted points, in whole points
        dispute_id (None | str): the accepted dispute whose credit this is: set on the `return` entry accepting a
            dispute writes (its `reason` is then `dispute`), null on every other entry
        effective_at (datetime.datetime): when it took effect (UTC, RFC 3339): a lot's `expires_at` for an expiry, its
            `granted_at` for a grant, else `created_at`
        held_after (int): the account's held points after the entry
        held_delta (int): signed change of the account's held points, in whole points
        id (str): the entry's id: `le_` and a ULID (`pending:<lot id>` for a pending expiry)
        kind (EntryKind): what a ledger entry records
        lot_id (None | str): the lot, when exactly one is involved; null otherwise
        pending (bool): true for a due expiry not yet written (the account's next write or the sweep writes it)
        postings (list[PostingOut]): the points each lot moved between states
        reason (None | str): the reason given with the operation; null when there was none
        seq (int | None): its place in the account's ledger, gapless from 1; null for a pending expiry, not yet written
        ticket_id (None | str): the ticket that moved the points; null for entries of no ticket
    """

    account_id: str
    actor: str
    available_after: int
    available_delta: int
    created_at: datetime.datetime
    deducted_after: int
    deducted_delta: int
    dispute_id: None | str
    effective_at: datetime.datetime
    held_after: int
    held_delta: int
    id: str
    kind: EntryKind
    lot_id: None | str
    pending: bool
    postings: list[PostingOut]
    reason: None | str
    seq: int | None
    ticket_id: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        actor = self.actor

        available_after = self.available_after

        available_delta = self.available_delta

        created_at = self.created_at.isoformat()

        deducted_after = self.deducted_after

        deducted_delta = self.deducted_delta

        dispute_id: None | str
        dispute_id = self.dispute_id

        effective_at = self.effective_at.isoformat()

        held_after = self.held_after

        held_delta = self.held_delta

        id = self.id

        kind = self.kind.value

        lot_id: None | str
        lot_id = self.lot_id

        pending = self.pending

        postings = []
        for postings_item_data in self.postings:
            postings_item = postings_item_data.to_dict()
            postings.append(postings_item)

        reason: None | str
        reason = self.reason

        seq: int | None
        seq = self.seq

        ticket_id: None | str
        ticket_id = self.ticket_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "actor": actor,
                "available_after": available_after,
                "available_delta": available_delta,
                "created_at": created_at,
                "deducted_after": deducted_after,
                "deducted_delta": deducted_delta,
                "dispute_id": dispute_id,
                "effective_at": effective_at,
                "held_after": held_after,
                "held_delta": held_delta,
                "id": id,
                "kind": kind,
                "lot_id": lot_id,
                "pending": pending,
                "postings": postings,
                "reason": reason,
                "seq": seq,
                "ticket_id": ticket_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.posting_out import PostingOut  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        actor = d.pop("actor")

        available_after = d.pop("available_after")

        available_delta = d.pop("available_delta")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        deducted_after = d.pop("deducted_after")

        deducted_delta = d.pop("deducted_delta")

        def _parse_dispute_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        dispute_id = _parse_dispute_id(d.pop("dispute_id"))

        effective_at = datetime.datetime.fromisoformat(d.pop("effective_at"))

        held_after = d.pop("held_after")

        held_delta = d.pop("held_delta")

        id = d.pop("id")

        kind = EntryKind(d.pop("kind"))

        def _parse_lot_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        lot_id = _parse_lot_id(d.pop("lot_id"))

        pending = d.pop("pending")

        postings = []
        _postings = d.pop("postings")
        for postings_item_data in _postings:
            postings_item = PostingOut.from_dict(postings_item_data)

            postings.append(postings_item)

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        def _parse_seq(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        seq = _parse_seq(d.pop("seq"))

        def _parse_ticket_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        ticket_id = _parse_ticket_id(d.pop("ticket_id"))

        ledger_entry = cls(
            account_id=account_id,
            actor=actor,
            available_after=available_after,
            available_delta=available_delta,
            created_at=created_at,
            deducted_after=deducted_after,
            deducted_delta=deducted_delta,
            dispute_id=dispute_id,
            effective_at=effective_at,
            held_after=held_after,
            held_delta=held_delta,
            id=id,
            kind=kind,
            lot_id=lot_id,
            pending=pending,
            postings=postings,
            reason=reason,
            seq=seq,
            ticket_id=ticket_id,
        )

        ledger_entry.additional_properties = d
        return ledger_entry

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
