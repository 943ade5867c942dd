from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..types import UNSET, File, FileTypes, Unset

T = TypeVar("T", bound="BodyPublish")


@_attrs_define
class BodyPublish:
    """
    Attributes:
        package (File): The canonical package made by `spell pack`.
        bundle (File | None | Unset): Sigstore bundle over the package.
    """

    package: File
    bundle: File | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        package = self.package.to_tuple()

        bundle: FileTypes | None | Unset
        if isinstance(self.bundle, Unset):
            bundle = UNSET
        elif isinstance(self.bundle, File):
            bundle = self.bundle.to_tuple()

        else:
            bundle = self.bundle

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "package": package,
            }
        )
        if bundle is not UNSET:
            field_dict["bundle"] = bundle

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("package", self.package.to_tuple()))

        if not isinstance(self.bundle, Unset):
            if isinstance(self.bundle, File):
                files.append(("bundle", self.bundle.to_tuple()))
            else:
                files.append(
                    ("bundle", (None, str(self.bundle).encode(), "text/plain"))
                )

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        package = File(payload=BytesIO(d.pop("package")))

        def _parse_bundle(data: object) -> File | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, bytes):
                    raise TypeError()
                bundle_type_0 = File(payload=BytesIO(data))

                return bundle_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(File | None | Unset, data)

        bundle = _parse_bundle(d.pop("bundle", UNSET))

        body_publish = cls(
            package=package,
            bundle=bundle,
        )

        body_publish.additional_properties = d
        return body_publish

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
