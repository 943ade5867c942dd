from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="PrivacyPreferences")


@_attrs_define
class PrivacyPreferences:
    """
    Attributes:
        do_not_sell (bool): Do not sell or share my personal information (CCPA). Spell sells none; this is kept on
            record.
        product_emails (bool): E-mails about new features (never without this).
    """

    do_not_sell: bool
    product_emails: bool

    def to_dict(self) -> dict[str, Any]:
        do_not_sell = self.do_not_sell

        product_emails = self.product_emails

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "do_not_sell": do_not_sell,
                "product_emails": product_emails,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        do_not_sell = d.pop("do_not_sell")

        product_emails = d.pop("product_emails")

        privacy_preferences = cls(
            do_not_sell=do_not_sell,
            product_emails=product_emails,
        )

        return privacy_preferences
