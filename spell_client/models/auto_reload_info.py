from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.price import Price


T = TypeVar("T", bound="AutoReloadInfo")


@_attrs_define
class AutoReloadInfo:
    """
    Attributes:
        amount (Price):
        card_saved (bool): A top-up kept a card to charge (top up with save_card).
        enabled (bool):
        failures (int): Failed charges in a row; three turn auto-reload off.
        in_flight (bool): A reload is being charged now.
        last_error (None | str):
        monthly_cap (Price):
        this_month (Price):
        threshold (Price):
    """

    amount: Price
    card_saved: bool
    enabled: bool
    failures: int
    in_flight: bool
    last_error: None | str
    monthly_cap: Price
    this_month: Price
    threshold: Price
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount.to_dict()

        card_saved = self.card_saved

        enabled = self.enabled

        failures = self.failures

        in_flight = self.in_flight

        last_error: None | str
        last_error = self.last_error

        monthly_cap = self.monthly_cap.to_dict()

        this_month = self.this_month.to_dict()

        threshold = self.threshold.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "amount": amount,
                "card_saved": card_saved,
                "enabled": enabled,
                "failures": failures,
                "in_flight": in_flight,
                "last_error": last_error,
                "monthly_cap": monthly_cap,
                "this_month": this_month,
                "threshold": threshold,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.price import Price

        d = dict(src_dict)
        amount = Price.from_dict(d.pop("amount"))

        card_saved = d.pop("card_saved")

        enabled = d.pop("enabled")

        failures = d.pop("failures")

        in_flight = d.pop("in_flight")

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("last_error"))

        monthly_cap = Price.from_dict(d.pop("monthly_cap"))

        this_month = Price.from_dict(d.pop("this_month"))

        threshold = Price.from_dict(d.pop("threshold"))

        auto_reload_info = cls(
            amount=amount,
            card_saved=card_saved,
            enabled=enabled,
            failures=failures,
            in_flight=in_flight,
            last_error=last_error,
            monthly_cap=monthly_cap,
            this_month=this_month,
            threshold=threshold,
        )

        auto_reload_info.additional_properties = d
        return auto_reload_info

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
