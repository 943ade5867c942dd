from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.artifact_info import ArtifactInfo
    from ..models.price import Price
    from ..models.usage import Usage


T = TypeVar("T", bound="CastRecord")


@_attrs_define
class CastRecord:
    """
    Attributes:
        artifacts (list[ArtifactInfo]):
        cast_id (str):
        charged (Price):
        created_at (datetime.datetime):
        error_code (None | str):
        error_detail (None | str):
        finished_at (datetime.datetime | None):
        module_digest (str):
        output (Any | None):
        price (Price):
        spell_key (str):
        spell_version (str):
        status (str): running, succeeded or failed.
        usage (None | Usage):
        via (str):
    """

    artifacts: list[ArtifactInfo]
    cast_id: str
    charged: Price
    created_at: datetime.datetime
    error_code: None | str
    error_detail: None | str
    finished_at: datetime.datetime | None
    module_digest: str
    output: Any | None
    price: Price
    spell_key: str
    spell_version: str
    status: str
    usage: None | Usage
    via: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.usage import Usage

        artifacts = []
        for artifacts_item_data in self.artifacts:
            artifacts_item = artifacts_item_data.to_dict()
            artifacts.append(artifacts_item)

        cast_id = self.cast_id

        charged = self.charged.to_dict()

        created_at = self.created_at.isoformat()

        error_code: None | str
        error_code = self.error_code

        error_detail: None | str
        error_detail = self.error_detail

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        module_digest = self.module_digest

        output: Any | None
        output = self.output

        price = self.price.to_dict()

        spell_key = self.spell_key

        spell_version = self.spell_version

        status = self.status

        usage: dict[str, Any] | None
        if isinstance(self.usage, Usage):
            usage = self.usage.to_dict()
        else:
            usage = self.usage

        via = self.via

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "artifacts": artifacts,
                "cast_id": cast_id,
                "charged": charged,
                "created_at": created_at,
                "error_code": error_code,
                "error_detail": error_detail,
                "finished_at": finished_at,
                "module_digest": module_digest,
                "output": output,
                "price": price,
                "spell_key": spell_key,
                "spell_version": spell_version,
                "status": status,
                "usage": usage,
                "via": via,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.artifact_info import ArtifactInfo
        from ..models.price import Price
        from ..models.usage import Usage

        d = dict(src_dict)
        artifacts = []
        _artifacts = d.pop("artifacts")
        for artifacts_item_data in _artifacts:
            artifacts_item = ArtifactInfo.from_dict(artifacts_item_data)

            artifacts.append(artifacts_item)

        cast_id = d.pop("cast_id")

        charged = Price.from_dict(d.pop("charged"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_error_code(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error_code = _parse_error_code(d.pop("error_code"))

        def _parse_error_detail(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error_detail = _parse_error_detail(d.pop("error_detail"))

        def _parse_finished_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finished_at = _parse_finished_at(d.pop("finished_at"))

        module_digest = d.pop("module_digest")

        def _parse_output(data: object) -> Any | None:
            if data is None:
                return data
            return cast(Any | None, data)

        output = _parse_output(d.pop("output"))

        price = Price.from_dict(d.pop("price"))

        spell_key = d.pop("spell_key")

        spell_version = d.pop("spell_version")

        status = d.pop("status")

        def _parse_usage(data: object) -> None | Usage:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                usage_type_0 = Usage.from_dict(data)

                return usage_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Usage, data)

        usage = _parse_usage(d.pop("usage"))

        via = d.pop("via")

        cast_record = cls(
            artifacts=artifacts,
            cast_id=cast_id,
            charged=charged,
            created_at=created_at,
            error_code=error_code,
            error_detail=error_detail,
            finished_at=finished_at,
            module_digest=module_digest,
            output=output,
            price=price,
            spell_key=spell_key,
            spell_version=spell_version,
            status=status,
            usage=usage,
            via=via,
        )

        cast_record.additional_properties = d
        return cast_record

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
