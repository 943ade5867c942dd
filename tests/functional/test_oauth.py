"""Signing an agent in with OAuth, end to end, against a server of this module's own (in this
process, so that its network gate can trust a test CA): what the server says of itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from authlib.oauth2 import rfc8414, rfc9207

from runtime.net import system_resolver
from spell_mcp.app import create_app
from spell_mcp.settings import Settings
from tests.conftest import ROOT, Database, RunningServer, free_port
from tests.local_server import local_server
from tests.tls import TestCA, gate_to_loopback, temporary_ca

pytestmark = pytest.mark.skipif(
    not (ROOT / "web/out/index.html").is_file(), reason="the dashboard is not built (make web)"
)
AGENT_HOST = "agent.test"
NAMES = {AGENT_HOST: ["127.0.0.2"], "metadata.internal.test": ["169.254.169.254"]}


def resolve(host: str, port: int) -> list[str]:
    return NAMES.get(host) or system_resolver(host, port)


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return temporary_ca([AGENT_HOST])


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
