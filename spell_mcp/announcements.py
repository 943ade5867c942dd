"""Telling connected MCP clients that the tool list changed: a spell was published, yanked,
suspended, reinstated or delisted.

Clients of the 2026-07-28 generation hold a `subscriptions/listen` stream; the SDK's listen
handler feeds it from this process's in-memory bus. With SPELL_REDIS_URL set, every process
publishes to one Redis channel and relays that channel into its own bus, so a publish on one
server process reaches the clients of all of them.
"""

from __future__ import annotations

import logging

import anyio
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.subscriptions import ToolsListChanged
from redis.asyncio import Redis

log = logging.getLogger("spell.announcements")
CHANNEL = "spell:events:tools"


class Announcer:
    def __init__(self, bus: InMemorySubscriptionBus, redis_url: str | None) -> None:
        self.bus = bus
        self.redis = Redis.from_url(redis_url) if redis_url else None

    async def tools_changed(self) -> None:
        try:
            if self.redis is None:
                await self.bus.publish(ToolsListChanged())
            else:
                await self.redis.publish(CHANNEL, "tools")
        except Exception:
            # An announcement is a courtesy: the change itself is already committed.
            log.exception("could not announce a tool list change")

    async def relay_forever(self) -> None:
        """Feed this process's bus from the shared channel (every process, publisher included)."""
        if self.redis is None:
            return
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self.bus.publish(ToolsListChanged())
            except Exception:
                log.exception("lost the announcement channel; reconnecting")
                await anyio.sleep(1)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
