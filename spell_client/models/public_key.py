from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.public_key_status import PublicKeyStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="PublicKey")


@_attrs_define
class PublicKey:
    """
    Attributes:
        algorithm (str):
        key_id (str):
        public_key (str): Raw public key, base64url.
        status (PublicKeyStatus | Unset): current: signs new receipts; retired: signed earlier ones. Default:
            PublicKeyStatus.CURRENT.
    """

    algorithm: str
    key_id: str
    public_key: str
    status: PublicKeyStatus | Unset = PublicKeyStatus.CURRENT
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        algorithm = self.algorithm

        key_id = self.key_id

        public_key = self.public_key

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "algorithm": algorithm,
                "key_id": key_id,
                "public_key": public_key,
            }
        )
        if status is not UNSET:
            field_dict["status"] = status

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        algorithm = d.pop("algorithm")

        key_id = d.pop("key_id")

        public_key = d.pop("public_key")

        _status = d.pop("status", UNSET)
        status: PublicKeyStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = PublicKeyStatus(_status)

        public_key = cls(
            algorithm=algorithm,
            key_id=key_id,
            public_key=public_key,
            status=status,
        )

        public_key.additional_properties = d
        return public_key

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
