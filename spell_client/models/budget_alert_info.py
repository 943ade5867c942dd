from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="BudgetAlertInfo")


@_attrs_define
class BudgetAlertInfo:
    """
    Attributes:
        at (datetime.datetime):
        period (str):
        threshold (int): Percent of the cap crossed: 50, 80 or 100.
        window_start (datetime.datetime):
    """

    at: datetime.datetime
    period: str
    threshold: int
    window_start: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        period = self.period

        threshold = self.threshold

        window_start = self.window_start.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "period": period,
                "threshold": threshold,
                "window_start": window_start,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        period = d.pop("period")

        threshold = d.pop("threshold")

        window_start = datetime.datetime.fromisoformat(d.pop("window_start"))

        budget_alert_info = cls(
            at=at,
            period=period,
            threshold=threshold,
            window_start=window_start,
        )

        budget_alert_info.additional_properties = d
        return budget_alert_info

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
