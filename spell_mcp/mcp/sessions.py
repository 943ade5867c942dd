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
from typing import Any

import anyio
from mcp.server.connection import Connection
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.session import ServerSession
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.subscriptions import ToolsListChanged

from spell_mcp.mcp.notifications import lasting_connection

log = logging.getLogger("spell.mcp")
# What a lasting session's server advertises: it does send tools/list_changed.
LASTING = NotificationOptions(tools_changed=True)


class LastingSessions:
    def __init__(self, bus: InMemorySubscriptionBus) -> None:
        self.bus = bus
        self._connections: weakref.WeakSet[Connection] = weakref.WeakSet()

    def remember(self, session: ServerSession) -> None:
        connection = lasting_connection(session)
        if connection is not None:
            self._connections.add(connection)

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
