from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="TopUpRequest")


@_attrs_define
class TopUpRequest:
    """
    Attributes:
        amount_usd (str): Credits to buy, in whole cents (tax, where it applies, is added at checkout).
        save_card (bool | Unset): Keep the card at Stripe for automatic reloads. Default: False.
    """

    amount_usd: str
    save_card: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        amount_usd = self.amount_usd

        save_card = self.save_card

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount_usd": amount_usd,
            }
        )
        if save_card is not UNSET:
            field_dict["save_card"] = save_card

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        amount_usd = d.pop("amount_usd")

        save_card = d.pop("save_card", UNSET)

        top_up_request = cls(
            amount_usd=amount_usd,
            save_card=save_card,
        )

        return top_up_request
