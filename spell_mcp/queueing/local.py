"""The embedded queue: held casts in this server's memory, run by this server's tasks.

What the server has not started when it stops is released (failed, never charged); what it was
running is stopped and released the same way. A server that dies leaves holds the sweeper voids.
"""

from __future__ import annotations

import logging

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from spell_mcp.casting.held import HeldCast
from spell_mcp.casting.service import CastService
from spell_mcp.queueing.submitting import QueueUnavailable

log = logging.getLogger("spell.queue")
STOPPED = "the server stopped before the cast ran; nothing was charged"


class LocalQueue:
    def __init__(self, capacity: int) -> None:
        self._send: MemoryObjectSendStream[HeldCast]
        self._receive: MemoryObjectReceiveStream[HeldCast]
        self._send, self._receive = anyio.create_memory_object_stream[HeldCast](capacity)

    async def put(self, held: HeldCast) -> None:
        try:
            self._send.send_nowait(held)
        except (anyio.WouldBlock, anyio.ClosedResourceError, anyio.BrokenResourceError):
            raise QueueUnavailable("the queue is full") from None

    async def work(self, casts: CastService, workers: int) -> None:
        """Run queued casts, `workers` at a time, until cancelled; then release what is left."""
        try:
            async with anyio.create_task_group() as group:
                for _ in range(workers):
                    group.start_soon(self._run, casts)
        finally:
            with anyio.CancelScope(shield=True):
                self._send.close()
                while True:
                    try:
                        held = self._receive.receive_nowait()
                    except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                        break
                    await casts.abandon(held, STOPPED)

    async def _run(self, casts: CastService) -> None:
        while True:
            held = await self._receive.receive()
            try:
                await casts.resume(held)
            except Exception:  # recorded as failed by the pipeline; the caster polls for it
                log.exception("queued cast %s failed", held.cast_id)

    async def close(self) -> None:
        self._send.close()
