from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.execution_log_status import ExecutionLogStatus

T = TypeVar("T", bound="ExecutionLog")


@_attrs_define
class ExecutionLog:
    """What one cast of your spell wrote to stderr (its first 16 KiB). Who cast it, and with
    what input, is not shown.

        Attributes:
            at (datetime.datetime):
            cast_id (str):
            error_code (None | str):
            log (str):
            status (ExecutionLogStatus):
            version (str):
    """

    at: datetime.datetime
    cast_id: str
    error_code: None | str
    log: str
    status: ExecutionLogStatus
    version: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        cast_id = self.cast_id

        error_code: None | str
        error_code = self.error_code

        log = self.log

        status = self.status.value

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "cast_id": cast_id,
                "error_code": error_code,
                "log": log,
                "status": status,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        cast_id = d.pop("cast_id")

        def _parse_error_code(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error_code = _parse_error_code(d.pop("error_code"))

        log = d.pop("log")

        status = ExecutionLogStatus(d.pop("status"))

        version = d.pop("version")

        execution_log = cls(
            at=at,
            cast_id=cast_id,
            error_code=error_code,
            log=log,
            status=status,
            version=version,
        )

        execution_log.additional_properties = d
        return execution_log

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
