"""Signing an agent in, as one unit of work per request: so far, an agent's registration. Each
runs the authorization server (spell_mcp/accounts/oauth/server.py) in one database transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from authlib.common.security import is_secure_transport
from authlib.oauth2.rfc6749 import InvalidRequestError
from sqlalchemy.orm import Session

from runtime.net import NetworkGate
from spell_mcp.accounts.keys import KeyWatchers
from spell_mcp.accounts.oauth.server import (
    Incoming,
    Issuer,
    Outgoing,
    Server,
    canonical_resource,
)
from spell_mcp.accounts.secrets import SecretBox
from spell_mcp.database.engine import Database
from spell_mcp.settings import Settings

# The MCP endpoints a token may be bound to: Streamable HTTP, and the legacy SSE transport.
MCP_PATHS = ("/mcp", "/sse")
T = TypeVar("T")


class OAuthService:
    def __init__(
        self, settings: Settings, db: Database, gate: NetworkGate, box: SecretBox, watchers: KeyWatchers
    ) -> None:
        self.settings = settings
        self.db = db
        self.gate = gate
        self.box = box
        self.watchers = watchers

    def issuer(self, base_url: str) -> Issuer:
        """The authorization server as reached at `base_url` (the public URL)."""
        return Issuer(
            url=base_url,
            resources=mcp_resources(base_url),
            default_resource=canonical_resource(f"{base_url}{MCP_PATHS[0]}") or f"{base_url}{MCP_PATHS[0]}",
            access_token_lifetime=timedelta(seconds=self.settings.oauth_access_token_s),
            refresh_token_lifetime=timedelta(days=self.settings.oauth_refresh_token_days),
            now=datetime.now(UTC),
        )

    # -- the registration endpoint ---------------------------------------------------------------

    async def register(self, issuer: Issuer, incoming: Incoming) -> Outgoing:
        return await self._endpoint(
            issuer, lambda server: server.create_endpoint_response("client_registration", incoming)
        )

    async def _endpoint(self, issuer: Issuer, answer: Callable[[Server], Outgoing]) -> Outgoing:
        if not is_secure_transport(issuer.url):
            error = InvalidRequestError("signing agents in needs https: set SPELL_PUBLIC_URL")
            return Outgoing(*error())
        return await self.db.write(_guarded(lambda session: answer(Server(session, issuer))))


def mcp_resources(base_url: str) -> frozenset[str]:
    """The resources (RFC 8707) a token may be bound to at `base_url`: its MCP endpoints, where
    one such token is accepted (one MCP server, two transports) and nowhere else."""
    return frozenset(filter(None, (canonical_resource(f"{base_url}{path}") for path in MCP_PATHS)))


def _guarded(work: Callable[[Session], T]) -> Callable[[Session], T | Outgoing]:
    """authlib refuses to build an error whose description would carry characters RFC 6749
    forbids (ValueError): requests that bring such characters are refused as malformed."""

    def guarded(session: Session) -> T | Outgoing:
        try:
            return work(session)
        except ValueError:
            error = InvalidRequestError("the request carries characters OAuth does not allow")
            return Outgoing(*error())

    return guarded
