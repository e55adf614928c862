from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.balance import Balance
    from ..models.lot import Lot
    from ..models.posting_out import PostingOut


T = TypeVar("T", bound="AdjustmentResult")


@_attrs_define
class AdjustmentResult:
    """The outcome of an adjustment: a new lot (+N, 201) or the points written off (−N, 200).

    Attributes:
        balance (Balance): An account's points at `as_of`. Due expiries count whether or not they were written yet.
        lot (Lot | None): the new lot (+N); null for a write-off (−N)
        postings (list[PostingOut]): the points written off, per lot (−N); empty for +N
    """

    balance: Balance
    lot: Lot | None
    postings: list[PostingOut]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.lot import Lot  # noqa: PLC0415

        balance = self.balance.to_dict()

        lot: dict[str, Any] | None
        if isinstance(self.lot, Lot):
            lot = self.lot.to_dict()
        else:
            lot = self.lot

        postings = []
        for postings_item_data in self.postings:
            postings_item = postings_item_data.to_dict()
            postings.append(postings_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "balance": balance,
                "lot": lot,
                "postings": postings,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.balance import Balance  # noqa: PLC0415
        from ..models.lot import Lot  # noqa: PLC0415
        from ..models.posting_out import PostingOut  # noqa: PLC0415

        d = dict(src_dict)
        balance = Balance.from_dict(d.pop("balance"))

        def _parse_lot(data: object) -> Lot | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                lot_type_0 = Lot.from_dict(data)

                return lot_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Lot | None, data)

        lot = _parse_lot(d.pop("lot"))

        postings = []
        _postings = d.pop("postings")
        for postings_item_data in _postings:
            postings_item = PostingOut.from_dict(postings_item_data)

            postings.append(postings_item)

        adjustment_result = cls(
            balance=balance,
            lot=lot,
            postings=postings,
        )

        adjustment_result.additional_properties = d
        return adjustment_result

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
