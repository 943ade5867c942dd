"""Casting over MCP with the SDK's own client: Streamable HTTP (both protocol generations)
and stdio, against real server processes."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import ROOT, RunningServer

ECHO_SCHEMA = json.loads((ROOT / "examples/spells/echo/schema.json").read_text())
ECHO_PRICE = 100
# "legacy" speaks the initialize handshake (2025-11-25 and before); "auto" discovers the
# stateless 2026-07-28 generation.
GENERATIONS = ["legacy", "auto"]


def available(server: RunningServer, key: str | None = None) -> int:
    with server.client(key) as client:
        micros: int = client.get("/v1/users/me/balance").json()["available"]["micros"]
        return micros


@asynccontextmanager
async def http_client(server: RunningServer, key: str | None, mode: str) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(f"{server.url}/mcp", http_client=http), mode=mode) as client,
    ):
        yield client


@asynccontextmanager
async def stdio_client(env: dict[str, str]) -> AsyncIterator[Client]:
    params = StdioServerParameters(command=str(ROOT / ".venv/bin/spell"), args=["mcp"], env=env)
    async with Client(params) as client:
        yield client


def meta(result: Any) -> dict[str, Any]:
    value: dict[str, Any] = result.meta or {}
    return value


async def assert_lists_and_casts(client: Client) -> str:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    echo = tools["dev_spell_echo"]
    assert echo.input_schema == ECHO_SCHEMA
    assert "$0.0001" in (echo.description or "")
    assert echo.title == "Echo"
    assert tools["dev_spell_textstats"].output_schema is not None

    result = await client.call_tool("dev_spell_echo", {"message": "over mcp"})
    assert not result.is_error
    assert result.structured_content == {"message": "over mcp"}
    assert json.loads(result.content[0].text) == {"message": "over mcp"}  # type: ignore[union-attr]
    assert meta(result)["dev.spell/charged_micros"] == ECHO_PRICE
    assert meta(result)["dev.spell/receipt"]["receipt"]["cast_id"] == meta(result)["dev.spell/cast_id"]
    cast_id: str = meta(result)["dev.spell/cast_id"]
    return cast_id


async def assert_invalid_input_is_an_error(client: Client) -> None:
    result = await client.call_tool("dev_spell_echo", {"text": "no message"})
    assert result.is_error
    assert result.structured_content["code"] == "input_invalid"  # type: ignore[index]
    assert "message" in result.structured_content["problems"][0]  # type: ignore[index]


@pytest.mark.parametrize("mode", GENERATIONS)
async def test_http_lists_and_casts_and_charges_once(server: RunningServer, mode: str) -> None:
    before = available(server)
    async with http_client(server, server.operator_key, mode) as client:
        cast_id = await assert_lists_and_casts(client)
    assert available(server) == before - ECHO_PRICE
    with server.client() as rest:
        record = rest.get(f"/v1/casts/{cast_id}").json()
    assert (record["status"], record["via"]) == ("succeeded", "mcp-http")


@pytest.mark.parametrize("mode", GENERATIONS)
async def test_http_invalid_input_is_an_error_and_costs_nothing(server: RunningServer, mode: str) -> None:
    before = available(server)
    async with http_client(server, server.operator_key, mode) as client:
        await assert_invalid_input_is_an_error(client)
        unknown = await client.call_tool("com_nobody_nothing", {})
        assert unknown.is_error and unknown.structured_content["code"] == "spell_not_found"  # type: ignore[index]
        failed = await client.call_tool("test_spell_exit", {})
        assert failed.is_error and failed.structured_content["code"] == "spell_failed"  # type: ignore[index]
    assert available(server) == before


@pytest.mark.parametrize("mode", GENERATIONS)
async def test_http_without_credit_is_an_error(server: RunningServer, mode: str) -> None:
    key = server.new_user()
    async with http_client(server, key, mode) as client:
        result = await client.call_tool("dev_spell_echo", {"message": "x"})
    assert result.is_error
    assert result.structured_content["code"] == "insufficient_credits"  # type: ignore[index]
    assert available(server, key) == 0


def test_http_without_a_key_is_refused_before_mcp(server: RunningServer) -> None:
    response = httpx.post(
        f"{server.url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_stdio_lists_and_casts_as_the_local_operator(server: RunningServer) -> None:
    before = available(server)
    env = {k: v for k, v in server.env.items() if k != "SPELL_DEV_MODE"}
    async with stdio_client(env) as client:
        cast_id = await assert_lists_and_casts(client)
        await assert_invalid_input_is_an_error(client)
    assert available(server) == before - ECHO_PRICE
    with server.client() as rest:
        assert rest.get(f"/v1/casts/{cast_id}").json()["via"] == "mcp-stdio"


async def test_stdio_without_credit_is_an_error(tmp_path: Path, built_spells: Path) -> None:
    env = {
        **os.environ,
        "SPELL_HOME": str(tmp_path / "home"),
        "SPELL_DEV_MODE": "1",
        "SPELL_DEV_CREDITS_MICROS": "0",
        "SPELL_EXAMPLES_DIR": str(built_spells),
    }
    env.pop("SPELL_DATABASE_URL", None)
    async with stdio_client(env) as client:
        result = await client.call_tool("dev_spell_echo", {"message": "x"})
    assert result.is_error
    assert result.structured_content["code"] == "insufficient_credits"  # type: ignore[index]


@pytest.mark.parametrize("mode", GENERATIONS)
async def test_catalog_tools_reach_every_spell_without_reconnecting(server: RunningServer, mode: str) -> None:
    async with http_client(server, server.operator_key, mode) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        assert names[:4] == ["spells_search", "spells_describe", "spells_cast", "budget_status"]

        found = (await client.call_tool("spells_search", {"query": "statistics"})).structured_content
        assert [s["key"] for s in found["spells"]] == ["dev.spell.textstats"]  # type: ignore[index]

        described = (
            await client.call_tool("spells_describe", {"key": "dev.spell.textstats"})
        ).structured_content
        assert described["input_schema"]["required"] == ["text"]  # type: ignore[index]
        assert described["price_usd"] == "0.002"  # type: ignore[index]

        cast = await client.call_tool(
            "spells_cast", {"key": "dev.spell.textstats", "input": {"text": "One. Two."}}
        )
        assert not cast.is_error and cast.structured_content["sentences"] == 2  # type: ignore[index]
        refused = await client.call_tool("spells_cast", {"key": "dev.spell.textstats", "input": {"txt": 1}})
        assert refused.is_error and refused.structured_content["code"] == "input_invalid"  # type: ignore[index]
        missing = await client.call_tool("spells_describe", {"key": "com.nobody.nothing"})
        assert missing.is_error and missing.structured_content["code"] == "spell_not_found"  # type: ignore[index]

        budget = (await client.call_tool("budget_status", {})).structured_content
        assert float(budget["credits"]["available_usd"]) > 0  # type: ignore[index]


async def test_mcp_calls_past_the_rate_limit_are_refused_as_errors(
    tmp_path: Path, built_spells: Path
) -> None:
    env = {
        **os.environ,
        "SPELL_HOME": str(tmp_path / "home"),
        "SPELL_DEV_MODE": "1",
        "SPELL_EXAMPLES_DIR": str(built_spells),
        "SPELL_RATE_PER_USER_PER_MIN": "1",
        "SPELL_RATE_BURST": "1",  # a caster's burst is twice a key's: two calls, then refused
    }
    env.pop("SPELL_DATABASE_URL", None)
    async with stdio_client(env) as client:
        results = [await client.call_tool("dev_spell_echo", {"message": str(n)}) for n in range(3)]
    assert [r.is_error for r in results] == [False, False, True]
    assert results[2].structured_content["code"] == "rate_limited"  # type: ignore[index]
