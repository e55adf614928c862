from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.balance import Balance
    from ..models.page_ledger_entry import PageLedgerEntry
    from ..models.page_ticket import PageTicket


T = TypeVar("T", bound="Statement")


@_attrs_define
class Statement:
    """The account page's three parts, from one consistent snapshot. They reconcile: `available` =
    Σ `modifications` `available_delta` − Σ `in_progress` `captured_points` − Σ `closed`
    (`charged_points` − `returned_points`).

        Attributes:
            balance (Balance): An account's points at `as_of`. Due expiries count whether or not they were written yet.
            closed (PageTicket):
            in_progress (PageTicket):
            modifications (PageLedgerEntry):
    """

    balance: Balance
    closed: PageTicket
    in_progress: PageTicket
    modifications: PageLedgerEntry
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        balance = self.balance.to_dict()

        closed = self.closed.to_dict()

        in_progress = self.in_progress.to_dict()

        modifications = self.modifications.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "balance": balance,
                "closed": closed,
                "in_progress": in_progress,
                "modifications": modifications,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.balance import Balance  # noqa: PLC0415
        from ..models.page_ledger_entry import PageLedgerEntry  # noqa: PLC0415
        from ..models.page_ticket import PageTicket  # noqa: PLC0415

        d = dict(src_dict)
        balance = Balance.from_dict(d.pop("balance"))

        closed = PageTicket.from_dict(d.pop("closed"))

        in_progress = PageTicket.from_dict(d.pop("in_progress"))

        modifications = PageLedgerEntry.from_dict(d.pop("modifications"))

        statement = cls(
            balance=balance,
            closed=closed,
            in_progress=in_progress,
            modifications=modifications,
        )

        statement.additional_properties = d
        return statement

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
