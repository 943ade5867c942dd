from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="GrantRequest")


@_attrs_define
class GrantRequest:
    """
    Attributes:
        amount_usd (str): Credits to give; negative takes back (at most what is available).
        reason (str): Why: shown to the caster.
    """

    amount_usd: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        amount_usd = self.amount_usd

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount_usd": amount_usd,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        amount_usd = d.pop("amount_usd")

        reason = d.pop("reason")

        grant_request = cls(
            amount_usd=amount_usd,
            reason=reason,
        )

        return grant_request
