"""Signing agents in with OAuth 2.1 (spell_mcp/accounts/oauth/), at the service: what a person
grants becomes a key with a budget; codes and refresh tokens are used once (a second use ends the
grant, even when two uses race); PKCE is S256 and required; redirect URIs are exact and never
hostile; tokens work only at the MCP endpoint they were issued for; metadata documents come
through the network gate or not at all. On SQLite and PostgreSQL: the races are the database's."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.oauth2 import rfc8414, rfc9207
from sqlalchemy import select

from billing import Budgets
from spell_mcp import audit
from spell_mcp.accounts import keys
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.oauth.server import Incoming, Issuer, Outgoing, metadata
from spell_mcp.accounts.oauth.service import Decision, OAuthService, mcp_resources
from spell_mcp.accounts.oauth.tokens import forget_spent
from spell_mcp.database.tables import ApiKey, OAuthClient, OAuthToken
from spell_mcp.errors import SpellError
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings
from tests.conftest import Database
from tests.tls import Documents, TestCA, gate_to_loopback, serving_documents, temporary_ca

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
def documents(ca: TestCA) -> Iterator[Documents]:
    with serving_documents(ca) as served:
        yield served


def document_url(documents: Documents, path: str) -> str:
    return f"https://{AGENT_HOST}:{documents.port}{path}"


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

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

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

    def request(self, **overrides: str | None) -> list[tuple[str, str]]:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": CALLBACK,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            "state": "the-state",
            "scope": "cast read",
            "resource": f"{BASE}/mcp",
            **overrides,
        }
        return [(name, value) for name, value in params.items() if value is not None]

    async def ask(self, **overrides: str | None) -> Any:
        incoming = Incoming("GET", f"{BASE}/authorize", {}, self.request(**overrides))
        return await self.service.check(self.issuer, incoming)

    async def token(self, **form: str) -> Outgoing:
        params = [("client_id", self.client_id), *form.items()]
        if self.secret is not None:
            params.append(("client_secret", self.secret))
        return await self.service.token(self.issuer, Incoming("POST", f"{BASE}/token", {}, params))

    async def exchange(self, code: str, **extra: str) -> Outgoing:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "resource": f"{BASE}/mcp",
        }
        return await self.token(**{**form, "code_verifier": self.verifier, **extra})

    async def refresh(self, refresh_token: str) -> Outgoing:
        return await self.token(grant_type="refresh_token", refresh_token=refresh_token)

    async def revoke(self, token: str) -> Outgoing:
        params = [("client_id", self.client_id), ("token", token)]
        return await self.service.revoke(self.issuer, Incoming("POST", f"{BASE}/revoke", {}, params))


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


async def person(platform: Platform) -> Caster:
    made = await platform.db.write(
        lambda session: create_user_with_credits(session, audit.CONSOLE, "person", credits_micros=10**6)
    )
    return await platform.authenticate(made.api_key)


async def approved(
    agent: Agent, caster: Caster, decision: Decision | None = None, **ask: str | None
) -> dict[str, str]:
    """The person approves the agent's request: the query the agent's redirect URI receives."""
    checked = await agent.ask(**ask)
    assert checked.sealed is not None, checked.refused
    redirect = await agent.service.decide(
        agent.issuer, checked.sealed, caster, ACTOR, decision or Decision(True)
    )
    return {name: values[0] for name, values in parse_qs(urlsplit(redirect).query).items()}


async def signed_in(
    platform: Platform, decision: Decision | None = None
) -> tuple[Agent, Caster, dict[str, Any]]:
    """A registered agent a person approved, with its first tokens."""
    agent = Agent(platform.oauth, platform.oauth.issuer(BASE))
    await agent.register()
    caster = await person(platform)
    code = (await approved(agent, caster, decision))["code"]
    tokens = await agent.exchange(code)
    assert tokens.status == 200, tokens.body
    assert tokens.body is not None
    return agent, caster, tokens.body


async def mcp_caster(platform: Platform, access_token: str, base: str = BASE) -> Caster:
    return await platform.authenticate(access_token, mcp_resources(base))


async def refused(platform: Platform, access_token: str, base: str = BASE) -> str:
    with pytest.raises(SpellError) as refusal:
        await mcp_caster(platform, access_token, base)
    assert refusal.value.code == "unauthenticated"
    return refusal.value.detail


async def test_what_a_person_grants_is_a_key_with_their_budget_and_the_token_authenticates_as_it(
    platform: Platform,
) -> None:
    decision = Decision(
        True, scopes=["cast"], daily_cap_micros=250, expires_at=datetime.now(UTC) + timedelta(days=3)
    )
    agent, caster, tokens = await signed_in(platform, decision)
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "cast"
    assert tokens["access_token"].startswith("spell_at_") and tokens["refresh_token"].startswith("spell_rt_")
    as_agent = await mcp_caster(platform, tokens["access_token"])
    (key,) = [key for key in await keys.keys_of(platform.db, caster.user_id) if key.oauth_client_id]
    assert (key.oauth_client_id, key.name, key.scopes) == (agent.client_id, "Test agent", ["cast"])
    assert (as_agent.user_id, as_agent.key_id, as_agent.scopes) == (
        caster.user_id,
        key.id,
        frozenset({"cast"}),
    )
    budget = await platform.db.read(lambda session: Budgets(session).get(f"key:{key.id}"))
    assert budget is not None and budget.daily_cap_micros == 250
    # Only digests are stored: no code, token or secret is readable from the database.
    stored = await platform.db.read(
        lambda session: [*session.execute(select(OAuthToken.token_sha256)).scalars()]  # type: ignore[call-overload]
    )
    assert tokens["access_token"] not in stored
    assert hashlib.sha256(tokens["access_token"].encode()).hexdigest() in stored


async def test_an_access_token_works_only_at_the_mcp_endpoint_it_was_issued_for(platform: Platform) -> None:
    _, _, tokens = await signed_in(platform)
    assert "issued for https://spell.test/mcp" in await refused(
        platform, tokens["access_token"], "https://other.test"
    )
    with pytest.raises(SpellError, match="not for this endpoint"):
        await platform.authenticate(tokens["access_token"])  # the REST API


async def test_a_token_for_another_resource_is_never_issued(platform: Platform) -> None:
    agent = Agent(platform.oauth, platform.oauth.issuer(BASE))
    await agent.register()
    checked = await agent.ask(resource="https://other.test/mcp")
    assert checked.refused.location is not None
    back = parse_qs(urlsplit(checked.refused.location).query)
    assert back["error"] == ["invalid_target"] and back["state"] == ["the-state"] and back["iss"] == [BASE]
    # The legacy SSE endpoint is the same MCP server: its tokens are bound to it.
    sse = await approved(agent, await person(platform), resource=f"{BASE}/sse")
    answer = await agent.exchange(sse["code"], resource=f"{BASE}/sse")
    assert answer.status == 200, answer.body


async def test_a_wrong_verifier_is_refused_and_uses_the_code_up(platform: Platform) -> None:
    agent = Agent(platform.oauth, platform.oauth.issuer(BASE))
    await agent.register()
    code = (await approved(agent, await person(platform)))["code"]
    right = agent.verifier
    agent.verifier = secrets.token_urlsafe(48)
    wrong = await agent.exchange(code)
    assert (wrong.status, wrong.body and wrong.body["error"]) == (400, "invalid_grant")
    agent.verifier = right
    late = await agent.exchange(code)
    assert late.body is not None and late.body["error"] == "invalid_grant", "a guessed-at code is spent"


async def test_a_code_used_twice_is_refused_and_ends_the_grant_it_made(platform: Platform) -> None:
    agent, caster, earlier = await signed_in(platform)
    stolen = (await approved(agent, caster))["code"]
    first = await agent.exchange(stolen)
    assert first.status == 200 and first.body is not None
    # Whoever used the code second (the agent, or a thief), the grant it made ends.
    second = await agent.exchange(stolen)
    assert second.body is not None and second.body["error"] == "invalid_grant"
    assert "revoked" in await refused(platform, first.body["access_token"])
    refreshed = await agent.refresh(first.body["refresh_token"])
    assert refreshed.body is not None and refreshed.body["error"] == "invalid_grant"
    await mcp_caster(platform, earlier["access_token"]), "another grant of the same agent lives on"


async def test_two_exchanges_racing_with_one_code_cannot_both_win(platform: Platform) -> None:
    agent = Agent(platform.oauth, platform.oauth.issuer(BASE))
    await agent.register()
    code = (await approved(agent, await person(platform)))["code"]
    answers = await asyncio.gather(agent.exchange(code), agent.exchange(code))
    assert sorted(answer.status for answer in answers) == [200, 400]
    (won,) = [answer.body for answer in answers if answer.status == 200]
    assert won is not None
    assert "revoked" in await refused(platform, won["access_token"]), "the loser's replay ended the grant"


async def test_a_refresh_replaces_both_tokens_and_a_replayed_refresh_token_ends_the_grant(
    platform: Platform,
) -> None:
    agent, _, tokens = await signed_in(platform)
    refreshed = await agent.refresh(tokens["refresh_token"])
    assert refreshed.status == 200 and refreshed.body is not None
    new = refreshed.body
    assert new["refresh_token"] != tokens["refresh_token"] and new["access_token"] != tokens["access_token"]
    assert new["scope"] == "cast read"
    await mcp_caster(platform, new["access_token"])
    wider = await agent.token(
        grant_type="refresh_token", refresh_token=new["refresh_token"], scope="cast publish"
    )
    assert wider.body is not None and wider.body["error"] == "invalid_scope"
    await mcp_caster(platform, new["access_token"]), "a refused refresh costs the agent nothing"
    replayed = await agent.refresh(tokens["refresh_token"])
    assert replayed.body is not None and replayed.body["error"] == "invalid_grant"
    assert "revoked" in await refused(platform, new["access_token"])
    after = await agent.refresh(new["refresh_token"])
    assert after.body is not None and after.body["error"] == "invalid_grant"


async def test_revoking_a_refresh_token_signs_the_agent_out_and_an_access_token_only_itself(
    platform: Platform,
) -> None:
    agent, caster, tokens = await signed_in(platform)
    second = await agent.refresh(tokens["refresh_token"])
    assert second.body is not None
    await mcp_caster(platform, tokens["access_token"])  # remembered for a moment by this process
    assert (await agent.revoke(tokens["access_token"])).status == 200
    assert "revoked" in await refused(platform, tokens["access_token"])
    await mcp_caster(platform, second.body["access_token"])
    assert (await agent.revoke("spell_rt_unknown")).status == 200, "RFC 7009: an unknown token is no error"
    assert (await agent.revoke(second.body["refresh_token"])).status == 200
    assert "revoked" in await refused(platform, second.body["access_token"])
    (key,) = [key for key in await keys.keys_of(platform.db, caster.user_id) if key.oauth_client_id]
    assert key.revoked_at is not None, "the keys page shows the agent signed out"


async def test_a_grant_revoked_on_the_keys_page_ends_its_tokens(platform: Platform) -> None:
    _, caster, tokens = await signed_in(platform)
    await mcp_caster(platform, tokens["access_token"])  # remembered for a moment by this process
    (key,) = [key for key in await keys.keys_of(platform.db, caster.user_id) if key.oauth_client_id]
    owner = Caster(caster.user_id, None, False)
    with pytest.raises(SpellError, match="renews its own tokens"):
        await keys.rotate(platform.db, platform.announcer, owner, key.id, timedelta(0), ACTOR)
    await keys.revoke(platform.db, platform.announcer, owner, key.id, ACTOR)
    assert "revoked" in await refused(platform, tokens["access_token"])


async def test_an_expired_access_token_is_refused(platform: Platform) -> None:
    short = platform.settings.model_copy(update={"oauth_access_token_s": 1})
    platform.oauth.settings = short
    _, _, tokens = await signed_in(platform)
    assert tokens["expires_in"] == 1
    await asyncio.sleep(1.5)
    assert "expired" in await refused(platform, tokens["access_token"])


async def test_pkce_is_required_with_s256_only(platform: Platform) -> None:
    agent = Agent(platform.oauth, platform.oauth.issuer(BASE))
    await agent.register()
    for overrides in (
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "plain"},
    ):
        checked = await agent.ask(**overrides)
        assert checked.refused.location is not None, overrides
        assert parse_qs(urlsplit(checked.refused.location).query)["error"] == ["invalid_request"]
    # A challenge without a method means "plain" (RFC 7636 §4.3).
    assert (await agent.ask(code_challenge_method=None)).refused is not None


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


async def test_an_unregistered_redirect_uri_is_told_to_the_person_never_redirected_to(
    platform: Platform,
) -> None:
    agent = Agent(platform.oauth, platform.oauth.issuer(BASE))
    registered = ["http://127.0.0.1/callback", "cursor://anysphere.cursor-mcp/oauth/callback"]
    assert (await agent.register(redirect_uris=registered)).status == 201
    for stranger in ("https://evil.example/callback", "http://127.0.0.1/other", "http://127.0.0.2/callback"):
        checked = await agent.ask(redirect_uri=stranger)
        assert checked.refused is not None and checked.refused.location is None, stranger
        assert "is not registered" in checked.refused.body["error_description"]
    # A loopback redirect URI matches on any port (RFC 8252 §7.3); an app's own scheme exactly.
    for allowed in ("http://127.0.0.1:54321/callback", "cursor://anysphere.cursor-mcp/oauth/callback"):
        assert (await agent.ask(redirect_uri=allowed)).sealed is not None, allowed


async def test_a_confidential_client_keeps_only_its_secret_digest_and_must_send_it(
    platform: Platform,
) -> None:
    agent = Agent(platform.oauth, platform.oauth.issuer(BASE))
    answer = await agent.register(token_endpoint_auth_method="client_secret_post")
    assert agent.secret and answer.body is not None and answer.body["client_secret_expires_at"] == 0
    row = await platform.db.read(lambda session: session.get(OAuthClient, agent.client_id))
    assert row is not None and row.secret_sha256 == hashlib.sha256(agent.secret.encode()).hexdigest()
    assert agent.secret not in json.dumps(row.document)
    code = (await approved(agent, await person(platform)))["code"]
    agent.secret = "not-the-secret"
    wrong = await agent.exchange(code)
    assert (wrong.status, wrong.body and wrong.body["error"]) == (401, "invalid_client")


async def test_the_person_may_deny_narrow_and_must_decide_in_time(platform: Platform) -> None:
    agent = Agent(platform.oauth, platform.oauth.issuer(BASE))
    await agent.register()
    caster = await person(platform)
    denied = await approved(agent, caster, Decision(False))
    assert (denied["error"], denied["state"], denied["iss"]) == ("access_denied", "the-state", BASE)
    assert "code" not in denied
    with pytest.raises(SpellError, match="grant some of the scopes"):
        await approved(agent, caster, Decision(True, scopes=["publish"]))
    checked = await agent.ask()
    asked = await platform.oauth.consent_request(agent.issuer, checked.sealed)
    assert (asked.client_name, asked.verified_by, asked.redirect_to) == (
        "Test agent",
        None,
        "http://127.0.0.1:8765",
    )
    assert asked.loopback_only and asked.scopes == ["cast", "read"] and asked.resource == f"{BASE}/mcp"
    elsewhere = platform.oauth.issuer("https://another-name.test")
    for sealed in (checked.sealed, checked.sealed[:-8] + "AAAAAAAA"):
        issuer = elsewhere if sealed == checked.sealed else agent.issuer
        with pytest.raises(SpellError) as refusal:
            await platform.oauth.decide(issuer, sealed, caster, ACTOR, Decision(True))
        assert refusal.value.code == "authorization_request_invalid"


async def test_a_metadata_document_is_fetched_through_the_gate_checked_and_kept(
    platform: Platform, documents: Documents
) -> None:
    client_id = document_url(documents, "/client.json")
    documents.served["/client.json"] = {
        "client_id": client_id,
        "client_name": "Documented agent",
        "client_uri": "https://agent.test",
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    agent = Agent(platform.oauth, platform.oauth.issuer(BASE), client_id=client_id)
    caster = await person(platform)
    checked = await agent.ask()
    asked = await platform.oauth.consent_request(agent.issuer, checked.sealed)
    assert (asked.client_name, asked.verified_by) == ("Documented agent", AGENT_HOST)
    code = (await approved(agent, caster))["code"]
    tokens = await agent.exchange(code)
    assert tokens.status == 200, tokens.body
    assert documents.fetched == ["/client.json"], "kept for its max-age, not fetched again"


UNUSABLE_DOCUMENTS = [
    ("/liar.json", {"client_id": "https://agent.test/else.json"}, "another client_id"),
    ("/missing.json", None, "HTTP 404"),
    ("/secret.json", {"client_secret": "s", "token_endpoint_auth_method": "client_secret_post"}, "secret"),
    ("/redirects.json", {"redirect_uris": ["javascript:alert(1)"]}, "redirect URI"),
    ("/nameless.json", {"client_name": ""}, "client_name"),
]


async def test_an_unusable_metadata_document_is_refused_with_its_reason(
    platform: Platform, documents: Documents
) -> None:
    for path, document, words in UNUSABLE_DOCUMENTS:
        client_id = document_url(documents, path)
        if document is not None:
            base = {"client_id": client_id, "client_name": "Agent", "redirect_uris": [CALLBACK]}
            documents.served[path] = {**base, **document}
        checked = await Agent(platform.oauth, platform.oauth.issuer(BASE), client_id=client_id).ask()
        assert checked.refused is not None and checked.refused.location is None, path
        said = checked.refused.body
        assert said["error"] == "invalid_client" and words in said["error_description"], said


async def test_a_metadata_document_on_a_private_address_is_never_fetched(
    platform: Platform, documents: Documents
) -> None:
    for host in ("metadata.internal.test", "intranet.test"):
        agent = Agent(platform.oauth, platform.oauth.issuer(BASE), client_id=f"https://{host}/client.json")
        checked = await agent.ask()
        assert checked.refused is not None
        assert "non-public address" in checked.refused.body["error_description"], host
    assert documents.fetched == []


async def test_spent_codes_tokens_and_unused_registrations_are_forgotten(platform: Platform) -> None:
    agent, _, _ = await signed_in(platform)
    idle = Agent(platform.oauth, platform.oauth.issuer(BASE))
    await idle.register()
    later = datetime.now(UTC) + timedelta(days=400)
    forgotten = await platform.db.write(lambda session: forget_spent(session, later))
    assert forgotten == 4, "the code, both tokens and the registration nobody was granted to"
    kept = await platform.db.read(lambda session: [row.client_id for row in session.query(OAuthClient)])
    assert kept == [agent.client_id]
    keys_left = await platform.db.read(lambda session: session.query(ApiKey).count())
    assert keys_left == 2, "the grant stays, with the person's own key"
