"""What a single cast consumed."""

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ResourceUsage:
    duration_ms: float = 0.0
    fuel_consumed: int = 0
    peak_memory_bytes: int = 0
    input_bytes: int = 0
    output_bytes: int = 0
    stderr_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
