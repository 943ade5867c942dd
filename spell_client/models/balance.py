from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.price import Price


T = TypeVar("T", bound="Balance")


@_attrs_define
class Balance:
    """
    Attributes:
        available (Price):
        balance (Price):
        debt (Price):
        frozen (Price):
        held (Price):
    """

    available: Price
    balance: Price
    debt: Price
    frozen: Price
    held: Price
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        available = self.available.to_dict()

        balance = self.balance.to_dict()

        debt = self.debt.to_dict()

        frozen = self.frozen.to_dict()

        held = self.held.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "available": available,
                "balance": balance,
                "debt": debt,
                "frozen": frozen,
                "held": held,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.price import Price

        d = dict(src_dict)
        available = Price.from_dict(d.pop("available"))

        balance = Price.from_dict(d.pop("balance"))

        debt = Price.from_dict(d.pop("debt"))

        frozen = Price.from_dict(d.pop("frozen"))

        held = Price.from_dict(d.pop("held"))

        balance = cls(
            available=available,
            balance=balance,
            debt=debt,
            frozen=frozen,
            held=held,
        )

        balance.additional_properties = d
        return balance

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
