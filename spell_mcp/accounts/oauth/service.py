"""Signing an agent in, as one unit of work per request: check an agent's authorization request,
show it to the person, turn their decision into a grant (a key with scopes, a budget and an
expiry) and a code, and answer the token, registration and revocation endpoints. Each runs the
authorization server (spell_mcp/accounts/oauth/server.py) in one database transaction; fetching
an agent's metadata document happens before, outside it.

Between the agent's request and the person's decision the request travels sealed with the
platform's key (as the GitHub sign-in's flow cookie does), so the page in between can neither
read nor alter it, and it expires.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio
from authlib.common.security import is_secure_transport
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from sqlalchemy.orm import Session

from billing import Budgets
from runtime.net import NetworkGate
from spell_mcp import audit
from spell_mcp.accounts.keys import ApiKey, Caster, KeyWatchers, create_key, scopes_for_new_key
from spell_mcp.accounts.oauth import clients
from spell_mcp.accounts.oauth.clients import Client, ClientProblem
from spell_mcp.accounts.oauth.server import (
    AUTHORIZE_PATH,
    Approval,
    Incoming,
    Issuer,
    Outgoing,
    Server,
    canonical_resource,
)
from spell_mcp.accounts.secrets import SecretBox
from spell_mcp.database.engine import Database
from spell_mcp.errors import SpellError
from spell_mcp.settings import Settings

# How long a person has to sign in and decide (GitHub's sign-in included).
DECISION_TIME_S = 15 * 60
# The MCP endpoints a token may be bound to: Streamable HTTP, and the legacy SSE transport.
MCP_PATHS = ("/mcp", "/sse")
T = TypeVar("T")


@dataclass(frozen=True)
class Checked:
    """An authorization request, checked: `sealed` to show the person, or a refusal (`refused`):
    sent back to the agent when it has a `location`, else for the person to read."""

    sealed: str | None = None
    refused: Outgoing | None = None


@dataclass(frozen=True)
class ConsentRequest:
    """What the person is asked to decide, in the words of the consent page."""

    client_id: str
    client_name: str
    client_uri: str | None
    # Known by a metadata document whose host vouches for it; else a registration's own claim.
    verified_by: str | None
    redirect_uri: str
    # Where the person is sent back to (scheme and host): the agent that gets the code.
    redirect_to: str
    # Every redirect URI of the agent is this machine: any program on it could claim to be it.
    loopback_only: bool
    scopes: list[str]
    resource: str


@dataclass(frozen=True)
class Decision:
    approve: bool
    scopes: list[str] | None = None
    daily_cap_micros: int | None = None
    expires_at: datetime | None = None


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

    # -- the authorization endpoint and the person's decision ------------------------------------

    async def check(self, issuer: Issuer, incoming: Incoming) -> Checked:
        """An agent's authorization request (GET /authorize)."""
        if not is_secure_transport(issuer.url):
            return _for_person("invalid_request", "signing agents in needs https: set SPELL_PUBLIC_URL")
        client_id = dict(incoming.params).get("client_id", "")
        try:
            await self._know(client_id)
        except ClientProblem as problem:
            return _for_person("invalid_client", problem.message)

        def work(session: Session) -> Outgoing | None:
            server = Server(session, issuer)
            request = server.create_oauth2_request(incoming)
            try:
                server.get_consent_grant(request)
            except OAuth2Error as error:
                return server.refusal(request, error)
            return None

        refused = await self.db.read(_guarded(work))
        if refused is not None:
            return Checked(refused=refused)
        sealed = self.box.seal(json.dumps({"issuer": issuer.url, "params": incoming.params}))
        return Checked(sealed=sealed.decode())

    async def consent_request(self, issuer: Issuer, sealed: str) -> ConsentRequest:
        """What the person is asked about a sealed authorization request."""
        incoming = await self._opened(issuer, sealed)

        def work(session: Session) -> ConsentRequest:
            server = Server(session, issuer)
            request = server.create_oauth2_request(incoming)
            grant = _consent_grant(server, request)
            client: Client = request.client
            parts = urlsplit(grant.redirect_uri)
            return ConsentRequest(
                client_id=client.client_id,
                client_name=client.name[:200],
                client_uri=client.document.get("client_uri"),
                verified_by=urlsplit(client.client_id).hostname if client.from_document else None,
                redirect_uri=grant.redirect_uri,
                redirect_to=f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:",
                loopback_only=all(
                    clients.redirect_uri_problem(uri) is None and urlsplit(uri).scheme == "http"
                    for uri in client.redirect_uris
                ),
                scopes=request.scope.split(),
                resource=str(request.resource),
            )

        return await self.db.read(work)

    async def decide(
        self, issuer: Issuer, sealed: str, caster: Caster, actor: audit.Actor, decision: Decision
    ) -> str:
        """The person's decision on a sealed authorization request: where to send their browser
        (back to the agent, with a code or `access_denied`). Approving makes the grant: a key of
        the person's, named after the agent, with the scopes, daily budget and expiry they chose."""
        incoming = await self._opened(issuer, sealed)

        def work(session: Session) -> str:
            server = Server(session, issuer)
            request = server.create_oauth2_request(incoming)
            grant = _consent_grant(server, request)
            approval = None
            if decision.approve:
                approval = _grant(session, request.client, request.scope.split(), caster, actor, decision)
            response = server.with_issuer(server.create_authorization_response(request, approval, grant))
            assert response.location is not None  # the redirect URI was checked
            return response.location

        return await self.db.write(work)

    async def _opened(self, issuer: Issuer, sealed: str) -> Incoming:
        opened = self.box.open(sealed.encode(), max_age_s=DECISION_TIME_S)
        request = json.loads(opened) if opened else None
        if not request or request.get("issuer") != issuer.url:
            raise SpellError(
                "authorization_request_invalid",
                "this sign-in request has expired or was made elsewhere: start again from the agent",
            )
        params = [(str(name), str(value)) for name, value in request["params"]]
        incoming = Incoming("GET", issuer.endpoint(AUTHORIZE_PATH), {}, params)
        try:
            await self._know(dict(params).get("client_id", ""))
        except ClientProblem as problem:
            raise SpellError("authorization_request_invalid", problem.message) from None
        return incoming

    # -- the token, registration and revocation endpoints ---------------------------------------

    async def token(self, issuer: Issuer, incoming: Incoming) -> Outgoing:
        client_id = dict(incoming.params).get("client_id", "")
        try:
            await self._know(client_id)
        except ClientProblem as problem:
            return Outgoing(400, {"error": "invalid_client", "error_description": problem.message}, [])
        return await self._endpoint(issuer, lambda server: server.create_token_response(incoming))

    async def revoke(self, issuer: Issuer, incoming: Incoming) -> Outgoing:
        return await self._endpoint(
            issuer, lambda server: server.create_endpoint_response("revocation", incoming)
        )

    async def register(self, issuer: Issuer, incoming: Incoming) -> Outgoing:
        return await self._endpoint(
            issuer, lambda server: server.create_endpoint_response("client_registration", incoming)
        )

    async def _endpoint(self, issuer: Issuer, answer: Callable[[Server], Outgoing]) -> Outgoing:
        if not is_secure_transport(issuer.url):
            error = InvalidRequestError("signing agents in needs https: set SPELL_PUBLIC_URL")
            return Outgoing(*error())

        changed: list[str] = []

        def work(session: Session) -> Outgoing:
            server = Server(session, issuer)
            server.changed = changed
            return answer(server)

        response = await self.db.write(_guarded(work))
        for key_id in changed:
            await self.watchers.key_changed(key_id)
        return response

    async def _know(self, client_id: str) -> None:
        """Make sure an agent known by its metadata document has a fresh copy kept. Raises
        `ClientProblem` when the document cannot be used."""
        if not clients.is_metadata_url(client_id):
            return
        now = datetime.now(UTC)
        if await self.db.read(lambda session: clients.cached_document(session, client_id, now)):
            return
        document, keep = await anyio.to_thread.run_sync(clients.fetch_document, self.gate, client_id)
        await self.db.write(lambda session: clients.keep_document(session, client_id, document, keep, now))


def mcp_resources(base_url: str) -> frozenset[str]:
    """The resources (RFC 8707) a token may be bound to at `base_url`: its MCP endpoints, where
    one such token is accepted (one MCP server, two transports) and nowhere else."""
    return frozenset(filter(None, (canonical_resource(f"{base_url}{path}") for path in MCP_PATHS)))


def _for_person(error: str, description: str) -> Checked:
    return Checked(refused=Outgoing(400, {"error": error, "error_description": description}, []))


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


def _consent_grant(server: Server, request: Any) -> Any:
    try:
        return server.get_consent_grant(request)
    except OAuth2Error as error:
        raise SpellError("authorization_request_invalid", error.description or error.error) from None


def _grant(
    session: Session,
    client: Client,
    requested: list[str],
    caster: Caster,
    actor: audit.Actor,
    decision: Decision,
) -> Approval:
    """The key a person grants an agent: the scopes they kept of those it asked for."""
    chosen = decision.scopes if decision.scopes is not None else requested
    if not chosen or not set(chosen) <= set(requested):
        raise SpellError(
            "request_invalid", f"grant some of the scopes the agent asked for: {', '.join(requested)}"
        )
    scopes = scopes_for_new_key(caster, chosen, decision.expires_at)
    secret = create_key(session, caster.user_id, client.name[:200], scopes, decision.expires_at)
    key = session.get(ApiKey, secret.split("_")[2])
    assert key is not None
    key.oauth_client_id = client.client_id
    if decision.daily_cap_micros is not None:
        Budgets(session).set(f"key:{key.id}", daily_cap_micros=decision.daily_cap_micros)
    details = {
        "scopes": key.scopes,
        "budget": decision.daily_cap_micros is not None,
        "oauth_client": client.client_id,
    }
    audit.record(session, actor, "key.created", "key", key.id, details=details)
    return Approval(key.id, list(scopes))
