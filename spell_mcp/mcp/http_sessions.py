"""Who may open an MCP session over HTTP, how many, and for how long, so that no caster can lock
others out (the SDK's session table is one per process, first come first served).

- Opening a session (Streamable HTTP `initialize` without `Mcp-Session-Id`, or a legacy SSE
  stream) counts against the caster's request rate like any request (spell_mcp/casting/limits.py),
  and is refused with 429 `rate_limited` past it.
- Each caster (a user, whichever of their keys) holds at most SPELL_MCP_SESSIONS_PER_CASTER
  sessions in a process, and the process at most SPELL_MCP_MAX_SESSIONS. At either bound the
  session idle longest (no request in flight, no open GET stream) is ended to make room: first
  the caster's own, and at the process's bound anyone's, as a client whose session ended opens
  another (the specification says it must on 404). Only when none is idle is the new one refused:
  429 `rate_limited` at the caster's bound, 503 `overloaded` at the process's.
- A session with nothing in flight for SPELL_MCP_SESSION_IDLE_S ends (the SDK's idle timeout).

Counts are per process, as the session table is: sessions live in the process that made them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from mcp.server import Server
from mcp.server.auth.middleware.bearer_auth import (
    AuthenticatedUser,
    AuthorizationContext,
    authorization_context,
)
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER, StreamableHTTPServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from spell_mcp.accounts.keys import Caster
from spell_mcp.casting.limits import RequestLimits
from spell_mcp.errors import SpellError
from spell_mcp.mcp.streams import ResumableTransport, SessionEvents
from spell_mcp.observability import metrics
from spell_mcp.settings import Settings

log = logging.getLogger("spell.mcp")
# Set in a request's scope state when its opening was counted against the caster's rate, so
# that its `initialize` is not counted again (spell_mcp/mcp/server.py).
COUNTED = "rate_counted"
# When to try again after a refusal for want of room, in seconds.
RETRY_AFTER_S = 30


def counted(state: Any) -> bool:
    """Whether the request whose (Starlette) state this is was counted already."""
    return bool(getattr(state, COUNTED, False))


@dataclass(eq=False)
class Held:
    """An open session: a Streamable HTTP session's transport, or a legacy SSE stream (None),
    which is in use for as long as it is open."""

    caster: str
    transport: ResumableTransport | None

    def idle_since(self) -> float | None:
        if self.transport is None or self.transport.busy:
            return None
        return self.transport.last_active


def _rebinding_protection(host: str) -> TransportSecuritySettings | None:
    """Bound to this machine only, Host and Origin must name it, as the SDK's own app does
    (against DNS rebinding); behind a real hostname, the proxy in front decides."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        return None
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
    )


def _caster(requestor: AuthorizationContext | None) -> str:
    """Whom a session counts against: the user (spell_mcp/app.py makes them the token's
    subject), whichever of their keys opened it."""
    if requestor is None:
        return ""
    return requestor["subject"] or requestor["client_id"]


class SessionManager(StreamableHTTPSessionManager):
    """The SDK's session manager, with fair admission and resumable streams. (It builds on the
    manager's own steps of mcp 2.3: `_admit_session`, `_discard_session` and the stateful and
    stateless request paths; tests/spell_mcp/mcp/test_http_sessions.py drives each.)"""

    def __init__(
        self,
        server: Server[Any],
        settings: Settings,
        limits: Callable[[], RequestLimits],
    ) -> None:
        super().__init__(
            server,
            stateless=not settings.http_sessions,
            security_settings=_rebinding_protection(settings.host),
            session_idle_timeout=settings.mcp_session_idle_s,
            max_sessions=settings.mcp_max_sessions,
        )
        self.per_caster = settings.mcp_sessions_per_caster
        self.limits = limits
        self._held: dict[str, Held] = {}
        self._of_caster: defaultdict[str, set[str]] = defaultdict(set)

    @property
    def open_sessions(self) -> int:
        """Sessions held in this process (legacy SSE streams included)."""
        return len(self._held)

    # -- opening -----------------------------------------------------------------------------------

    async def _count_opening(self, scope: Scope) -> None:
        caster: Caster = scope["state"]["caster"]
        await self.limits().check(caster)
        scope["state"][COUNTED] = True

    async def _handle_stateful_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        if scope["method"] == "POST" and MCP_SESSION_ID_HEADER.encode() not in headers:
            await self._count_opening(scope)
        await super()._handle_stateful_request(scope, receive, send)

    async def _handle_stateless_request(
        self, protocol_version_hint: str | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if scope["method"] == "GET":
            # No session: nothing to tell a client on a stream of its own, nor to resume.
            await Response(status_code=405, headers={"Allow": "POST"})(scope, receive, send)
            return
        await super()._handle_stateless_request(protocol_version_hint, scope, receive, send)

    def _admit_session(self, requestor: AuthorizationContext | None) -> StreamableHTTPServerTransport | None:
        caster = _caster(requestor)
        self._make_room(caster)
        session_id = uuid4().hex
        transport = ResumableTransport(
            session_id,
            SessionEvents(),
            is_json_response_enabled=self.json_response,
            security_settings=self.security_settings,
            idle_timeout=self.session_idle_timeout,
        )
        if requestor is not None:
            self._session_owners[session_id] = requestor
        self._server_instances[session_id] = transport
        self._hold(session_id, Held(caster, transport))
        return transport

    async def _discard_session(self, session_id: str, transport: StreamableHTTPServerTransport) -> None:
        held = self._held.get(session_id)
        if held is not None and held.transport is transport:
            self._release(session_id)
        await super()._discard_session(session_id, transport)

    @asynccontextmanager
    async def legacy_stream(self, scope: Scope) -> AsyncIterator[None]:
        """Hold a legacy SSE session (GET /sse) for as long as its stream is open."""
        await self._count_opening(scope)
        user = scope.get("user")
        caster = _caster(authorization_context(user) if isinstance(user, AuthenticatedUser) else None)
        stream_id = f"sse-{uuid4().hex}"
        async with self._session_creation_lock:
            self._make_room(caster)
            self._hold(stream_id, Held(caster, None))
        try:
            yield
        finally:
            self._release(stream_id)

    # -- room --------------------------------------------------------------------------------------

    def _hold(self, session_id: str, held: Held) -> None:
        self._held[session_id] = held
        self._of_caster[held.caster].add(session_id)

    def _release(self, session_id: str) -> None:
        held = self._held.pop(session_id, None)
        if held is None:
            return
        mine = self._of_caster[held.caster]
        mine.discard(session_id)
        if not mine:
            del self._of_caster[held.caster]

    def _make_room(self, caster: str) -> None:
        """Room for one more session of `caster`, by ending an idle one if need be; else refused."""
        mine = self._of_caster.get(caster, set())
        if len(mine) >= self.per_caster and not self._end_idlest(mine):
            metrics.RATE_LIMITED.labels("sessions").inc()
            raise SpellError(
                "rate_limited",
                f"you hold {self.per_caster} MCP sessions on this server, all in use: end one "
                "(DELETE /mcp with its Mcp-Session-Id) before opening another",
                retry_after=RETRY_AFTER_S,
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        full = self.max_sessions is not None and len(self._held) >= self.max_sessions
        if full and not self._end_idlest(self._held):
            log.warning("refusing a new MCP session: %d sessions are open and in use", len(self._held))
            metrics.RATE_LIMITED.labels("sessions-total").inc()
            raise SpellError(
                "overloaded",
                "the server holds as many MCP sessions as it can; retry shortly",
                retry_after=RETRY_AFTER_S,
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )

    def _end_idlest(self, among: Iterable[str]) -> bool:
        """End the session idle longest among `among`; False when none is idle."""
        idle = [
            (since, session_id)
            for session_id in among
            if (since := self._held[session_id].idle_since()) is not None
        ]
        if not idle:
            return False
        _, session_id = min(idle)
        transport = self._held[session_id].transport
        assert transport is not None and self._task_group is not None
        # Forgotten now (its id answers 404 from here on), terminated in the background.
        self._release(session_id)
        self._server_instances.pop(session_id, None)
        self._session_owners.pop(session_id, None)
        self._task_group.start_soon(self._discard_session, session_id, transport)
        log.info("ended idle MCP session %s to make room", session_id)
        return True
