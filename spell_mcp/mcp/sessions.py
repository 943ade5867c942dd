"""tools/list_changed for 2025-era clients on connections that last: stdio and the legacy SSE
transport.

Those clients are told over their connection, so connections are remembered when their client
lists tools (every client does right after connecting), weakly: a closed one simply disappears.
Only connections with a standalone channel to the client qualify, which stateless HTTP's
per-request connections do not have.
Announcements arrive on this process's bus, which the Redis relay feeds from every process
(spell_mcp/catalog/announcements.py). 2026-07-28 clients use `subscriptions/listen` instead; 2025-era
clients on stateless Streamable HTTP have no channel to be told on, and use the catalog tools.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from typing import Any, get_args

import anyio
from mcp.server.connection import Connection
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.session import ServerSession
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.subscriptions import ToolsListChanged
from mcp_types import LoggingLevel

log = logging.getLogger("spell.mcp")
# What a lasting session's server advertises: it does send tools/list_changed.
LASTING = NotificationOptions(tools_changed=True)


# The specification's order, least severe first.
LOG_LEVELS: tuple[str, ...] = get_args(LoggingLevel)


def _lasting_connection(session: ServerSession) -> Connection | None:
    # A ServerSession lives for one request; the connection it serves is what lasts. The SDK
    # hands handlers no other way to reach it.
    connection = getattr(session, "_connection", None)
    if isinstance(connection, Connection) and connection.has_standalone_channel:
        return connection
    return None


class LastingSessions:
    def __init__(self, bus: InMemorySubscriptionBus) -> None:
        self.bus = bus
        self._connections: weakref.WeakSet[Connection] = weakref.WeakSet()
        # logging/setLevel of each lasting connection that sent one.
        self._log_levels: weakref.WeakKeyDictionary[Connection, str] = weakref.WeakKeyDictionary()

    def remember(self, session: ServerSession) -> None:
        connection = _lasting_connection(session)
        if connection is not None:
            self._connections.add(connection)

    def set_log_level(self, session: ServerSession, level: str) -> None:
        """Remember a client's logging/setLevel (only a lasting connection can be remembered)."""
        connection = _lasting_connection(session)
        if connection is not None:
            self._log_levels[connection] = level

    def logs_at(self, session: ServerSession, level: str) -> bool:
        """Whether the client wants log messages of `level` (yes unless it asked for less)."""
        connection = _lasting_connection(session)
        wanted = self._log_levels.get(connection) if connection is not None else None
        return wanted is None or LOG_LEVELS.index(level) >= LOG_LEVELS.index(wanted)

    async def forward_forever(self) -> None:
        """Tell every remembered session each time the tool list changes."""
        changes, pending = anyio.create_memory_object_stream[Any](16)

        def on_event(event: Any) -> None:
            if isinstance(event, ToolsListChanged):
                # When notices are already waiting, one more adds nothing.
                with contextlib.suppress(anyio.WouldBlock):
                    changes.send_nowait(event)

        unsubscribe = self.bus.subscribe(on_event)
        try:
            async for _ in pending:
                for connection in list(self._connections):
                    try:
                        await connection.send_tool_list_changed()
                    except Exception as exc:  # gone meanwhile
                        log.debug("could not tell a client about new tools: %s", exc)
                        self._connections.discard(connection)
        finally:
            unsubscribe()
