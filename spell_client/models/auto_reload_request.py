from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="AutoReloadRequest")


@_attrs_define
class AutoReloadRequest:
    """
    Attributes:
        amount_usd (str): What one reload buys.
        monthly_cap_usd (str): Most reloads may buy in a calendar month (UTC).
        threshold_usd (str): Reload when available credits fall below this.
        enabled (bool | Unset):  Default: True.
    """

    amount_usd: str
    monthly_cap_usd: str
    threshold_usd: str
    enabled: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        amount_usd = self.amount_usd

        monthly_cap_usd = self.monthly_cap_usd

        threshold_usd = self.threshold_usd

        enabled = self.enabled

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount_usd": amount_usd,
                "monthly_cap_usd": monthly_cap_usd,
                "threshold_usd": threshold_usd,
            }
        )
        if enabled is not UNSET:
            field_dict["enabled"] = enabled

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        amount_usd = d.pop("amount_usd")

        monthly_cap_usd = d.pop("monthly_cap_usd")

        threshold_usd = d.pop("threshold_usd")

        enabled = d.pop("enabled", UNSET)

        auto_reload_request = cls(
            amount_usd=amount_usd,
            monthly_cap_usd=monthly_cap_usd,
            threshold_usd=threshold_usd,
            enabled=enabled,
        )

        return auto_reload_request
