from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.my_spell_status import MySpellStatus

T = TypeVar("T", bound="MySpell")


@_attrs_define
class MySpell:
    """
    Attributes:
        created_at (datetime.datetime):
        key (str):
        latest_version (str):
        status (MySpellStatus): Suspended by an operator: not castable.
    """

    created_at: datetime.datetime
    key: str
    latest_version: str
    status: MySpellStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        key = self.key

        latest_version = self.latest_version

        status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "key": key,
                "latest_version": latest_version,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        key = d.pop("key")

        latest_version = d.pop("latest_version")

        status = MySpellStatus(d.pop("status"))

        my_spell = cls(
            created_at=created_at,
            key=key,
            latest_version=latest_version,
            status=status,
        )

        my_spell.additional_properties = d
        return my_spell

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
