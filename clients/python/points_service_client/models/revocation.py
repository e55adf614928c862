from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.lot import Lot


T = TypeVar("T", bound="Revocation")


@_attrs_define
class Revocation:
    """A revoked lot and where its points were. `revoked`, `held_by_open_tickets`, `unrecoverable`,
    `already_expired`, `written_off` and `reissued` sum to the lot's points.

        Attributes:
            already_expired (int): whole points that had expired
            held_by_open_tickets (int): whole points still held by open tickets; revoked when they come back
            lot (Lot): One arrival of points, with how many of them are in each state; the states always sum to
                `points`.
            reissued (int): whole points given back after the lot expired and moved into `returned` lots
            revoked (int): whole points revoked: those available at revocation, and held ones that came back since
            revoked_from_reissued_lots (int): whole points revoked from the lots reissued from this one (its `origin_lot_id`
                chain)
            unrecoverable (int): whole points resolved tickets had already taken
            written_off (int): whole points written off by negative adjustments
    """

    already_expired: int
    held_by_open_tickets: int
    lot: Lot
    reissued: int
    revoked: int
    revoked_from_reissued_lots: int
    unrecoverable: int
    written_off: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        already_expired = self.already_expired

        held_by_open_tickets = self.held_by_open_tickets

        lot = self.lot.to_dict()

        reissued = self.reissued

        revoked = self.revoked

        revoked_from_reissued_lots = self.revoked_from_reissued_lots

        unrecoverable = self.unrecoverable

        written_off = self.written_off

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "already_expired": already_expired,
                "held_by_open_tickets": held_by_open_tickets,
                "lot": lot,
                "reissued": reissued,
                "revoked": revoked,
                "revoked_from_reissued_lots": revoked_from_reissued_lots,
                "unrecoverable": unrecoverable,
                "written_off": written_off,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.lot import Lot  # noqa: PLC0415

        d = dict(src_dict)
        already_expired = d.pop("already_expired")

        held_by_open_tickets = d.pop("held_by_open_tickets")

        lot = Lot.from_dict(d.pop("lot"))

        reissued = d.pop("reissued")

        revoked = d.pop("revoked")

        revoked_from_reissued_lots = d.pop("revoked_from_reissued_lots")

        unrecoverable = d.pop("unrecoverable")

        written_off = d.pop("written_off")

        revocation = cls(
            already_expired=already_expired,
            held_by_open_tickets=held_by_open_tickets,
            lot=lot,
            reissued=reissued,
            revoked=revoked,
            revoked_from_reissued_lots=revoked_from_reissued_lots,
            unrecoverable=unrecoverable,
            written_off=written_off,
        )

        revocation.additional_properties = d
        return revocation

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
