"""Signing an agent in with OAuth, end to end, as people and MCP clients do it: the Python SDK's
own OAuth client (`OAuthClientProvider`) discovers the authorization server from the 401,
registers itself (or names its metadata document), sends the person to the dashboard, where
they sign in and approve it with a daily budget in Chromium; it casts within that budget,
refreshes its tokens, and stops working once the person revokes it on the keys page. The
conformance suite's authorization-server scenarios run against the same server, the person
approving in the same browser.

One server for the module, in this process, so that its network gate can trust a test CA: the
agent's metadata document is served over HTTPS from a loopback address the gate lets through as
if it were public (and nothing else). One Chromium; each test its own browser context.
"""

from __future__ import annotations

import asyncio
import queue
import re
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx
import httpx2
import pytest
from authlib.oauth2 import rfc8414, rfc9207
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect

from runtime.net import system_resolver
from spell_mcp.app import create_app
from spell_mcp.settings import Settings
from tests.browser import chromium
from tests.conftest import ROOT, Database, RunningServer, free_port, run_async
from tests.functional.test_conformance import NODE_BIN, SUITE_2026, node_tools
from tests.local_server import local_server
from tests.tls import Documents, TestCA, gate_to_loopback, serving_documents, temporary_ca

pytestmark = pytest.mark.skipif(
    not (ROOT / "web/out/index.html").is_file(), reason="the dashboard is not built (make web)"
)
AGENT_HOST = "agent.test"
NAMES = {AGENT_HOST: ["127.0.0.2"], "metadata.internal.test": ["169.254.169.254"]}
ECHO_PRICE = 100
T = TypeVar("T")


def resolve(host: str, port: int) -> list[str]:
    return NAMES.get(host) or system_resolver(host, port)


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return temporary_ca([AGENT_HOST])


@pytest.fixture(scope="module")
def documents(ca: TestCA) -> Iterator[Documents]:
    with serving_documents(ca) as served:
        yield served


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, built_spells: Path, ca: TestCA) -> Iterator[RunningServer]:
    base = tmp_path_factory.mktemp("oauth")
    port = free_port()
    settings = Settings(home=base / "home", dev_mode=True, examples_dir=built_spells, port=port)
    gate = gate_to_loopback(ca, resolve)
    with local_server(create_app(settings, network=gate), port):
        key = (settings.home / "operator.key").read_text().strip()
        database = Database("sqlite", settings.resolved_database_url())
        yield RunningServer(f"http://127.0.0.1:{port}", settings.home, key, {}, database)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, site: RunningServer) -> Iterator[Page]:
    """A fresh browser tab; the test fails if a page of the site logs an error (a script the
    CSP refused would), but for the consent page's question before the person signs in (401)."""
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    opened = context.new_page()
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and message.location.get("url", "").startswith(site.url):
            errors.append(message.text)

    opened.on("console", console)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert [error for error in errors if "status of 401" not in error] == []


# -- an agent, and the person's browser it sends them to ----------------------------------------


class Storage:
    """What an MCP client keeps between runs: its registration and tokens."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


@dataclass
class Bridge:
    """Between the agent (on a thread of its own, with an event loop) and the browser (driven
    from the test's thread): the URLs the agent opens, and where the browser lands after."""

    callback: str = field(default_factory=lambda: f"http://127.0.0.1:{free_port()}/callback")
    opened: queue.Queue[str] = field(default_factory=queue.Queue)
    landed: queue.Queue[str] = field(default_factory=queue.Queue)

    async def open_browser(self, url: str) -> None:
        self.opened.put(url)

    async def wait_for_callback(self) -> AuthorizationCodeResult:
        url = await anyio.to_thread.run_sync(lambda: self.landed.get(timeout=60))
        query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))

    def catch_callbacks(self, page: Page) -> None:
        def land(route: Route) -> None:
            self.landed.put(route.request.url)
            route.fulfill(status=200, content_type="text/plain", body="Signed in: back to the agent.")

        page.route(f"{self.callback}**", land)

    def next_opened(self, agent: Future[Any]) -> str:
        """The next URL the agent opens (or its failure, if it failed first)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                return self.opened.get(timeout=0.2)
            except queue.Empty:
                if agent.done():
                    agent.result()
                    raise AssertionError("the agent finished without asking anyone to sign it in") from None
        raise AssertionError("the agent never opened a browser")


def finished(page: Page, agent: Future[T], timeout_s: float = 120) -> T:
    """The agent's result, the browser kept running meanwhile: Playwright's sync API handles
    routes (the callback the browser lands on) only while this thread is inside it."""
    deadline = time.monotonic() + timeout_s
    while not agent.done() and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return agent.result(timeout=0)


def provider(
    site: RunningServer, storage: Storage, bridge: Bridge, metadata_url: str | None = None
) -> OAuthClientProvider:
    metadata = OAuthClientMetadata(
        redirect_uris=[bridge.callback],
        client_name="Test agent",
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    return OAuthClientProvider(
        server_url=f"{site.url}/mcp",
        client_metadata=metadata,
        storage=storage,
        redirect_handler=bridge.open_browser,
        callback_handler=bridge.wait_for_callback,
        client_metadata_url=metadata_url,
    )


async def as_agent(
    auth: OAuthClientProvider, site: RunningServer, work: Callable[[Client], Awaitable[T]]
) -> T:
    async with (
        httpx2.AsyncClient(auth=auth, timeout=60) as http,
        Client(streamable_http_client(f"{site.url}/mcp", http_client=http), mode="legacy") as client,
    ):
        return await work(client)


def in_background(pool: ThreadPoolExecutor, work: Awaitable[T]) -> Future[T]:
    return pool.submit(asyncio.run, work)  # type: ignore[arg-type]


def sign_in_on_the_consent_page(page: Page, key: str) -> None:
    expect(page.get_by_role("heading", name="An agent asks to use Spell as you")).to_be_visible()
    page.get_by_label("Or with your first API key").fill(key)
    page.get_by_role("button", name="Sign in", exact=True).click()


async def cast_echo(client: Client, times: int) -> list[Any]:
    return [await client.call_tool("dev_spell_echo", {"message": f"cast {n}"}) for n in range(times)]


def structured(result: Any) -> dict[str, Any]:
    value: dict[str, Any] = result.structured_content or {}
    return value


# -- the tests ----------------------------------------------------------------------------------


def test_the_metadata_names_spell_as_the_authorization_server_of_its_mcp_endpoint(
    site: RunningServer,
) -> None:
    unauthenticated = httpx.post(f"{site.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert unauthenticated.status_code == 401
    pointed = re.search(r'resource_metadata="([^"]+)"', unauthenticated.headers["www-authenticate"])
    assert pointed is not None
    resource = httpx.get(pointed.group(1)).json()
    assert resource["resource"] == f"{site.url}/mcp"
    assert resource["authorization_servers"] == [site.url], (
        "RFC 9728 / MCP: the authorization server is named"
    )
    assert httpx.get(f"{site.url}/.well-known/oauth-protected-resource").json() == resource
    server = httpx.get(f"{site.url}/.well-known/oauth-authorization-server")
    assert server.headers["content-type"].startswith("application/json")
    metadata = rfc8414.AuthorizationServerMetadata(server.json())
    metadata.validate(metadata_classes=[rfc9207.AuthorizationServerMetadata])
    assert metadata["issuer"] == site.url and metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["client_id_metadata_document_supported"] is True


def test_an_agent_signs_in_casts_within_its_budget_refreshes_and_is_signed_out_on_the_keys_page(
    site: RunningServer, page: Page, tmp_path: Path
) -> None:
    person = site.new_user(credits_usd="1")
    storage, bridge = Storage(), Bridge()
    bridge.catch_callbacks(page)

    async def casts(client: Client) -> tuple[list[Any], Any]:
        return await cast_echo(client, 3), await client.call_tool("budget_status", {})

    with ThreadPoolExecutor(1) as pool:
        agent = in_background(pool, as_agent(provider(site, storage, bridge), site, casts))
        opened = bridge.next_opened(agent)
        asked = parse_qs(urlsplit(opened).query)
        assert opened.startswith(f"{site.url}/authorize?")
        assert asked["code_challenge_method"] == ["S256"] and asked["resource"] == [f"{site.url}/mcp"]
        assert {"cast", "read"} <= set(asked["scope"][0].split())
        page.goto(opened)
        sign_in_on_the_consent_page(page, person)
        expect(page.get_by_role("heading", name="Allow Test agent to use Spell as you?")).to_be_visible()
        expect(page.get_by_text("it registered itself")).to_be_visible()
        expect(page.get_by_text("This agent runs on your computer")).to_be_visible()
        page.get_by_label("Daily budget of this agent in USD").fill("0.00025")
        page.screenshot(path=str(tmp_path / "consent.png"), full_page=True)
        page.get_by_role("button", name="Allow").click()
        results, budget = finished(page, agent)
    assert [result.is_error for result in results] == [False, False, True]
    assert [(result.meta or {}).get("dev.spell/charged_micros") for result in results[:2]] == [ECHO_PRICE] * 2
    refusal = results[2].content[0].text
    assert refusal.startswith("budget_exceeded:"), "the third cast would pass the agent's daily budget"
    key_caps = [cap for cap in structured(budget)["caps"] if cap["subject"].startswith("key:")]
    assert [(cap["period"], cap["cap_usd"], cap["spent_usd"]) for cap in key_caps] == [
        ("day", "0.00025", "0.0002")
    ]

    # An hour later (as the agent's clock has it), it refreshes: both of its tokens are replaced.
    before = storage.tokens
    assert before is not None and before.refresh_token
    auth = provider(site, storage, bridge)
    auth.context.token_expiry_time = 1.0
    names = run_async(lambda: as_agent(auth, site, lambda client: client.list_tools()))
    assert "dev_spell_echo" in {tool.name for tool in names.tools}
    after = storage.tokens
    assert after is not None and after.access_token != before.access_token
    assert after.refresh_token not in (None, before.refresh_token)

    # The person revokes it where their keys are; the agent's next call is refused.
    page.goto(f"{site.url}/keys/")
    row = page.get_by_role("row").filter(has_text="Test agent")
    expect(row.get_by_text("agent signed in with OAuth")).to_be_visible()
    expect(page.get_by_role("button", name="Rotate Test agent")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "keys.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke Test agent").click()
    expect(row.get_by_role("cell", name="revoked")).to_be_visible()
    refused = httpx.post(
        f"{site.url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        headers={"Authorization": f"Bearer {after.access_token}"},
    )
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    with ThreadPoolExecutor(1) as pool:
        agent = in_background(
            pool, as_agent(provider(site, storage, bridge), site, lambda client: client.list_tools())
        )
        assert bridge.next_opened(agent).startswith(f"{site.url}/authorize?"), "it must be signed in again"
        bridge.landed.put(f"{bridge.callback}?error=access_denied")  # the person does not, this time
        with pytest.raises(Exception):  # noqa: B017 - how the SDK reports it is not the point
            finished(page, agent, 60)


def test_an_agent_known_by_its_metadata_document_is_vouched_for_by_its_host(
    site: RunningServer, documents: Documents, page: Page
) -> None:
    client_id = f"https://{AGENT_HOST}:{documents.port}/oauth/client.json"
    storage, bridge = Storage(), Bridge()
    documents.served["/oauth/client.json"] = {
        "client_id": client_id,
        "client_name": "Documented agent",
        "client_uri": f"https://{AGENT_HOST}",
        "redirect_uris": [bridge.callback],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    bridge.catch_callbacks(page)
    with ThreadPoolExecutor(1) as pool:
        auth = provider(site, storage, bridge, metadata_url=client_id)
        agent = in_background(pool, as_agent(auth, site, lambda client: cast_echo(client, 1)))
        opened = bridge.next_opened(agent)
        assert parse_qs(urlsplit(opened).query)["client_id"] == [client_id]
        page.goto(opened)
        sign_in_on_the_consent_page(page, site.new_user(credits_usd="1"))
        expect(
            page.get_by_role("heading", name="Allow Documented agent to use Spell as you?")
        ).to_be_visible()
        expect(page.get_by_role("definition").filter(has_text=AGENT_HOST).first).to_be_visible()
        page.get_by_role("button", name="Allow").click()
        (result,) = finished(page, agent)
    assert not result.is_error and structured(result) == {"message": "cast 0"}
    assert documents.fetched.count("/oauth/client.json") == 1, "fetched once, then kept"


def test_hostile_sign_in_requests_are_shown_to_the_person_and_sent_nowhere(
    site: RunningServer, documents: Documents, page: Page
) -> None:
    registered = httpx.post(
        f"{site.url}/register",
        json={
            "redirect_uris": ["http://127.0.0.1/callback"],
            "client_name": "Hostile",
            "token_endpoint_auth_method": "none",
        },
    ).json()
    asks = {
        "a document inside the network": (
            {
                "client_id": "https://metadata.internal.test/client.json",
                "redirect_uri": "http://127.0.0.1/cb",
            },
            "non-public address",
        ),
        "a script for a redirect URI": (
            {"client_id": registered["client_id"], "redirect_uri": "javascript:alert(document.cookie)"},
            "is not registered",
        ),
    }
    for what, (ask, words) in asks.items():
        query = {"response_type": "code", "code_challenge": "x" * 43, "code_challenge_method": "S256", **ask}
        page.goto(f"{site.url}/authorize?{urlencode(query)}")
        expect(page.get_by_role("heading", name="The agent cannot be signed in")).to_be_visible()
        expect(page.locator(".problem")).to_contain_text(words)
        assert page.url.startswith(f"{site.url}/consent/"), what
    assert documents.fetched.count("/client.json") == 0
    refused = httpx.post(
        f"{site.url}/register",
        json={"redirect_uris": ["javascript:alert(1)"], "client_name": "Hostile"},
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_redirect_uri"


def test_the_conformance_suites_authorization_server_scenarios_pass(
    site: RunningServer, page: Page, tmp_path: Path
) -> None:
    port = free_port()
    callback = f"http://127.0.0.1:{port}/callback"
    registered = httpx.post(
        f"{site.url}/register",
        json={
            "redirect_uris": [callback],
            "client_name": "Conformance suite",
            "token_endpoint_auth_method": "none",
        },
    ).json()
    suite = subprocess.Popen(
        [str(NODE_BIN / "node"), str(SUITE_2026), "authorization", "--url", site.url,
         "--client-id", registered["client_id"], "--resource", f"{site.url}/mcp", "--port", str(port),
         "--output-dir", str(tmp_path)],
        env=node_tools(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert suite.stdout is not None
        printed: list[str] = []
        for line in suite.stdout:
            printed.append(line)
            if line.startswith(f"{site.url}/authorize?"):
                page.goto(line.strip())
                sign_in_on_the_consent_page(page, site.new_user(credits_usd="1"))
                page.get_by_role("button", name="Allow").click()
                page.wait_for_url(f"{callback}**")
                expect(page.get_by_text("You can close this page")).to_be_visible()
        suite.wait(timeout=60)
    finally:
        suite.kill()
    summary = "".join(printed)
    assert suite.returncode == 0, summary[-4000:]
    # The metadata scenario's two checks include the one for Client ID Metadata Documents.
    assert "✓ authorization-server-metadata-endpoint: 2 passed, 0 failed" in summary, summary[-4000:]
    assert "✓ authorization-code-grant: 1 passed, 0 failed" in summary, summary[-4000:]
