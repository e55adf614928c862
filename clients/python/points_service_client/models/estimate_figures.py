from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="EstimateFigures")


@_attrs_define
class EstimateFigures:
    """Tickets closed in the period and how far their charges strayed from their estimates.

    The ratio of a ticket is `charged_points ÷ estimated_points`; tickets that estimated 0 points,
    and tickets refunded before anything was charged (they waited for points, or held none), have
    none. The spread is the population standard deviation.

        Attributes:
            charged_points (int): Σ `charged_points`: what they held when they left `open`
            estimated_points (int): Σ `estimated_points`: what their categories priced them at opening
            ratio_mean (None | str): the mean of their ratios; null when none has one
            ratio_stddev (None | str): the population standard deviation of their ratios, √(Σ(r − mean)² / n); null when
                none has one
            ratio_tickets (int): how many of them have a ratio (estimated above 0, something charged)
            returned_points (int): Σ `returned_points`: what they gave back after leaving `open` (refunds, credits), as of
                now
            software_bug_refunds (int): how many of them were refunded for a software bug (as of now)
            tickets (int): tickets closed in the period (resolved, or refunded while open or waiting)
    """

    charged_points: int
    estimated_points: int
    ratio_mean: None | str
    ratio_stddev: None | str
    ratio_tickets: int
    returned_points: int
    software_bug_refunds: int
    tickets: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        charged_points = self.charged_points

        estimated_points = self.estimated_points

        ratio_mean: None | str
        ratio_mean = self.ratio_mean

        ratio_stddev: None | str
        ratio_stddev = self.ratio_stddev

        ratio_tickets = self.ratio_tickets

        returned_points = self.returned_points

        software_bug_refunds = self.software_bug_refunds

        tickets = self.tickets

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "charged_points": charged_points,
                "estimated_points": estimated_points,
                "ratio_mean": ratio_mean,
                "ratio_stddev": ratio_stddev,
                "ratio_tickets": ratio_tickets,
                "returned_points": returned_points,
                "software_bug_refunds": software_bug_refunds,
                "tickets": tickets,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        charged_points = d.pop("charged_points")

        estimated_points = d.pop("estimated_points")

        def _parse_ratio_mean(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        ratio_mean = _parse_ratio_mean(d.pop("ratio_mean"))

        def _parse_ratio_stddev(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        ratio_stddev = _parse_ratio_stddev(d.pop("ratio_stddev"))

        ratio_tickets = d.pop("ratio_tickets")

        returned_points = d.pop("returned_points")

        software_bug_refunds = d.pop("software_bug_refunds")

        tickets = d.pop("tickets")

        estimate_figures = cls(
            charged_points=charged_points,
            estimated_points=estimated_points,
            ratio_mean=ratio_mean,
            ratio_stddev=ratio_stddev,
            ratio_tickets=ratio_tickets,
            returned_points=returned_points,
            software_bug_refunds=software_bug_refunds,
            tickets=tickets,
        )

        estimate_figures.additional_properties = d
        return estimate_figures

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
