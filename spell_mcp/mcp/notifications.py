"""A cast's steps told to the MCP clients that asked, and to no other.

Each notification costs about as much as a small request's own handling, so a cast sends them only
when the client asked: progress notifications when the request carries a progress token, log
messages when the client wants the "info" level. Which level a client wants:

- 2026-07-28 requests say it themselves, in `_meta` (`io.modelcontextprotocol/logLevel`);
- 2025-era clients on a lasting connection (stdio, SSE, HTTP sessions) say it once with
  `logging/setLevel`, remembered for the connection;
- 2025-era clients on stateless HTTP have no connection to remember it by: their
  `logging/setLevel` is remembered for the API key (or the user) that sent it, in this process.

A client that never set a level hears no log messages.
"""

from __future__ import annotations

import logging
import warnings
import weakref
from collections import OrderedDict
from typing import Any, get_args

from mcp.server.connection import Connection, allowed_log_levels
from mcp.server.context import ServerRequestContext
from mcp.server.session import ServerSession
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types import LoggingLevel
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from spell_mcp.accounts.keys import Caster

log = logging.getLogger("spell.mcp")
# The specification's order, least severe first.
LOG_LEVELS: tuple[str, ...] = get_args(LoggingLevel)
# The level a cast's steps are logged at.
STEP_LEVEL: LoggingLevel = "info"
# Stateless callers whose level is remembered at once, least recently set forgotten first.
REMEMBERED_CALLERS = 10_000


def lasting_connection(session: ServerSession) -> Connection | None:
    """The connection a request came on, when it lasts beyond the request (stdio, SSE, HTTP
    sessions). A ServerSession lives for one request; the SDK hands handlers no other way to
    reach the connection."""
    connection = getattr(session, "_connection", None)
    if isinstance(connection, Connection) and connection.has_standalone_channel:
        return connection
    return None


def _caller(caster: Caster) -> str:
    return f"key:{caster.key_id}" if caster.key_id else f"user:{caster.user_id}"


class LogLevels:
    """The `logging/setLevel` of 2025-era clients: per lasting connection, else per caller."""

    def __init__(self) -> None:
        self._connections: weakref.WeakKeyDictionary[Connection, str] = weakref.WeakKeyDictionary()
        self._callers: OrderedDict[str, str] = OrderedDict()

    def set(self, session: ServerSession, caster: Caster | None, level: str) -> None:
        connection = lasting_connection(session)
        if connection is not None:
            self._connections[connection] = level
        elif caster is not None:
            self._callers[_caller(caster)] = level
            self._callers.move_to_end(_caller(caster))
            while len(self._callers) > REMEMBERED_CALLERS:
                self._callers.popitem(last=False)

    def wants(self, ctx: ServerRequestContext[Any, Any], caster: Caster, level: str) -> bool:
        """Whether this request's client asked for log messages at `level`."""
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            return level in allowed_log_levels(ctx.protocol_version, ctx.meta)
        connection = lasting_connection(ctx.session)
        if connection is not None:
            wanted = self._connections.get(connection)
        else:
            wanted = self._callers.get(_caller(caster))
        return wanted is not None and LOG_LEVELS.index(level) >= LOG_LEVELS.index(wanted)


def _has_progress_token(ctx: ServerRequestContext[Any, Any]) -> bool:
    meta = ctx.meta or {}
    return meta.get("progress_token") is not None or meta.get("progressToken") is not None


def step_relay(ctx: ServerRequestContext[Any, Any], caster: Caster, levels: LogLevels) -> StepRelay | None:
    """What tells this request's client the cast's steps, or None when it asked for none."""
    progress = _has_progress_token(ctx)
    logs = levels.wants(ctx, caster, STEP_LEVEL)
    return StepRelay(ctx, progress=progress, logs=logs) if progress or logs else None


class StepRelay:
    """Tells the MCP client how a cast goes: each step as a progress notification and as a log
    message, as it asked. A client that went away must not break the cast: sending never raises."""

    def __init__(self, ctx: ServerRequestContext[Any, Any], *, progress: bool, logs: bool) -> None:
        self.session = ctx.session
        # Log messages ride this request's own stream: stateless HTTP has no other.
        self.request_id = ctx.request_id
        self.progress = progress
        self.logs = logs
        self.steps = 0

    async def __call__(self, step: str) -> None:
        self.steps += 1
        try:
            if self.progress:
                await self.session.report_progress(self.steps, None, step)
            if self.logs:
                with warnings.catch_warnings():
                    # Deprecated in 2026-07-28, still part of the 2025 revisions served here.
                    warnings.simplefilter("ignore", MCPDeprecationWarning)
                    await self.session.send_log_message(
                        STEP_LEVEL, step, logger="spell", related_request_id=self.request_id
                    )
        except Exception as exc:
            log.debug("could not report a cast step: %s", exc)
