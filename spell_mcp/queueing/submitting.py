"""Accepting a queued cast: hold it, then queue it; a cast that cannot be queued is released."""

from __future__ import annotations

from typing import Any, Protocol

from spell_mcp.accounts.keys import Caster
from spell_mcp.casting.held import HeldCast
from spell_mcp.casting.service import CastService
from spell_mcp.errors import SpellError

RETRY_S = 5


class QueueUnavailable(Exception):
    """The queue did not take the cast (full, or its server unreachable)."""


class CastQueue(Protocol):
    async def put(self, held: HeldCast) -> None:
        """Queue a held cast; raises QueueUnavailable when it cannot."""

    async def close(self) -> None: ...


async def submit(
    casts: CastService,
    queue: CastQueue,
    caster: Caster,
    key: str,
    arguments: Any,
    *,
    version: str | None,
    via: str,
) -> str:
    """The id of a cast that is held and queued. Refused as a cast is refused before it runs, and
    with `overloaded` when the queue cannot take it (its hold is then released at once)."""
    held = await casts.hold(caster, key, arguments, version=version, via=via)
    try:
        await queue.put(held)
    except QueueUnavailable:
        await casts.abandon(held, "the cast could not be queued; nothing was charged")
        raise SpellError(
            "overloaded",
            f"queued casts cannot be accepted right now; retry in {RETRY_S} s or cast without respond-async",
            retry_after=RETRY_S,
            headers={"Retry-After": str(RETRY_S)},
        ) from None
    except BaseException:
        await casts.abandon(held, "the cast was not queued; nothing was charged")
        raise
    return held.cast_id
