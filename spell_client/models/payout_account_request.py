from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PayoutAccountRequest")


@_attrs_define
class PayoutAccountRequest:
    """
    Attributes:
        country (str | Unset): Where the maker's bank account is (ISO 3166-1). Default: 'US'.
    """

    country: str | Unset = "US"

    def to_dict(self) -> dict[str, Any]:
        country = self.country

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if country is not UNSET:
            field_dict["country"] = country

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        country = d.pop("country", UNSET)

        payout_account_request = cls(
            country=country,
        )

        return payout_account_request
