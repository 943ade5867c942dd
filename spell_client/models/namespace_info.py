from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="NamespaceInfo")


@_attrs_define
class NamespaceInfo:
    """
    Attributes:
        name (str): The namespace, e.g. com.acme: every key com.acme.… is in it.
        owner_id (str):
        previous_owner_id (None | str): Who owned it before; null when nobody did.
    """

    name: str
    owner_id: str
    previous_owner_id: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        owner_id = self.owner_id

        previous_owner_id: None | str
        previous_owner_id = self.previous_owner_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "owner_id": owner_id,
                "previous_owner_id": previous_owner_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        owner_id = d.pop("owner_id")

        def _parse_previous_owner_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        previous_owner_id = _parse_previous_owner_id(d.pop("previous_owner_id"))

        namespace_info = cls(
            name=name,
            owner_id=owner_id,
            previous_owner_id=previous_owner_id,
        )

        namespace_info.additional_properties = d
        return namespace_info

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
