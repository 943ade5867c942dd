"""What a single cast consumed."""

from dataclasses import dataclass, fields
from typing import Any


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
    # What the spell tried and was refused (a denied request, …), in words a maker can act on.
    policy_violations: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict deep-copies every value, a cost on every cast.
        data = {name: getattr(self, name) for name in _FIELDS}
        data["policy_violations"] = list(self.policy_violations)
        return data


_FIELDS = tuple(field.name for field in fields(ResourceUsage))
