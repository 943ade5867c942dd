from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.violation_kind import ViolationKind

T = TypeVar("T", bound="Violation")


@_attrs_define
class Violation:
    """Something a cast of the spell tried that its policy forbids.

    Attributes:
        at (datetime.datetime):
        cast_id (str):
        detail (str):
        kind (ViolationKind):
        version (str):
    """

    at: datetime.datetime
    cast_id: str
    detail: str
    kind: ViolationKind
    version: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        cast_id = self.cast_id

        detail = self.detail

        kind = self.kind.value

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "cast_id": cast_id,
                "detail": detail,
                "kind": kind,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        cast_id = d.pop("cast_id")

        detail = d.pop("detail")

        kind = ViolationKind(d.pop("kind"))

        version = d.pop("version")

        violation = cls(
            at=at,
            cast_id=cast_id,
            detail=detail,
            kind=kind,
            version=version,
        )

        violation.additional_properties = d
        return violation

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
