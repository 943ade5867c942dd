from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Usage")


@_attrs_define
class Usage:
    """
    Attributes:
        duration_ms (float):
        fuel_consumed (int): wasmtime fuel units (about one per wasm instruction).
        input_bytes (int):
        output_bytes (int):
        peak_memory_bytes (int):
        stderr_bytes (int):
        artifacts_bytes (int | Unset):  Default: 0.
        network_bytes_received (int | Unset):  Default: 0.
        network_bytes_sent (int | Unset):  Default: 0.
        network_requests (int | Unset):  Default: 0.
        policy_violations (list[str] | Unset): What the spell tried and was refused, e.g. a denied request.
    """

    duration_ms: float
    fuel_consumed: int
    input_bytes: int
    output_bytes: int
    peak_memory_bytes: int
    stderr_bytes: int
    artifacts_bytes: int | Unset = 0
    network_bytes_received: int | Unset = 0
    network_bytes_sent: int | Unset = 0
    network_requests: int | Unset = 0
    policy_violations: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        duration_ms = self.duration_ms

        fuel_consumed = self.fuel_consumed

        input_bytes = self.input_bytes

        output_bytes = self.output_bytes

        peak_memory_bytes = self.peak_memory_bytes

        stderr_bytes = self.stderr_bytes

        artifacts_bytes = self.artifacts_bytes

        network_bytes_received = self.network_bytes_received

        network_bytes_sent = self.network_bytes_sent

        network_requests = self.network_requests

        policy_violations: list[str] | Unset = UNSET
        if not isinstance(self.policy_violations, Unset):
            policy_violations = self.policy_violations

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "duration_ms": duration_ms,
                "fuel_consumed": fuel_consumed,
                "input_bytes": input_bytes,
                "output_bytes": output_bytes,
                "peak_memory_bytes": peak_memory_bytes,
                "stderr_bytes": stderr_bytes,
            }
        )
        if artifacts_bytes is not UNSET:
            field_dict["artifacts_bytes"] = artifacts_bytes
        if network_bytes_received is not UNSET:
            field_dict["network_bytes_received"] = network_bytes_received
        if network_bytes_sent is not UNSET:
            field_dict["network_bytes_sent"] = network_bytes_sent
        if network_requests is not UNSET:
            field_dict["network_requests"] = network_requests
        if policy_violations is not UNSET:
            field_dict["policy_violations"] = policy_violations

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        duration_ms = d.pop("duration_ms")

        fuel_consumed = d.pop("fuel_consumed")

        input_bytes = d.pop("input_bytes")

        output_bytes = d.pop("output_bytes")

        peak_memory_bytes = d.pop("peak_memory_bytes")

        stderr_bytes = d.pop("stderr_bytes")

        artifacts_bytes = d.pop("artifacts_bytes", UNSET)

        network_bytes_received = d.pop("network_bytes_received", UNSET)

        network_bytes_sent = d.pop("network_bytes_sent", UNSET)

        network_requests = d.pop("network_requests", UNSET)

        policy_violations = cast(list[str], d.pop("policy_violations", UNSET))

        usage = cls(
            duration_ms=duration_ms,
            fuel_consumed=fuel_consumed,
            input_bytes=input_bytes,
            output_bytes=output_bytes,
            peak_memory_bytes=peak_memory_bytes,
            stderr_bytes=stderr_bytes,
            artifacts_bytes=artifacts_bytes,
            network_bytes_received=network_bytes_received,
            network_bytes_sent=network_bytes_sent,
            network_requests=network_requests,
            policy_violations=policy_violations,
        )

        usage.additional_properties = d
        return usage

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
