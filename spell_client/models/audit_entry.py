from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.audit_entry_via import AuditEntryVia

if TYPE_CHECKING:
    from ..models.audit_entry_details import AuditEntryDetails


T = TypeVar("T", bound="AuditEntry")


@_attrs_define
class AuditEntry:
    """One action in the audit trail.

    Attributes:
        action (str): What was done, e.g. `key.revoked` (docs/operations.md lists them).
        actor_id (None | str): The user who acted; null when the platform itself did.
        actor_key_id (None | str): The API key they acted with, if any.
        address_hash (None | str): A keyed hash of the client's IP address: equal for equal addresses, not reversible.
        at (datetime.datetime):
        details (AuditEntryDetails):
        id (str):
        subject_id (None | str): The user whose account the target belongs to.
        target_id (str):
        target_type (str):
        via (AuditEntryVia):
    """

    action: str
    actor_id: None | str
    actor_key_id: None | str
    address_hash: None | str
    at: datetime.datetime
    details: AuditEntryDetails
    id: str
    subject_id: None | str
    target_id: str
    target_type: str
    via: AuditEntryVia
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action

        actor_id: None | str
        actor_id = self.actor_id

        actor_key_id: None | str
        actor_key_id = self.actor_key_id

        address_hash: None | str
        address_hash = self.address_hash

        at = self.at.isoformat()

        details = self.details.to_dict()

        id = self.id

        subject_id: None | str
        subject_id = self.subject_id

        target_id = self.target_id

        target_type = self.target_type

        via = self.via.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "actor_id": actor_id,
                "actor_key_id": actor_key_id,
                "address_hash": address_hash,
                "at": at,
                "details": details,
                "id": id,
                "subject_id": subject_id,
                "target_id": target_id,
                "target_type": target_type,
                "via": via,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.audit_entry_details import AuditEntryDetails

        d = dict(src_dict)
        action = d.pop("action")

        def _parse_actor_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        actor_id = _parse_actor_id(d.pop("actor_id"))

        def _parse_actor_key_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        actor_key_id = _parse_actor_key_id(d.pop("actor_key_id"))

        def _parse_address_hash(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        address_hash = _parse_address_hash(d.pop("address_hash"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        details = AuditEntryDetails.from_dict(d.pop("details"))

        id = d.pop("id")

        def _parse_subject_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        subject_id = _parse_subject_id(d.pop("subject_id"))

        target_id = d.pop("target_id")

        target_type = d.pop("target_type")

        via = AuditEntryVia(d.pop("via"))

        audit_entry = cls(
            action=action,
            actor_id=actor_id,
            actor_key_id=actor_key_id,
            address_hash=address_hash,
            at=at,
            details=details,
            id=id,
            subject_id=subject_id,
            target_id=target_id,
            target_type=target_type,
            via=via,
        )

        audit_entry.additional_properties = d
        return audit_entry

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
