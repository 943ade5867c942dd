"""Queued casts: the caller is answered once the price is held, and the cast runs on.

`start` begins a cast in a task group that outlives the request (the server's), waits until the
cast's price is held and the cast recorded as running, and returns its id; the caller polls
`GET /v1/casts/{id}`. A refusal before the hold (a bad input, too little credit, a limit) is
raised to the caller as for a cast it waits for. After the hold the cast's outcome is recorded
by the pipeline as always: settled once, or failed and never charged, also when the server
stops (the task is cancelled, the hold voided) or dies (the sweeper voids the expired hold).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from anyio.abc import TaskGroup

from spell_mcp.accounts.keys import Caster
from spell_mcp.casting.pipeline import CastService
from spell_mcp.errors import SpellError

log = logging.getLogger("spell.casts")


async def start(
    casts: CastService,
    background: TaskGroup,
    caster: Caster,
    key: str,
    arguments: Any,
    *,
    version: str | None,
    via: str,
) -> str:
    """The id of a cast that is held and running in `background`."""
    held = anyio.Event()
    outcome: dict[str, Any] = {}

    async def on_held(cast_id: str) -> None:
        outcome["cast_id"] = cast_id
        held.set()

    async def run() -> None:
        try:
            await casts.cast(caster, key, arguments, version=version, via=via, on_held=on_held)
        except SpellError as error:
            if "cast_id" not in outcome:
                outcome["refused"] = error
        except Exception as exc:  # recorded as failed by the pipeline; the caller polls for it
            if "cast_id" not in outcome:
                outcome["refused"] = SpellError("internal_error", "the cast could not be started")
            log.exception("queued cast of %s failed: %s", key, type(exc).__name__)
        finally:
            held.set()

    background.start_soon(run)
    await held.wait()
    if "cast_id" not in outcome:
        refused: SpellError = outcome.get("refused") or SpellError("internal_error", "the cast stopped")
        raise refused
    cast_id: str = outcome["cast_id"]
    return cast_id
