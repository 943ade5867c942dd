from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="NamespaceOwner")


@_attrs_define
class NamespaceOwner:
    """
    Attributes:
        owner_id (str): The user who owns the namespace from now on.
    """

    owner_id: str

    def to_dict(self) -> dict[str, Any]:
        owner_id = self.owner_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "owner_id": owner_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        owner_id = d.pop("owner_id")

        namespace_owner = cls(
            owner_id=owner_id,
        )

        return namespace_owner
