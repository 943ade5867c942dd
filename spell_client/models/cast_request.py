from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.cast_request_input import CastRequestInput


T = TypeVar("T", bound="CastRequest")


@_attrs_define
class CastRequest:
    """
    Attributes:
        input_ (CastRequestInput): The spell's input; must match its input schema.
        version (None | str | Unset): Pin a version; the latest when omitted.
    """

    input_: CastRequestInput
    version: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        input_ = self.input_.to_dict()

        version: None | str | Unset
        if isinstance(self.version, Unset):
            version = UNSET
        else:
            version = self.version

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "input": input_,
            }
        )
        if version is not UNSET:
            field_dict["version"] = version

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.cast_request_input import CastRequestInput

        d = dict(src_dict)
        input_ = CastRequestInput.from_dict(d.pop("input"))

        def _parse_version(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        version = _parse_version(d.pop("version", UNSET))

        cast_request = cls(
            input_=input_,
            version=version,
        )

        return cast_request
