"""A queued cast between its hold and its run: what a worker needs to run it, as a message.

The price is held and the cast recorded as running before the message is sent (CastService.hold),
so the message carries no money and no secret: the input the caster sent, and which cast, spell
and hold it belongs to. A worker reads it as untrusted bytes (spell_mcp/queueing/), checks the
input against the hash recorded with the cast, and settles the hold only if it is still pending:
a message delivered twice runs at most once to a charge.
"""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, ConfigDict, Field

# The message's own format, so a worker can refuse one from a newer server it cannot read.
FORMAT = 1


class NewerFormat(ValueError):
    """A held cast of a format this worker cannot read: a newer server's, for a newer worker."""


class HeldCast(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    format: int = FORMAT
    cast_id: str = Field(pattern=r"^cast_[0-9a-f]{32}$")
    caster_id: str = Field(max_length=64)
    spell_key: str = Field(max_length=64)
    spell_version: str = Field(max_length=64)
    module_digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    # The input as the caster sent it (compact JSON); its hash is recorded with the cast.
    input: str
    input_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    hold_id: str | None = Field(default=None, max_length=64)
    via: str = Field(max_length=16)
    # Redis holds the price too (billing/fast_holds.py): released or settled there by cast id.
    fast_held: bool = False

    def encode(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def decode(cls, data: bytes) -> HeldCast:
        """The held cast a message carries; raises NewerFormat for a newer server's message, and
        ValueError on anything else."""
        try:
            held = cls.model_validate_json(data)
        except ValueError:
            # Parsed again only when it does not validate: is it a newer server's?
            if (said := _format_of(data)) > FORMAT:
                raise NewerFormat(f"a held cast of format {said}; this worker reads {FORMAT}") from None
            raise
        if held.format > FORMAT:
            raise NewerFormat(f"a held cast of format {held.format}; this worker reads {FORMAT}")
        if held.format != FORMAT:
            raise ValueError(f"held cast format {held.format} is not {FORMAT}")
        if hashlib.sha256(held.input.encode()).hexdigest() != held.input_sha256:
            raise ValueError("the input does not match its hash")
        return held


def _format_of(data: bytes) -> int:
    """The format a message says it has (0 when it says none)."""
    try:
        found = json.loads(data).get("format")
    except (ValueError, AttributeError):
        return 0
    return found if isinstance(found, int) else 0
