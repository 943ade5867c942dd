"""Clients listening on subscriptions/listen (2026-07-28) hear of every change to the tool list,
also when it happened on another server process (through Redis)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.subscriptions import ToolsListChanged

from registry import pack_directory
from tests import wasm_modules as wat
from tests.conftest import RunningServer, _database, make_test_spells, redis_url, start_server
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
    tmp_path: Path, built_spells: Path, probe_wasm: bytes, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[RunningServer, RunningServer]]:
    monkeypatch.setenv("SPELL_REDIS_URL", redis_url())
    spells = make_test_spells(tmp_path / "spells", built_spells, probe_wasm)
    home = tmp_path / "home"
    home.mkdir()
    with _database("sqlite", tmp_path) as database:
        first_process, first = start_server(home, database, spells)
        second_process, second = start_server(home, database, spells)
        try:
            yield first, second
        finally:
            for process in (first_process, second_process):
                process.terminate()
                process.wait(timeout=15)


async def test_a_publish_on_another_process_is_announced_through_redis(
    redis_servers: tuple[RunningServer, RunningServer], tmp_path: Path
) -> None:
    listener, publisher = redis_servers
    await hears_about(listener, lambda: publish(publisher, tmp_path))
