from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.legal_hold_request_target_type import LegalHoldRequestTargetType

T = TypeVar("T", bound="LegalHoldRequest")


@_attrs_define
class LegalHoldRequest:
    """
    Attributes:
        reason (str):
        target_id (str):
        target_type (LegalHoldRequestTargetType):
    """

    reason: str
    target_id: str
    target_type: LegalHoldRequestTargetType

    def to_dict(self) -> dict[str, Any]:
        reason = self.reason

        target_id = self.target_id

        target_type = self.target_type.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "reason": reason,
                "target_id": target_id,
                "target_type": target_type,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        reason = d.pop("reason")

        target_id = d.pop("target_id")

        target_type = LegalHoldRequestTargetType(d.pop("target_type"))

        legal_hold_request = cls(
            reason=reason,
            target_id=target_id,
            target_type=target_type,
        )

        return legal_hold_request
