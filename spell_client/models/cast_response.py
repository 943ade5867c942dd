from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.artifact_info import ArtifactInfo
    from ..models.price import Price
    from ..models.receipt import Receipt
    from ..models.usage import Usage


T = TypeVar("T", bound="CastResponse")


@_attrs_define
class CastResponse:
    """
    Attributes:
        artifacts (list[ArtifactInfo]):
        cast_id (str):
        charged (Price):
        module_digest (str):
        output (Any):
        price (Price):
        receipt (Receipt):
        signed (bool):
        spell_key (str):
        spell_version (str):
        usage (Usage):
    """

    artifacts: list[ArtifactInfo]
    cast_id: str
    charged: Price
    module_digest: str
    output: Any
    price: Price
    receipt: Receipt
    signed: bool
    spell_key: str
    spell_version: str
    usage: Usage
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        artifacts = []
        for artifacts_item_data in self.artifacts:
            artifacts_item = artifacts_item_data.to_dict()
            artifacts.append(artifacts_item)

        cast_id = self.cast_id

        charged = self.charged.to_dict()

        module_digest = self.module_digest

        output = self.output

        price = self.price.to_dict()

        receipt = self.receipt.to_dict()

        signed = self.signed

        spell_key = self.spell_key

        spell_version = self.spell_version

        usage = self.usage.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "artifacts": artifacts,
                "cast_id": cast_id,
                "charged": charged,
                "module_digest": module_digest,
                "output": output,
                "price": price,
                "receipt": receipt,
                "signed": signed,
                "spell_key": spell_key,
                "spell_version": spell_version,
                "usage": usage,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.artifact_info import ArtifactInfo
        from ..models.price import Price
        from ..models.receipt import Receipt
        from ..models.usage import Usage

        d = dict(src_dict)
        artifacts = []
        _artifacts = d.pop("artifacts")
        for artifacts_item_data in _artifacts:
            artifacts_item = ArtifactInfo.from_dict(artifacts_item_data)

            artifacts.append(artifacts_item)

        cast_id = d.pop("cast_id")

        charged = Price.from_dict(d.pop("charged"))

        module_digest = d.pop("module_digest")

        output = d.pop("output")

        price = Price.from_dict(d.pop("price"))

        receipt = Receipt.from_dict(d.pop("receipt"))

        signed = d.pop("signed")

        spell_key = d.pop("spell_key")

        spell_version = d.pop("spell_version")

        usage = Usage.from_dict(d.pop("usage"))

        cast_response = cls(
            artifacts=artifacts,
            cast_id=cast_id,
            charged=charged,
            module_digest=module_digest,
            output=output,
            price=price,
            receipt=receipt,
            signed=signed,
            spell_key=spell_key,
            spell_version=spell_version,
            usage=usage,
        )

        cast_response.additional_properties = d
        return cast_response

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
