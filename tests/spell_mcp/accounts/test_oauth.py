"""Agents registering themselves with Spell's authorization server (spell_mcp/accounts/oauth/):
its metadata says how they sign in; hostile redirect URIs are refused; a client's secret is kept
only as a digest."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from authlib.oauth2 import rfc8414, rfc9207

from spell_mcp import audit
from spell_mcp.accounts.oauth.server import Incoming, Issuer, Outgoing, metadata
from spell_mcp.accounts.oauth.service import OAuthService
from spell_mcp.database.tables import OAuthClient
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings
from tests.conftest import Database
from tests.tls import TestCA, gate_to_loopback, temporary_ca

BASE = "https://spell.test"
CALLBACK = "http://127.0.0.1:8765/callback"
AGENT_HOST = "agent.test"
# Names the gate resolves: the agent's document host (a loopback address the tests' gate lets
# through, standing in for a public one), and hosts inside a network that must never be reached.
NAMES = {
    AGENT_HOST: ["127.0.0.2"],
    "metadata.internal.test": ["169.254.169.254"],
    "intranet.test": ["10.0.0.5"],
}
ACTOR = audit.Actor(None, via="web")


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return temporary_ca([AGENT_HOST])


@pytest.fixture
async def platform(database: Database, tmp_path: Path, ca: TestCA) -> AsyncIterator[Platform]:
    gate = gate_to_loopback(ca, lambda host, port: NAMES[host])
    opened = await Platform.open(Settings(home=tmp_path / "home", database_url=database.url), network=gate)
    try:
        yield opened
    finally:
        await opened.close()


@dataclass
class Agent:
    """An MCP client signing in: it registers (or names its metadata document), sends the person
    to authorize, and trades codes and refresh tokens at the token endpoint."""

    service: OAuthService
    issuer: Issuer
    client_id: str = ""
    secret: str | None = None
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    async def register(self, **metadata: Any) -> Outgoing:
        document = {
            "redirect_uris": [CALLBACK],
            "client_name": "Test agent",
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
            **metadata,
        }
        answer = await self.service.register(
            self.issuer, Incoming("POST", f"{BASE}/register", {}, [], document)
        )
        if answer.status == 201:
            assert answer.body is not None
            self.client_id, self.secret = answer.body["client_id"], answer.body.get("client_secret")
        return answer


def test_the_metadata_says_how_agents_sign_in() -> None:
    """RFC 8414, with RFC 9207's `iss`, as authlib's own validator reads it: PKCE S256 only,
    metadata documents and registration both, public clients welcome."""
    hour = timedelta(hours=1)
    issuer = Issuer(BASE, frozenset({f"{BASE}/mcp"}), f"{BASE}/mcp", hour, hour, datetime.now(UTC))
    document = rfc8414.AuthorizationServerMetadata(metadata(issuer))
    document.validate(metadata_classes=[rfc9207.AuthorizationServerMetadata])
    assert document["issuer"] == BASE and document["registration_endpoint"] == f"{BASE}/register"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["client_id_metadata_document_supported"] is True
    assert "none" in document["token_endpoint_auth_methods_supported"]
    assert document["response_types_supported"] == ["code"]


HOSTILE_REDIRECTS = [
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://evil.example/callback",
    "https://app.example/callback#fragment",
    "https://user:pass@app.example/callback",
    "file:///etc/passwd",
    "vbscript:msgbox",
    "",
]


async def test_registration_refuses_a_hostile_redirect_uri(platform: Platform) -> None:
    agent = Agent(platform.oauth, platform.oauth.issuer(BASE))
    for uri in HOSTILE_REDIRECTS:
        answer = await agent.register(redirect_uris=[CALLBACK, uri])
        assert answer.status == 400 and answer.body is not None, uri
        assert answer.body["error"] in ("invalid_redirect_uri", "invalid_client_metadata"), answer.body
    assert await platform.db.read(lambda session: session.query(OAuthClient).count()) == 0


async def test_a_confidential_client_keeps_only_its_secret_digest(
    platform: Platform,
) -> None:
    agent = Agent(platform.oauth, platform.oauth.issuer(BASE))
    answer = await agent.register(token_endpoint_auth_method="client_secret_post")
    assert agent.secret and answer.body is not None and answer.body["client_secret_expires_at"] == 0
    row = await platform.db.read(lambda session: session.get(OAuthClient, agent.client_id))
    assert row is not None and row.secret_sha256 == hashlib.sha256(agent.secret.encode()).hexdigest()
    assert agent.secret not in json.dumps(row.document)
