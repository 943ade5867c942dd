"""Telling connected MCP clients that the tool list changed: a spell was published, yanked,
suspended, reinstated or delisted; and telling every server process to forget what it remembers
of the catalog and of a revoked or rotated key (spell_mcp/casting/lookups.py).

Clients of the 2026-07-28 generation hold a `subscriptions/listen` stream; the SDK's listen
handler feeds it from this process's in-memory bus. With SPELL_REDIS_URL set, every process
publishes to one Redis channel and relays that channel into its own bus, so a publish on one
server process reaches the clients of all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.subscriptions import ToolsListChanged
from redis.asyncio import Redis

from spell_mcp.casting.lookups import Lookups

log = logging.getLogger("spell.announcements")
CHANNEL = "spell:events:tools"
# Messages on the channel: the tool list changed, a key changed (followed by its id), a user's
# running casts must stop (followed by the user's id: they erased or restricted it), or a queued
# cast was cancelled (followed by its id: whichever process runs it stops it).
TOOLS, KEY, STOP, CANCELLED = "tools", "key:", "stop:", "cancelled:"


class Announcer:
    def __init__(
        self,
        bus: InMemorySubscriptionBus,
        redis_url: str | None,
        lookups: Lookups,
        stop_casts: Callable[[str], object] = lambda _user_id: None,
        stop_cast: Callable[[str], object] = lambda _cast_id: None,
    ) -> None:
        """`stop_casts(user_id)` stops this process's running casts of a user; `stop_cast(cast_id)`
        one queued cast, if it runs here."""
        self.bus = bus
        self.redis = Redis.from_url(redis_url) if redis_url else None
        self.lookups = lookups
        self.stop_casts = stop_casts
        self.stop_cast = stop_cast

    async def tools_changed(self) -> None:
        self.lookups.forget_spells()
        try:
            if self.redis is None:
                await self.bus.publish(ToolsListChanged())
            else:
                await self.redis.publish(CHANNEL, TOOLS)
        except Exception:
            # An announcement is a courtesy: the change itself is already committed.
            log.exception("could not announce a tool list change")

    async def key_changed(self, key_id: str) -> None:
        """A key was revoked or rotated (other processes forget it within seconds regardless)."""
        self.lookups.forget_key(key_id)
        if self.redis is None:
            return
        try:
            await self.redis.publish(CHANNEL, KEY + key_id)
        except Exception:
            log.exception("could not announce a key change")

    async def casts_must_stop(self, user_id: str) -> None:
        """Stop every running cast of the user, in every process (without Redis: this one's)."""
        self.stop_casts(user_id)
        if self.redis is None:
            return
        try:
            await self.redis.publish(CHANNEL, STOP + user_id)
        except Exception:
            log.exception("could not announce that a user's casts must stop")

    async def cast_cancelled(self, cast_id: str) -> None:
        """A queued cast was cancelled: whichever process runs it stops it (its hold is gone
        already, so a run that goes on charges nothing; stopping it saves the CPU)."""
        if self.redis is None:
            return
        try:
            await self.redis.publish(CHANNEL, CANCELLED + cast_id)
        except Exception:
            log.exception("could not announce that a cast was cancelled")

    async def _heard(self, message: str) -> None:
        if message == TOOLS:
            self.lookups.forget_spells()
            await self.bus.publish(ToolsListChanged())
        elif message.startswith(KEY):
            self.lookups.forget_key(message.removeprefix(KEY))
        elif message.startswith(STOP):
            self.stop_casts(message.removeprefix(STOP))
        elif message.startswith(CANCELLED):
            self.stop_cast(message.removeprefix(CANCELLED))

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
                            await self._heard(bytes(message["data"]).decode())
            except Exception:
                log.exception("lost the announcement channel; reconnecting")
                await anyio.sleep(1)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
