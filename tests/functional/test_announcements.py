"""Clients hear of every change to the tool list, also when it happened on another server
process (through Redis): 2026-07-28 clients on subscriptions/listen, 2025-era clients on lasting
sessions (legacy SSE and stdio) as tools/list_changed."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.subscriptions import ToolsListChanged
from mcp_types import ElicitResult, ToolListChangedNotification

from registry import pack_directory
from tests import wasm_modules as wat
from tests.conftest import (
    ROOT,
    RunningServer,
    redis_url,
    running_servers,
)
from tests.mcp_wire import ACCEPT, INITIALIZE, VERSION
from tests.spellbook import write_spell


def publish(server: RunningServer, tmp_path: Path) -> str:
    key = f"com.news{secrets.token_hex(3)}.hello"
    package = pack_directory(write_spell(tmp_path / key, key, wat.writes("{}")))
    response = httpx.post(
        f"{server.url}/v1/spells",
        files={"package": ("spell.tar", package, "application/x-tar")},
        headers={"Authorization": f"Bearer {server.operator_key}"},
    )
    assert response.status_code == 201, response.text
    return key


async def hears_about(listener: RunningServer, change: object) -> str:
    """Listen on `listener`, make the change, and return the new spell's key once announced."""
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {listener.operator_key}"}, timeout=30) as http,
        Client(streamable_http_client(f"{listener.url}/mcp", http_client=http), mode="2026-07-28") as client,
        client.listen(tools_list_changed=True) as subscription,
    ):
        key = await anyio.to_thread.run_sync(change)  # type: ignore[arg-type]
        with anyio.fail_after(10):
            async for event in subscription:
                assert isinstance(event, ToolsListChanged)
                break
        names = [tool.name for tool in (await client.list_tools()).tools]
        assert key.replace(".", "_") in names
        # …and the new spell casts over MCP at once.
        result = await client.call_tool(key.replace(".", "_"), {})
        assert not result.is_error and result.structured_content == {}
        return str(key)


async def test_a_publish_is_announced_to_listening_clients(server: RunningServer, tmp_path: Path) -> None:
    await hears_about(server, lambda: publish(server, tmp_path))


@pytest.fixture
def redis_servers(
    tmp_path: Path, built_spells: Path, probe_wasm: bytes
) -> Iterator[tuple[RunningServer, RunningServer]]:
    extra_env = {"SPELL_REDIS_URL": redis_url()}
    with running_servers(tmp_path, built_spells, probe_wasm, count=2, extra_env=extra_env) as servers:
        yield servers[0], servers[1]


async def test_a_publish_on_another_process_is_announced_through_redis(
    redis_servers: tuple[RunningServer, RunningServer], tmp_path: Path
) -> None:
    listener, publisher = redis_servers
    await hears_about(listener, lambda: publish(publisher, tmp_path))


@asynccontextmanager
async def lasting_client(transport: Any) -> AsyncIterator[tuple[Client, anyio.Event]]:
    """A 2025-era client on a lasting session, and an event set when it hears list_changed."""
    changed = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, ToolListChangedNotification):
            changed.set()

    async with Client(transport, message_handler=on_message, mode="legacy") as client:
        assert client.server_capabilities.tools.list_changed  # type: ignore[union-attr]
        await client.list_tools()
        yield client, changed


async def hears_over_session(client: Client, changed: anyio.Event, change: object) -> None:
    key = await anyio.to_thread.run_sync(change)  # type: ignore[arg-type]
    with anyio.fail_after(10):
        await changed.wait()
    assert str(key).replace(".", "_") in [tool.name for tool in (await client.list_tools()).tools]


async def test_a_legacy_sse_client_casts_and_hears_of_a_publish(
    server: RunningServer, tmp_path: Path
) -> None:
    headers = {"Authorization": f"Bearer {server.operator_key}"}
    async with lasting_client(sse_client(f"{server.url}/sse", headers=headers)) as (client, changed):
        result = await client.call_tool("dev_spell_echo", {"message": "over SSE"})
        assert result.structured_content == {"message": "over SSE"}
        await hears_over_session(client, changed, lambda: publish(server, tmp_path))


def test_the_legacy_sse_stream_needs_a_key(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}/sse", timeout=10)
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    posted = httpx.post(f"{server.url}/messages/?session_id={'0' * 32}", json={}, timeout=10)
    assert posted.status_code == 401


async def test_sse_and_stdio_sessions_hear_of_a_publish_on_another_process(
    redis_servers: tuple[RunningServer, RunningServer], tmp_path: Path
) -> None:
    listener, publisher = redis_servers
    headers = {"Authorization": f"Bearer {listener.operator_key}"}
    async with lasting_client(sse_client(f"{listener.url}/sse", headers=headers)) as (client, changed):
        await hears_over_session(client, changed, lambda: publish(publisher, tmp_path))
    env = {k: v for k, v in listener.env.items() if k != "SPELL_DEV_MODE"}
    stdio = StdioServerParameters(command=str(ROOT / ".venv/bin/spell"), args=["mcp"], env=env)
    async with lasting_client(stdio) as (client, changed):
        await hears_over_session(client, changed, lambda: publish(publisher, tmp_path))


async def test_without_redis_a_stdio_session_hears_of_a_publish_through_the_server(
    server: RunningServer, tmp_path: Path
) -> None:
    """The embedded default: `spell mcp` (stdio) and `spell serve` are two processes on one SQLite
    file and no Redis; the store carries the announcement."""
    assert "SPELL_REDIS_URL" not in server.env and server.database.backend == "sqlite"
    env = {k: v for k, v in server.env.items() if k != "SPELL_DEV_MODE"}
    stdio = StdioServerParameters(command=str(ROOT / ".venv/bin/spell"), args=["mcp"], env=env)
    async with lasting_client(stdio) as (client, changed):
        await hears_over_session(client, changed, lambda: publish(server, tmp_path))


async def test_another_caster_cannot_post_into_an_sse_session(server: RunningServer) -> None:
    session_url: list[str] = []
    headers = {"Authorization": f"Bearer {server.operator_key}"}
    transport = sse_client(f"{server.url}/sse", headers=headers, on_session_created=session_url.append)
    async with lasting_client(transport):
        stranger = server.new_user(credits_usd="1")
        (session_id,) = session_url
        message = {"jsonrpc": "2.0", "id": 99, "method": "tools/list"}
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stranger}"}) as http:
            posted = await http.post(f"{server.url}/messages/?session_id={session_id}", json=message)
    assert posted.status_code == 404


@pytest.fixture(scope="module")
def session_server(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes
) -> Iterator[RunningServer]:
    """Streamable HTTP with sessions (SPELL_MCP_SESSIONS)."""
    base = tmp_path_factory.mktemp("sessions")
    with running_servers(base, built_spells, probe_wasm, extra_env={"SPELL_MCP_SESSIONS": "1"}) as (server,):
        yield server


async def test_with_http_sessions_2025_clients_hear_of_a_publish(
    session_server: RunningServer, tmp_path: Path
) -> None:
    headers = {"Authorization": f"Bearer {session_server.operator_key}"}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        transport = streamable_http_client(f"{session_server.url}/mcp", http_client=http)
        async with lasting_client(transport) as (client, changed):
            await hears_over_session(client, changed, lambda: publish(session_server, tmp_path))


async def test_with_http_sessions_a_2025_client_is_asked_to_confirm_mid_call(
    session_server: RunningServer,
) -> None:
    key = session_server.new_user(credits_usd="1")
    with session_server.client(key) as rest:
        assert rest.put("/v1/users/me/budget", json={"confirm_above_micros": 50}).is_success
    asked: list[str] = []

    async def answer(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http,
        Client(
            streamable_http_client(f"{session_server.url}/mcp", http_client=http),
            elicitation_callback=answer,
            mode="legacy",
        ) as client,
    ):
        result = await client.call_tool("dev_spell_echo", {"message": "asked over HTTP"})
    assert not result.is_error and len(asked) == 1


def test_with_http_sessions_a_session_belongs_to_the_caster_that_made_it(
    session_server: RunningServer,
) -> None:
    headers = {"Accept": ACCEPT, "MCP-Protocol-Version": VERSION}
    opened = httpx.post(
        f"{session_server.url}/mcp",
        json=INITIALIZE,
        headers={**headers, "Authorization": f"Bearer {session_server.operator_key}"},
    )
    session_id = opened.headers["mcp-session-id"]
    stranger = session_server.new_user(credits_usd="1")
    hijack = httpx.post(
        f"{session_server.url}/mcp",
        json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        headers={**headers, "Authorization": f"Bearer {stranger}", "Mcp-Session-Id": session_id},
    )
    assert hijack.status_code == 404
