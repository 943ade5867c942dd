"""What a single cast consumed."""

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class PolicyViolation:
    """Something a spell tried that its policy forbids. `kind` is one of VIOLATION_KINDS;
    `detail` says it in words a maker can act on."""

    kind: str
    detail: str


VIOLATION_KINDS = {
    "domain": "a request to a host outside the spell's net_allow",
    "private_address": "a request to a name that resolves to a loopback, private or link-local address",
    "ip_literal": "a request to an IP address instead of a domain",
    "scheme": "a request that is not https",
    "request_limit": "more requests, or a larger request, than one cast may make",
}


@dataclass(frozen=True, slots=True)
class ResourceUsage:
    duration_ms: float = 0.0
    fuel_consumed: int = 0
    peak_memory_bytes: int = 0
    input_bytes: int = 0
    output_bytes: int = 0
    stderr_bytes: int = 0
    artifacts_bytes: int = 0
    network_requests: int = 0
    network_bytes_sent: int = 0
    network_bytes_received: int = 0
    # What the spell tried and was refused (a denied request, …).
    policy_violations: tuple[PolicyViolation, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict deep-copies every value, a cost on every cast.
        data = {name: getattr(self, name) for name in _FIELDS}
        data["policy_violations"] = [violation.detail for violation in self.policy_violations]
        return data


_FIELDS = tuple(field.name for field in fields(ResourceUsage))
