from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.acceptance_grants import AcceptanceGrants


T = TypeVar("T", bound="Acceptance")


@_attrs_define
class Acceptance:
    """
    Attributes:
        grants (AcceptanceGrants): What you accepted: domains, secrets, files (read, write) and price_micros.
        key (str):
        version (str): The version you are served from now on, when you name none.
        widened (list[str]): What you accepted beyond what you had accepted before.
    """

    grants: AcceptanceGrants
    key: str
    version: str
    widened: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        grants = self.grants.to_dict()

        key = self.key

        version = self.version

        widened = self.widened

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "grants": grants,
                "key": key,
                "version": version,
                "widened": widened,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.acceptance_grants import AcceptanceGrants

        d = dict(src_dict)
        grants = AcceptanceGrants.from_dict(d.pop("grants"))

        key = d.pop("key")

        version = d.pop("version")

        widened = cast(list[str], d.pop("widened"))

        acceptance = cls(
            grants=grants,
            key=key,
            version=version,
            widened=widened,
        )

        acceptance.additional_properties = d
        return acceptance

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
