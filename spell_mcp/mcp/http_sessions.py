"""Streamable HTTP sessions whose SSE streams can be resumed (spell_mcp/mcp/streams.py).

Without sessions (stateless Streamable HTTP) a GET is answered 405: there is nothing to tell a
client on a stream of its own, nor anything to resume.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

from mcp.server import Server
from mcp.server.auth.middleware.bearer_auth import AuthorizationContext
from mcp.server.streamable_http import StreamableHTTPServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from spell_mcp.mcp.streams import ResumableTransport, SessionEvents
from spell_mcp.settings import Settings

log = logging.getLogger("spell.mcp")


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


class SessionManager(StreamableHTTPSessionManager):
    """The SDK's session manager, its sessions' streams resumable. (It builds on the manager's own
    steps of mcp 2.3: `_admit_session` and the stateless request path;
    tests/spell_mcp/mcp/test_streams.py drives each.)"""

    def __init__(self, server: Server[Any], settings: Settings) -> None:
        super().__init__(
            server,
            stateless=not settings.http_sessions,
            security_settings=_rebinding_protection(settings.host),
        )

    async def _handle_stateless_request(
        self, protocol_version_hint: str | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if scope["method"] == "GET":
            await Response(status_code=405, headers={"Allow": "POST"})(scope, receive, send)
            return
        await super()._handle_stateless_request(protocol_version_hint, scope, receive, send)

    def _admit_session(self, requestor: AuthorizationContext | None) -> StreamableHTTPServerTransport | None:
        if self.max_sessions is not None and len(self._server_instances) >= self.max_sessions:
            return None
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
        return transport
