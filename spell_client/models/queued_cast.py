from __future__ import annotations

from collections.abc import Mapping
from typing import (
    Any,
    Literal,
    Self,
    TypeVar,
    cast,
)

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="QueuedCast")


@_attrs_define
class QueuedCast:
    """A cast answered with `Prefer: respond-async`: held, and running on.

    Attributes:
        cast_id (str):
        location (str): Where to poll for its outcome: GET it until it is not running.
        status (Literal['running'] | Unset):  Default: 'running'.
    """

    cast_id: str
    location: str
    status: Literal["running"] | Unset = "running"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cast_id = self.cast_id

        location = self.location

        status = self.status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cast_id": cast_id,
                "location": location,
            }
        )
        if status is not UNSET:
            field_dict["status"] = status

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cast_id = d.pop("cast_id")

        location = d.pop("location")

        status = cast(Literal["running"] | Unset, d.pop("status", UNSET))
        if status != "running" and not isinstance(status, Unset):
            raise ValueError(f"status must match const 'running', got '{status}'")

        queued_cast = cls(
            cast_id=cast_id,
            location=location,
            status=status,
        )

        queued_cast.additional_properties = d
        return queued_cast

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
