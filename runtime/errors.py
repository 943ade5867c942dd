"""Why a cast did not finish. Each kind is a stable error code of the platform's catalog."""

from typing import Literal

from runtime.usage import ResourceUsage

RunErrorCode = Literal[
    "spell_timeout",
    "spell_cpu_exhausted",
    "spell_memory_exceeded",
    "spell_output_too_large",
    "spell_artifacts_too_large",
    "spell_crashed",
    "spell_failed",
    "spell_output_invalid",
    "input_too_large",
    "cast_cancelled",
]


class SpellRunError(Exception):
    """A cast stopped without a valid result.

    `detail` is safe to show to the caster: it names what the spell did (a trap kind, an exit
    code), never host paths or internals. `usage` is what the cast consumed before it stopped.
    """

    def __init__(self, code: RunErrorCode, detail: str, usage: ResourceUsage | None = None) -> None:
        super().__init__(detail)
        self.code: RunErrorCode = code
        self.detail = detail
        self.usage = usage or ResourceUsage()
        # What the spell wrote to stderr before it stopped (its first bytes): for its maker.
        self.stderr = b""
