"""What a single cast may consume."""

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-cast limits, already clamped by the operator's maxima.

    `fuel` is wasmtime's unit of executed instructions: it bounds CPU work independently of how
    busy the machine is, while `timeout_ms` bounds wall-clock time.
    """

    timeout_ms: int = 5_000
    max_memory_bytes: int = 64 * MIB
    max_output_bytes: int = 1 * MIB
    max_input_bytes: int = 1 * MIB
    fuel: int = 5_000_000_000
    max_artifact_bytes: int = 8 * MIB
    max_artifacts: int = 32

    def clamp(self, ceiling: "Limits") -> "Limits":
        """The tighter of these limits and an operator's ceiling, field by field."""
        return Limits(
            timeout_ms=min(self.timeout_ms, ceiling.timeout_ms),
            max_memory_bytes=min(self.max_memory_bytes, ceiling.max_memory_bytes),
            max_output_bytes=min(self.max_output_bytes, ceiling.max_output_bytes),
            max_input_bytes=min(self.max_input_bytes, ceiling.max_input_bytes),
            fuel=min(self.fuel, ceiling.fuel),
            max_artifact_bytes=min(self.max_artifact_bytes, ceiling.max_artifact_bytes),
            max_artifacts=min(self.max_artifacts, ceiling.max_artifacts),
        )
