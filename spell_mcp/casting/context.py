"""One cast as its steps pass it along (spell_mcp/casting/pipeline.py): which cast, whose, of which
version with which input, how it came, what its price counts against, who hears its steps and what
is traced of it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from billing.budgets import WindowHold
from registry import SpellVersion
from spell_mcp.observability.cast_trace import CastTrace

# Hears a cast's steps, in words (MCP progress and log notifications).
Progress = Callable[[str], Awaitable[None]]


async def quiet(_step: str) -> None:
    """Nobody listens (REST, a queued cast): no step is told, and no heartbeat runs."""
    return None


def new_cast_id() -> str:
    return f"cast_{uuid.uuid4().hex}"


@dataclass(frozen=True, slots=True)
class CastContext:
    cast_id: str
    caster_id: str
    spell: SpellVersion
    maker_id: str
    # The input as the spell reads it, and its hash as the receipt names it.
    input_json: bytes
    input_sha256: str
    # The face it came through ("rest", "mcp-http", "mcp-stdio").
    via: str
    trace: CastTrace
    # With Redis: the budget windows the price counts against (spell_mcp/casting/admission.py).
    windows: Sequence[WindowHold] = ()
    progress: Progress = quiet
