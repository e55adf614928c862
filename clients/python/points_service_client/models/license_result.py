from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.balance import Balance
    from ..models.license_ import License
    from ..models.lot import Lot


T = TypeVar("T", bound="LicenseResult")


@_attrs_define
class LicenseResult:
    """A license, its bonus lot, and the account's balance after it.

    Attributes:
        balance (Balance): An account's points at `as_of`. Due expiries count whether or not they were written yet.
        license_ (License): A software license sold to an account.
        lot (Lot | None): the bonus lot; null when the product's bonus policy gives nothing
    """

    balance: Balance
    license_: License
    lot: Lot | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.lot import Lot  # noqa: PLC0415

        balance = self.balance.to_dict()

        license_ = self.license_.to_dict()

        lot: dict[str, Any] | None
        if isinstance(self.lot, Lot):
            lot = self.lot.to_dict()
        else:
            lot = self.lot

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "balance": balance,
                "license": license_,
                "lot": lot,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.balance import Balance  # noqa: PLC0415
        from ..models.license_ import License  # noqa: PLC0415
        from ..models.lot import Lot  # noqa: PLC0415

        d = dict(src_dict)
        balance = Balance.from_dict(d.pop("balance"))

        license_ = License.from_dict(d.pop("license"))

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

        license_result = cls(
            balance=balance,
            license_=license_,
            lot=lot,
        )

        license_result.additional_properties = d
        return license_result

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
