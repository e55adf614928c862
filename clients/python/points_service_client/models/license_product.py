from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.license_product_bonus_policy import LicenseProductBonusPolicy

T = TypeVar("T", bound="LicenseProduct")


@_attrs_define
class LicenseProduct:
    """A software license product, and the bonus points its licenses bring.

    Attributes:
        active (bool): false once retired: no longer listed
        bonus_points (int): whole points a license of this product brings (0: none)
        bonus_policy (LicenseProductBonusPolicy): `first_license`: a bonus only with the account's first license of any
            product; `every_license`: a bonus with every license
        code (str): the product's code, e.g. `default`
        name (str): the product's name
    """

    active: bool
    bonus_points: int
    bonus_policy: LicenseProductBonusPolicy
    code: str
    name: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        active = self.active

        bonus_points = self.bonus_points

        bonus_policy = self.bonus_policy.value

        code = self.code

        name = self.name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "active": active,
                "bonus_points": bonus_points,
                "bonus_policy": bonus_policy,
                "code": code,
                "name": name,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        active = d.pop("active")

        bonus_points = d.pop("bonus_points")

        bonus_policy = LicenseProductBonusPolicy(d.pop("bonus_policy"))

        code = d.pop("code")

        name = d.pop("name")

        license_product = cls(
            active=active,
            bonus_points=bonus_points,
            bonus_policy=bonus_policy,
            code=code,
            name=name,
        )

        license_product.additional_properties = d
        return license_product

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
