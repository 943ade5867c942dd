from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="BudgetCaps")


@_attrs_define
class BudgetCaps:
    """Caps in micro-USD; null removes a cap.

    Attributes:
        confirm_above_micros (int | None | Unset): A soft limit: over MCP, a cast priced above it is confirmed by the
            person first (elicitation), or refused with confirmation_required.
        daily_cap_micros (int | None | Unset): Per UTC day.
        monthly_cap_micros (int | None | Unset): Per UTC calendar month.
        per_cast_max_micros (int | None | Unset): Most a single cast may cost.
    """

    confirm_above_micros: int | None | Unset = UNSET
    daily_cap_micros: int | None | Unset = UNSET
    monthly_cap_micros: int | None | Unset = UNSET
    per_cast_max_micros: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        confirm_above_micros: int | None | Unset
        if isinstance(self.confirm_above_micros, Unset):
            confirm_above_micros = UNSET
        else:
            confirm_above_micros = self.confirm_above_micros

        daily_cap_micros: int | None | Unset
        if isinstance(self.daily_cap_micros, Unset):
            daily_cap_micros = UNSET
        else:
            daily_cap_micros = self.daily_cap_micros

        monthly_cap_micros: int | None | Unset
        if isinstance(self.monthly_cap_micros, Unset):
            monthly_cap_micros = UNSET
        else:
            monthly_cap_micros = self.monthly_cap_micros

        per_cast_max_micros: int | None | Unset
        if isinstance(self.per_cast_max_micros, Unset):
            per_cast_max_micros = UNSET
        else:
            per_cast_max_micros = self.per_cast_max_micros

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if confirm_above_micros is not UNSET:
            field_dict["confirm_above_micros"] = confirm_above_micros
        if daily_cap_micros is not UNSET:
            field_dict["daily_cap_micros"] = daily_cap_micros
        if monthly_cap_micros is not UNSET:
            field_dict["monthly_cap_micros"] = monthly_cap_micros
        if per_cast_max_micros is not UNSET:
            field_dict["per_cast_max_micros"] = per_cast_max_micros

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_confirm_above_micros(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        confirm_above_micros = _parse_confirm_above_micros(
            d.pop("confirm_above_micros", UNSET)
        )

        def _parse_daily_cap_micros(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        daily_cap_micros = _parse_daily_cap_micros(d.pop("daily_cap_micros", UNSET))

        def _parse_monthly_cap_micros(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        monthly_cap_micros = _parse_monthly_cap_micros(
            d.pop("monthly_cap_micros", UNSET)
        )

        def _parse_per_cast_max_micros(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        per_cast_max_micros = _parse_per_cast_max_micros(
            d.pop("per_cast_max_micros", UNSET)
        )

        budget_caps = cls(
            confirm_above_micros=confirm_above_micros,
            daily_cap_micros=daily_cap_micros,
            monthly_cap_micros=monthly_cap_micros,
            per_cast_max_micros=per_cast_max_micros,
        )

        return budget_caps
