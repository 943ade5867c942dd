from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.usage import Usage


T = TypeVar("T", bound="ReplayResult")


@_attrs_define
class ReplayResult:
    """A cast run again: the same module, input and seed, in the same sandbox; free.

    Attributes:
        cast_id (str):
        input_sha256 (str):
        matches (bool): True when the replay returned exactly what the receipt names.
        module_digest (str):
        output_sha256 (str): What the cast's signed receipt says it returned.
        replayed_output_sha256 (None | str): What the replay returned (RFC 8785 canonical JSON, SHA-256); null if it
            failed.
        spell_key (str):
        spell_version (str):
        usage (Usage):
        error_code (None | str | Unset): Why the replay failed, when it did.
        output (Any | Unset): The replay's output.
    """

    cast_id: str
    input_sha256: str
    matches: bool
    module_digest: str
    output_sha256: str
    replayed_output_sha256: None | str
    spell_key: str
    spell_version: str
    usage: Usage
    error_code: None | str | Unset = UNSET
    output: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cast_id = self.cast_id

        input_sha256 = self.input_sha256

        matches = self.matches

        module_digest = self.module_digest

        output_sha256 = self.output_sha256

        replayed_output_sha256: None | str
        replayed_output_sha256 = self.replayed_output_sha256

        spell_key = self.spell_key

        spell_version = self.spell_version

        usage = self.usage.to_dict()

        error_code: None | str | Unset
        if isinstance(self.error_code, Unset):
            error_code = UNSET
        else:
            error_code = self.error_code

        output = self.output

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cast_id": cast_id,
                "input_sha256": input_sha256,
                "matches": matches,
                "module_digest": module_digest,
                "output_sha256": output_sha256,
                "replayed_output_sha256": replayed_output_sha256,
                "spell_key": spell_key,
                "spell_version": spell_version,
                "usage": usage,
            }
        )
        if error_code is not UNSET:
            field_dict["error_code"] = error_code
        if output is not UNSET:
            field_dict["output"] = output

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.usage import Usage

        d = dict(src_dict)
        cast_id = d.pop("cast_id")

        input_sha256 = d.pop("input_sha256")

        matches = d.pop("matches")

        module_digest = d.pop("module_digest")

        output_sha256 = d.pop("output_sha256")

        def _parse_replayed_output_sha256(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        replayed_output_sha256 = _parse_replayed_output_sha256(
            d.pop("replayed_output_sha256")
        )

        spell_key = d.pop("spell_key")

        spell_version = d.pop("spell_version")

        usage = Usage.from_dict(d.pop("usage"))

        def _parse_error_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error_code = _parse_error_code(d.pop("error_code", UNSET))

        output = d.pop("output", UNSET)

        replay_result = cls(
            cast_id=cast_id,
            input_sha256=input_sha256,
            matches=matches,
            module_digest=module_digest,
            output_sha256=output_sha256,
            replayed_output_sha256=replayed_output_sha256,
            spell_key=spell_key,
            spell_version=spell_version,
            usage=usage,
            error_code=error_code,
            output=output,
        )

        replay_result.additional_properties = d
        return replay_result

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
