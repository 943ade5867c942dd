from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.version_info import VersionInfo


T = TypeVar("T", bound="Published")


@_attrs_define
class Published:
    """
    Attributes:
        created (bool): False when this exact package was already published.
        version (VersionInfo):
        warnings (list[str] | Unset): What the maker should know although the version was accepted: limits above this
            platform's ceilings (casts run with the ceiling), licence conflicts, vulnerabilities below the blocking score.
    """

    created: bool
    version: VersionInfo
    warnings: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created = self.created

        version = self.version.to_dict()

        warnings: list[str] | Unset = UNSET
        if not isinstance(self.warnings, Unset):
            warnings = self.warnings

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created": created,
                "version": version,
            }
        )
        if warnings is not UNSET:
            field_dict["warnings"] = warnings

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.version_info import VersionInfo

        d = dict(src_dict)
        created = d.pop("created")

        version = VersionInfo.from_dict(d.pop("version"))

        warnings = cast(list[str], d.pop("warnings", UNSET))

        published = cls(
            created=created,
            version=version,
            warnings=warnings,
        )

        published.additional_properties = d
        return published

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
