"""Processes on one store without Redis hear each other's announcements within seconds: each is
also a row of the store that the others read (and the one that made it does not hear it twice)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import pytest
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.subscriptions import ToolsListChanged

from spell_mcp.casting.lookups import Lookups
from spell_mcp.catalog.announcements import POLL_S, Announcer
from spell_mcp.database.engine import Database as Storage
from tests.conftest import Database

pytestmark = pytest.mark.backends("sqlite", "postgresql")


@dataclass
class Process:
    """What one server process does on hearing an announcement, recorded."""

    announcer: Announcer
    tool_list_changes: list[object] = field(default_factory=list)
    forgotten_keys: list[str] = field(default_factory=list)
    stopped_users: list[str] = field(default_factory=list)
    stopped_casts: list[str] = field(default_factory=list)


class RecordingLookups(Lookups):
    def __init__(self, forgotten: list[str]) -> None:
        super().__init__()
        self.forgotten = forgotten

    def forget_key(self, key_id: str) -> None:
        self.forgotten.append(key_id)
        super().forget_key(key_id)


def process(store: Storage) -> Process:
    forgotten: list[str] = []
    stopped_users: list[str] = []
    stopped_casts: list[str] = []
    announcer = Announcer(
        InMemorySubscriptionBus(),
        None,
        RecordingLookups(forgotten),
        store,
        stop_casts=stopped_users.append,
        stop_cast=stopped_casts.append,
    )
    made = Process(
        announcer, forgotten_keys=forgotten, stopped_users=stopped_users, stopped_casts=stopped_casts
    )
    announcer.bus.subscribe(
        lambda event: made.tool_list_changes.append(event) if isinstance(event, ToolsListChanged) else None
    )
    return made


@asynccontextmanager
async def processes(database: Database) -> AsyncIterator[tuple[Process, Process]]:
    """Two processes on one store (no Redis), each relaying what the other announces."""
    first_store, second_store = Storage(database.url), Storage(database.url)
    first, second = process(first_store), process(second_store)
    try:
        async with anyio.create_task_group() as relays:
            await relays.start(first.announcer.relay_forever)
            await relays.start(second.announcer.relay_forever)
            yield first, second
            relays.cancel_scope.cancel()
    finally:
        await first_store.dispose()
        await second_store.dispose()


async def until(condition: Callable[[], bool]) -> float:
    """Wait for `condition` (at most ten polls); how long it took, in seconds."""
    started = anyio.current_time()
    with anyio.fail_after(10 * POLL_S):
        for _ in iter(int, 1):  # until it holds, checked every 20 ms
            if condition():
                return anyio.current_time() - started
            await anyio.sleep(0.02)
    raise AssertionError("unreachable")


async def test_each_announcement_reaches_the_other_process_within_seconds(database: Database) -> None:
    async with processes(database) as (first, second):
        await first.announcer.tools_changed()
        assert await until(lambda: len(second.tool_list_changes) == 1) < 3 * POLL_S
        await first.announcer.key_changed("0123456789abcdef")
        await first.announcer.casts_must_stop("usr_erased")
        await first.announcer.cast_cancelled("cast_1")
        await until(lambda: second.stopped_casts == ["cast_1"])
        assert second.forgotten_keys == ["0123456789abcdef"] and second.stopped_users == ["usr_erased"]


async def test_the_announcing_process_hears_itself_once(database: Database) -> None:
    async with processes(database) as (first, second):
        await first.announcer.tools_changed()
        await first.announcer.casts_must_stop("usr_erased")
        await second.announcer.cast_cancelled("cast_2")
        # Ids are read in order: once the first hears the second's row, it has read past its own.
        await until(lambda: first.stopped_casts == ["cast_2"])
        assert len(first.tool_list_changes) == 1 and first.stopped_users == ["usr_erased"]
