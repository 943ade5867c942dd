from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="DataTransfer")


@_attrs_define
class DataTransfer:
    """
    Attributes:
        consent (bool): Whether you consent; without it, the feature stops for you.
        country (str):
        name (str):
        purpose (str):
        receives (str):
        recipient (str): Its id in PUT /v1/users/me/privacy/data-transfers/{recipient}.
    """

    consent: bool
    country: str
    name: str
    purpose: str
    receives: str
    recipient: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        consent = self.consent

        country = self.country

        name = self.name

        purpose = self.purpose

        receives = self.receives

        recipient = self.recipient

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "consent": consent,
                "country": country,
                "name": name,
                "purpose": purpose,
                "receives": receives,
                "recipient": recipient,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        consent = d.pop("consent")

        country = d.pop("country")

        name = d.pop("name")

        purpose = d.pop("purpose")

        receives = d.pop("receives")

        recipient = d.pop("recipient")

        data_transfer = cls(
            consent=consent,
            country=country,
            name=name,
            purpose=purpose,
            receives=receives,
            recipient=recipient,
        )

        data_transfer.additional_properties = d
        return data_transfer

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
