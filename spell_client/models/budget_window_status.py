from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="BudgetWindowStatus")


@_attrs_define
class BudgetWindowStatus:
    """
    Attributes:
        cap_micros (int | None):
        held_micros (int): Reserved by casts still running.
        period (str): day or month (UTC).
        resets_at (datetime.datetime):
        spent_micros (int):
    """

    cap_micros: int | None
    held_micros: int
    period: str
    resets_at: datetime.datetime
    spent_micros: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cap_micros: int | None
        cap_micros = self.cap_micros

        held_micros = self.held_micros

        period = self.period

        resets_at = self.resets_at.isoformat()

        spent_micros = self.spent_micros

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cap_micros": cap_micros,
                "held_micros": held_micros,
                "period": period,
                "resets_at": resets_at,
                "spent_micros": spent_micros,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_cap_micros(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        cap_micros = _parse_cap_micros(d.pop("cap_micros"))

        held_micros = d.pop("held_micros")

        period = d.pop("period")

        resets_at = datetime.datetime.fromisoformat(d.pop("resets_at"))

        spent_micros = d.pop("spent_micros")

        budget_window_status = cls(
            cap_micros=cap_micros,
            held_micros=held_micros,
            period=period,
            resets_at=resets_at,
            spent_micros=spent_micros,
        )

        budget_window_status.additional_properties = d
        return budget_window_status

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
