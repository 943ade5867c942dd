from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.earnings_by_spell import EarningsBySpell
    from ..models.price import Price


T = TypeVar("T", bound="Earnings")


@_attrs_define
class Earnings:
    """
    Attributes:
        balance (Price):
        by_spell (EarningsBySpell): Maker share earned per spell, all time.
    """

    balance: Price
    by_spell: EarningsBySpell
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        balance = self.balance.to_dict()

        by_spell = self.by_spell.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "balance": balance,
                "by_spell": by_spell,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.earnings_by_spell import EarningsBySpell
        from ..models.price import Price

        d = dict(src_dict)
        balance = Price.from_dict(d.pop("balance"))

        by_spell = EarningsBySpell.from_dict(d.pop("by_spell"))

        earnings = cls(
            balance=balance,
            by_spell=by_spell,
        )

        earnings.additional_properties = d
        return earnings

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
