from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.license_product_put_bonus_policy import LicenseProductPutBonusPolicy
from ..types import UNSET, Unset

T = TypeVar("T", bound="LicenseProductPut")


@_attrs_define
class LicenseProductPut:
    """A license product to create or change; its code is in the path.

    Attributes:
        bonus_points (int): whole points a license of this product brings (0: none)
        bonus_policy (LicenseProductPutBonusPolicy): `first_license`: a bonus only with the account's first license of
            any product; `every_license`: a bonus with every license
        name (str): the product's name
        active (bool | Unset): `false` retires the product: it is no longer listed Default: True.
    """

    bonus_points: int
    bonus_policy: LicenseProductPutBonusPolicy
    name: str
    active: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        bonus_points = self.bonus_points

        bonus_policy = self.bonus_policy.value

        name = self.name

        active = self.active

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "bonus_points": bonus_points,
                "bonus_policy": bonus_policy,
                "name": name,
            }
        )
        if active is not UNSET:
            field_dict["active"] = active

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        bonus_points = d.pop("bonus_points")

        bonus_policy = LicenseProductPutBonusPolicy(d.pop("bonus_policy"))

        name = d.pop("name")

        active = d.pop("active", UNSET)

        license_product_put = cls(
            bonus_points=bonus_points,
            bonus_policy=bonus_policy,
            name=name,
            active=active,
        )

        return license_product_put
