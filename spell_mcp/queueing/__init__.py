"""Queued casts: held by the server that accepts them, run by whoever consumes the queue.

A server holds the cast's price and records it as running (CastService.hold), puts the held cast
on a queue, and answers 202. On one machine the queue is in the server's memory and the server
runs it (LocalQueue); with SPELL_NATS_URL it is a NATS JetStream stream that `spell worker`
processes consume, on any host (JetStreamQueue). Delivery is at least once; money is exactly
once, because only a running cast with a pending hold is run and settled (CastService.resume).
"""

from anyio.abc import TaskGroup

from spell_mcp.casting.service import CastService
from spell_mcp.queueing.jetstream import JetStreamQueue
from spell_mcp.queueing.local import LocalQueue
from spell_mcp.queueing.submitting import CastQueue, QueueUnavailable, submit
from spell_mcp.settings import Settings

__all__ = ["CastQueue", "JetStreamQueue", "LocalQueue", "QueueUnavailable", "open_queue", "submit"]


async def open_queue(settings: Settings, casts: CastService, background: TaskGroup) -> CastQueue:
    """Where this server queues casts: NATS JetStream, whose workers run them (SPELL_NATS_URL); or
    its own memory, run in `background` for as long as it lasts."""
    if settings.nats_url:
        return await JetStreamQueue.connect(settings)
    local = LocalQueue(settings.max_queued_casts)
    background.start_soon(local.work, casts, settings.cast_threads)
    return local
