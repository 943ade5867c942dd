"""Telling connected MCP clients that the tool list changed: a spell was published, yanked,
suspended, reinstated or delisted; and telling every server process to forget what it remembers
of the catalog and of a revoked or rotated key (spell_mcp/casting/lookups.py).

Clients of the 2026-07-28 generation hold a `subscriptions/listen` stream; the SDK's listen
handler feeds it from this process's in-memory bus (and 2025-era sessions hear it from there:
spell_mcp/mcp/sessions.py). Every other process on the same store hears each announcement too:

- with SPELL_REDIS_URL, every process publishes to one Redis channel and relays that channel
  into its own bus, the publisher included;
- without it (the embedded default: `spell serve`, its --workers, a stdio `spell mcp`, all on one
  SQLite file), each announcement is also a row of the store's `announcements` table, which every
  long-running process reads every POLL_S (one indexed read of the rows after the newest it read,
  on SQLite only when its files show a commit since: an idle process reads nothing) and prunes of
  rows older than KEEP_S. SQLite commits one writer at a time, so ids appear in order and no
  reader passes one by; several processes on PostgreSQL share Redis instead.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import anyio
from anyio.abc import TaskStatus
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.subscriptions import ToolsListChanged
from redis.asyncio import Redis
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from registry.models import table_of
from spell_mcp.casting.lookups import Lookups
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import Announcement

log = logging.getLogger("spell.announcements")
CHANNEL = "spell:events:tools"
# Messages on the channel: the tool list changed, a key changed (followed by its id), a user's
# running casts must stop (followed by the user's id: they erased or restricted it), or a queued
# cast was cancelled (followed by its id: whichever process runs it stops it).
TOOLS, KEY, STOP, CANCELLED = "tools", "key:", "stop:", "cancelled:"
# Without Redis: how often each process reads the announcements table, and how long rows stay.
POLL_S = 1.0
KEEP_S = 600
READ_ANYWAY = 30  # polls
PRUNE_EVERY = 60  # polls
ANNOUNCEMENTS = table_of(Announcement)


class Announcer:
    def __init__(
        self,
        bus: InMemorySubscriptionBus,
        redis_url: str | None,
        lookups: Lookups,
        db: Database,
        stop_casts: Callable[[str], object] = lambda _user_id: None,
        stop_cast: Callable[[str], object] = lambda _cast_id: None,
    ) -> None:
        """`stop_casts(user_id)` stops this process's running casts of a user; `stop_cast(cast_id)`
        one queued cast, if it runs here."""
        self.bus = bus
        self.redis = Redis.from_url(redis_url) if redis_url else None
        self.lookups = lookups
        self.db = db
        self.stop_casts = stop_casts
        self.stop_cast = stop_cast
        # Which rows of the announcements table are this process's own.
        self.origin = secrets.token_hex(8)

    async def _announce(self, message: str, what: str) -> None:
        """Tell the other processes; a courtesy, as the change itself is already committed."""
        try:
            if self.redis is not None:
                await self.redis.publish(CHANNEL, message)
            else:
                await self.db.write(partial(_record, self.origin, message))
        except Exception:
            log.exception("could not announce %s", what)

    async def tools_changed(self) -> None:
        self.lookups.forget_spells()
        if self.redis is None:  # with Redis, this process hears its own message through the channel
            await self.bus.publish(ToolsListChanged())
        await self._announce(TOOLS, "a tool list change")

    async def key_changed(self, key_id: str) -> None:
        """A key was revoked or rotated (other processes forget it within seconds regardless)."""
        self.lookups.forget_key(key_id)
        await self._announce(KEY + key_id, "a key change")

    async def casts_must_stop(self, user_id: str) -> None:
        """Stop every running cast of the user, in every process."""
        self.stop_casts(user_id)
        await self._announce(STOP + user_id, "that a user's casts must stop")

    async def cast_cancelled(self, cast_id: str) -> None:
        """A queued cast was cancelled: whichever process runs it stops it (its hold is gone
        already, so a run that goes on charges nothing; stopping it saves the CPU)."""
        await self._announce(CANCELLED + cast_id, "that a cast was cancelled")

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

    async def relay_forever(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Feed this process's bus from the other processes: from the shared channel (every
        process, publisher included), or else from the store. Started (`task_status`) once it
        hears everything announced from then on."""
        if self.redis is None:
            await self._read_store_forever(task_status)
            return
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    task_status = _started(task_status)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self._heard(bytes(message["data"]).decode())
            except Exception:
                log.exception("lost the announcement channel; reconnecting")
                task_status = _started(task_status)  # the process serves on meanwhile
                await anyio.sleep(1)

    async def _read_store_forever(self, task_status: TaskStatus[None]) -> None:
        newest: int | None = None
        marks: tuple[int, ...] | None = None
        for polls in itertools.count(1):
            try:
                # Nothing committed since the last read (SQLite's files unchanged): nothing to read,
                # which is what an idle process sees. Read regardless now and then.
                seen, marks = marks, self.db.commit_marks()
                if newest is None or marks is None or marks != seen or polls % READ_ANYWAY == 0:
                    if newest is None:
                        newest = await self.db.read(_newest)
                    for number, origin, message in await self.db.read(partial(_since, newest)):
                        newest = number
                        if origin != self.origin:
                            await self._heard(message)
                if polls % PRUNE_EVERY == 0:
                    await self.db.write(_prune)
            except Exception:
                marks = None
                log.exception("could not read the announcements of other processes")
            task_status = _started(task_status)  # whether or not the store answered: serve on
            await anyio.sleep(POLL_S)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def _started(task_status: TaskStatus[None]) -> TaskStatus[None]:
    task_status.started()
    return anyio.TASK_STATUS_IGNORED


def _record(origin: str, message: str, session: Session) -> None:
    values = {"origin": origin, "message": message, "created_at": datetime.now(UTC)}
    session.execute(insert(ANNOUNCEMENTS).values(values))


def _newest(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(ANNOUNCEMENTS.c.id), 0))).scalar_one())


def _since(newest: int, session: Session) -> list[tuple[int, str, str]]:
    columns = (ANNOUNCEMENTS.c.id, ANNOUNCEMENTS.c.origin, ANNOUNCEMENTS.c.message)
    rows = session.execute(select(*columns).where(ANNOUNCEMENTS.c.id > newest).order_by(ANNOUNCEMENTS.c.id))
    return [(number, origin, message) for number, origin, message in rows]


def _prune(session: Session) -> None:
    cutoff = datetime.now(UTC) - timedelta(seconds=KEEP_S)
    session.execute(delete(ANNOUNCEMENTS).where(ANNOUNCEMENTS.c.created_at < cutoff))
