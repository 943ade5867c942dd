from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.price import Price
    from ..models.provenance_info import ProvenanceInfo


T = TypeVar("T", bound="VersionInfo")


@_attrs_define
class VersionInfo:
    """
    Attributes:
        key (str):
        module_digest (str):
        package_sha256 (str):
        price (Price):
        provenance (None | ProvenanceInfo):
        published_at (datetime.datetime):
        signed (bool):
        version (str):
        yanked (bool):
    """

    key: str
    module_digest: str
    package_sha256: str
    price: Price
    provenance: None | ProvenanceInfo
    published_at: datetime.datetime
    signed: bool
    version: str
    yanked: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.provenance_info import ProvenanceInfo

        key = self.key

        module_digest = self.module_digest

        package_sha256 = self.package_sha256

        price = self.price.to_dict()

        provenance: dict[str, Any] | None
        if isinstance(self.provenance, ProvenanceInfo):
            provenance = self.provenance.to_dict()
        else:
            provenance = self.provenance

        published_at = self.published_at.isoformat()

        signed = self.signed

        version = self.version

        yanked = self.yanked

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key": key,
                "module_digest": module_digest,
                "package_sha256": package_sha256,
                "price": price,
                "provenance": provenance,
                "published_at": published_at,
                "signed": signed,
                "version": version,
                "yanked": yanked,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.price import Price
        from ..models.provenance_info import ProvenanceInfo

        d = dict(src_dict)
        key = d.pop("key")

        module_digest = d.pop("module_digest")

        package_sha256 = d.pop("package_sha256")

        price = Price.from_dict(d.pop("price"))

        def _parse_provenance(data: object) -> None | ProvenanceInfo:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                provenance_type_0 = ProvenanceInfo.from_dict(data)

                return provenance_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ProvenanceInfo, data)

        provenance = _parse_provenance(d.pop("provenance"))

        published_at = datetime.datetime.fromisoformat(d.pop("published_at"))

        signed = d.pop("signed")

        version = d.pop("version")

        yanked = d.pop("yanked")

        version_info = cls(
            key=key,
            module_digest=module_digest,
            package_sha256=package_sha256,
            price=price,
            provenance=provenance,
            published_at=published_at,
            signed=signed,
            version=version,
            yanked=yanked,
        )

        version_info.additional_properties = d
        return version_info

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
