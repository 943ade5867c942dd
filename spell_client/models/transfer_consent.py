from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="TransferConsent")


@_attrs_define
class TransferConsent:
    """
    Attributes:
        consent (bool):
    """

    consent: bool

    def to_dict(self) -> dict[str, Any]:
        consent = self.consent

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "consent": consent,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        consent = d.pop("consent")

        transfer_consent = cls(
            consent=consent,
        )

        return transfer_consent
