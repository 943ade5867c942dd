from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Pinned")


@_attrs_define
class Pinned:
    """
    Attributes:
        accept (str): How to accept it.
        latest (str):
        version (str): The version your casts run, when they name none.
        widened (list[str]): What the latest version asks for beyond what you accepted.
    """

    accept: str
    latest: str
    version: str
    widened: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        accept = self.accept

        latest = self.latest

        version = self.version

        widened = self.widened

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "accept": accept,
                "latest": latest,
                "version": version,
                "widened": widened,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        accept = d.pop("accept")

        latest = d.pop("latest")

        version = d.pop("version")

        widened = cast(list[str], d.pop("widened"))

        pinned = cls(
            accept=accept,
            latest=latest,
            version=version,
            widened=widened,
        )

        pinned.additional_properties = d
        return pinned

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
