from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.price import Price


T = TypeVar("T", bound="BillingOptions")


@_attrs_define
class BillingOptions:
    """What this platform offers for money, so a page shows only what works.

    Attributes:
        payouts (bool): Makers are paid out (Stripe Connect).
        top_up_max (Price):
        top_up_min (Price):
        top_ups (bool): Credits can be bought (Stripe Checkout).
    """

    payouts: bool
    top_up_max: Price
    top_up_min: Price
    top_ups: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        payouts = self.payouts

        top_up_max = self.top_up_max.to_dict()

        top_up_min = self.top_up_min.to_dict()

        top_ups = self.top_ups

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "payouts": payouts,
                "top_up_max": top_up_max,
                "top_up_min": top_up_min,
                "top_ups": top_ups,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.price import Price

        d = dict(src_dict)
        payouts = d.pop("payouts")

        top_up_max = Price.from_dict(d.pop("top_up_max"))

        top_up_min = Price.from_dict(d.pop("top_up_min"))

        top_ups = d.pop("top_ups")

        billing_options = cls(
            payouts=payouts,
            top_up_max=top_up_max,
            top_up_min=top_up_min,
            top_ups=top_ups,
        )

        billing_options.additional_properties = d
        return billing_options

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
