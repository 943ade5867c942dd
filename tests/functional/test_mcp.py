"""Casting over MCP with the SDK's own client: Streamable HTTP (both protocol generations)
and stdio, against real server processes."""

from __future__ import annotations

import base64
import http.client
import json
import os
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    ElicitResult,
    ResourcesCapability,
    ResourceTemplateReference,
    SubscriptionFilter,
)

from spell_mcp.mcp.protocol import PROBLEM_META
from tests.conftest import ROOT, RunningServer, running_servers

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


def problem(result: Any) -> dict[str, Any]:
    """A refused call's problem document, which rides in `_meta` (not `structuredContent`)."""
    assert result.structured_content is None
    found: dict[str, Any] = meta(result)[PROBLEM_META]
    return found


async def assert_lists_and_casts(client: Client) -> str:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    echo = tools["dev_spell_echo"]
    assert echo.input_schema == ECHO_SCHEMA
    assert "$0.0001" in (echo.description or "") and "budget_status" in (echo.description or "")
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
    assert problem(result)["code"] == "input_invalid"
    assert "message" in problem(result)["problems"][0]
    # Agents that read only the text learn what to fix, too.
    text = result.content[0].text  # type: ignore[union-attr]
    assert text.startswith("input_invalid: ") and "'message' is a required property" in text


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
        with pytest.raises(MCPError) as unknown:
            await client.call_tool("com_nobody_nothing", {})
        assert (
            unknown.value.code == INVALID_PARAMS
            and "Unknown tool: com_nobody_nothing" in unknown.value.message
        )
        failed = await client.call_tool("test_spell_exit", {})
        assert failed.is_error and problem(failed)["code"] == "spell_failed"
    assert available(server) == before


@pytest.mark.parametrize("mode", GENERATIONS)
async def test_http_without_credit_is_an_error(server: RunningServer, mode: str) -> None:
    key = server.new_user()
    async with http_client(server, key, mode) as client:
        result = await client.call_tool("dev_spell_echo", {"message": "x"})
    assert result.is_error
    assert problem(result)["code"] == "insufficient_credits"
    assert available(server, key) == 0


def test_http_without_a_key_is_refused_before_mcp(server: RunningServer) -> None:
    response = httpx.post(
        f"{server.url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    # RFC 9728: the challenge names the resource's metadata, which says how to authenticate.
    challenge = response.headers["www-authenticate"]
    metadata_url = f"{server.url}/.well-known/oauth-protected-resource/mcp"
    assert challenge == f'Bearer realm="spell", resource_metadata="{metadata_url}"'
    metadata = httpx.get(metadata_url).json()
    assert metadata["resource"] == f"{server.url}/mcp"
    assert metadata["bearer_methods_supported"] == ["header"] and "cast" in metadata["scopes_supported"]


@pytest.mark.parametrize(
    ("method", "path", "resource"),
    [
        ("POST", "/mcp", "/mcp"),
        ("GET", "/sse", "/sse"),
        ("POST", f"/messages/?session_id={'0' * 32}", "/sse"),
    ],
)
def test_a_401_names_its_transports_metadata_and_a_rejected_key_is_an_invalid_token(
    server: RunningServer, method: str, path: str, resource: str
) -> None:
    metadata_url = f"{server.url}/.well-known/oauth-protected-resource{resource}"
    for key, error in ((None, ""), ("spell_sk_0123456789abcdef_wrong", ', error="invalid_token"')):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = httpx.request(method, f"{server.url}{path}", headers=headers, json={}, timeout=10)
        assert response.status_code == 401
        # RFC 6750 §3.1: no error code when no token came; invalid_token for one refused.
        expected = f'Bearer realm="spell"{error}, resource_metadata="{metadata_url}"'
        assert response.headers["www-authenticate"] == expected
    assert httpx.get(metadata_url).json()["resource"] == f"{server.url}{resource}"


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
    assert problem(result)["code"] == "insufficient_credits"


@pytest.mark.parametrize("mode", GENERATIONS)
async def test_catalog_tools_reach_every_spell_without_reconnecting(server: RunningServer, mode: str) -> None:
    async with http_client(server, server.operator_key, mode) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        assert names[:4] == ["spells_search", "spells_describe", "spells_cast", "budget_status"]

        found = (await client.call_tool("spells_search", {"query": "statistics"})).structured_content
        assert [s["key"] for s in found["spells"]] == ["dev.spell.textstats"]  # type: ignore[index]
        for everything in ({}, {"query": ""}, {"query": "  ", "tag": ""}):
            listed = (await client.call_tool("spells_search", everything)).structured_content
            keys = {s["key"] for s in listed["spells"]}  # type: ignore[index]
            assert {"dev.spell.echo", "dev.spell.textstats"} <= keys, everything

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
        assert refused.is_error and problem(refused)["code"] == "input_invalid"
        missing = await client.call_tool("spells_describe", {"key": "com.nobody.nothing"})
        assert missing.is_error and problem(missing)["code"] == "spell_not_found"

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
    assert problem(results[2])["code"] == "rate_limited"


async def test_a_long_cast_reports_progress_and_a_cancelled_one_costs_nothing(server: RunningServer) -> None:
    key = server.new_user(credits_usd="1")
    steps: list[tuple[float, str | None]] = []
    async with http_client(server, key, "legacy") as client:
        with anyio.CancelScope() as scope:

            async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                steps.append((progress, message))
                if message and message.startswith("still running"):
                    scope.cancel()  # the caller gives up: the spell must stop, the hold go

            await client.call_tool("test_spell_spin", {}, progress_callback=on_progress)
        assert scope.cancelled_caught
    assert [p for p, _ in steps] == sorted(p for p, _ in steps)
    assert steps[0][1] is not None and steps[0][1].startswith("casting test.spell.spin 1.0.0")
    assert "price held, running" in (steps[1][1] or "")
    with server.client(key) as rest:
        deadline = time.monotonic() + 10
        while (casts := rest.get("/v1/casts").json()["items"])[0]["status"] == "running":
            assert time.monotonic() < deadline, "the cancelled cast never stopped"
            await anyio.sleep(0.1)
        assert (casts[0]["status"], casts[0]["error_code"]) == ("failed", "cast_cancelled")
        balance = rest.get("/v1/users/me/balance").json()
    assert (balance["available"]["micros"], balance["held"]["micros"]) == (1_000_000, 0)


@pytest.mark.parametrize("mode", GENERATIONS)
async def test_rich_output_arrives_as_mcp_content(server: RunningServer, mode: str) -> None:
    async with http_client(server, server.operator_key, mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        (icon,) = tools["test_spell_picture"].icons or []
        assert icon.src.startswith("data:image/png;base64,iVBORw0KGgo")
        assert tools["dev_spell_echo"].icons is None
        result = await client.call_tool("test_spell_picture", {})
    assert not result.is_error
    text, image = result.content
    assert (text.type, text.text) == ("text", "a red dot")  # type: ignore[union-attr]
    assert (image.type, image.mime_type) == ("image", "image/png")  # type: ignore[union-attr]
    assert base64.b64decode(image.data).startswith(b"\x89PNG")  # type: ignore[union-attr]
    assert result.structured_content == {"dots": 1}


@pytest.mark.parametrize("mode", GENERATIONS)
async def test_artifacts_are_linked_and_readable_as_resources(server: RunningServer, mode: str) -> None:
    async with http_client(server, server.operator_key, mode) as client:
        result = await client.call_tool("test_spell_probe", {"c": "write /scratch/report.txt"})
        assert not result.is_error, result.content
        (link,) = [block for block in result.content if block.type == "resource_link"]
        assert link.uri.startswith("spell://casts/cast_") and link.uri.endswith("/artifacts/report.txt")
        assert (link.name, link.mime_type, link.size) == ("report.txt", "text/plain", 17)
        read = await client.read_resource(link.uri)
        assert base64.b64decode(read.contents[0].blob) == b"written by probe\n"  # type: ignore[union-attr]
    # Another caster cannot read it.
    other = server.new_user(credits_usd="1")
    async with http_client(server, other, mode) as client:
        with pytest.raises(MCPError) as refused:
            await client.read_resource(link.uri)
    assert "cast_not_found" in str(refused.value)


async def test_spell_readmes_and_schemas_are_resources_with_completion(server: RunningServer) -> None:
    async with http_client(server, server.operator_key, "legacy") as client:
        uris = {resource.uri for resource in (await client.list_resources()).resources}
        assert {"spell://spells/dev.spell.echo", "spell://spells/dev.spell.echo/schema"} <= uris
        templates = (await client.list_resource_templates()).resource_templates
        assert "spell://spells/{key}" in {template.uri_template for template in templates}
        readme = (await client.read_resource("spell://spells/dev.spell.echo")).contents[0]
        assert readme.mime_type == "text/markdown"
        assert readme.text.startswith("# Echo") and "$0.0001" in readme.text  # type: ignore[union-attr]
        schema = (await client.read_resource("spell://spells/dev.spell.echo/schema")).contents[0]
        assert json.loads(schema.text) == ECHO_SCHEMA  # type: ignore[union-attr]
        with pytest.raises(MCPError) as missing:
            await client.read_resource("spell://spells/com.nobody.nothing")
        assert missing.value.code == -32002
        completed = await client.complete(
            ResourceTemplateReference(uri="spell://spells/{key}"), {"name": "key", "value": "dev.spell.t"}
        )
        assert completed.completion.values == ["dev.spell.textstats"]


async def test_stdio_relays_to_a_remote_platform_as_the_keys_caster(server: RunningServer) -> None:
    key = server.new_user(credits_usd="1")
    env = {**os.environ, "SPELL_API_KEY": key}
    params = StdioServerParameters(
        command=str(ROOT / ".venv/bin/spell"), args=["mcp", "--url", server.url], env=env
    )
    async with Client(params) as client:
        cast_id = await assert_lists_and_casts(client)
        readme = (await client.read_resource("spell://spells/dev.spell.echo")).contents[0]
        assert readme.text.startswith("# Echo")  # type: ignore[union-attr]
        with pytest.raises(MCPError) as unknown:
            await client.call_tool("com_nobody_nothing", {})
        assert unknown.value.code == INVALID_PARAMS  # the platform's protocol error, passed on
        with pytest.raises(MCPError) as missing:
            await client.read_resource("spell://spells/com.nobody.nothing")
        assert missing.value.code == INVALID_PARAMS and "spell_not_found" in missing.value.message
    # The remote platform charged the key's caster, and recorded the cast as its own.
    assert available(server, key) == 1_000_000 - ECHO_PRICE
    with server.client(key) as rest:
        assert rest.get(f"/v1/casts/{cast_id}").json()["via"] == "mcp-http"


def test_stdio_relay_with_a_bad_key_says_so_and_exits(server: RunningServer) -> None:
    done = subprocess.run(
        [str(ROOT / ".venv/bin/spell"), "mcp", "--url", server.url, "--api-key", "spell_sk_bad"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "cannot reach the Spell platform" in done.stderr and "Traceback" not in done.stderr


def answering(action: str, confirm: bool = True) -> tuple[list[str], Any]:
    """An elicitation callback that gives `action`, and the questions it was asked."""
    asked: list[str] = []

    async def answer(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action=action, content={"confirm": confirm} if action == "accept" else None)

    return asked, answer


def confirming_caster(server: RunningServer) -> str:
    """A caster whose casts above 50 micro-USD (the echo costs 100) need the person's yes."""
    key = server.new_user(credits_usd="1")
    with server.client(key) as rest:
        assert rest.put("/v1/users/me/budget", json={"confirm_above_micros": 50}).is_success
    return key


@pytest.mark.parametrize("action", ["accept", "decline"])
async def test_a_cast_above_the_threshold_asks_the_person_on_2026_clients(
    server: RunningServer, action: str
) -> None:
    key = confirming_caster(server)
    asked, answer = answering(action)
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(
            streamable_http_client(f"{server.url}/mcp", http_client=http), elicitation_callback=answer
        ) as client,
    ):
        result = await client.call_tool("dev_spell_echo", {"message": "worth it?"})
    assert len(asked) == 1 and "$0.0001" in asked[0] and "threshold of $0.00005" in asked[0]
    if action == "accept":
        assert not result.is_error and result.structured_content == {"message": "worth it?"}
        assert available(server, key) == 1_000_000 - ECHO_PRICE
    else:
        assert problem(result)["code"] == "confirmation_declined"
        assert available(server, key) == 1_000_000


async def test_a_stdio_client_is_asked_mid_call(server: RunningServer) -> None:
    env = {
        **{k: v for k, v in server.env.items() if k != "SPELL_DEV_MODE"},
        "SPELL_CONFIRM_ABOVE_MICROS": "50",
    }
    asked, answer = answering("accept")
    params = StdioServerParameters(command=str(ROOT / ".venv/bin/spell"), args=["mcp"], env=env)
    async with Client(params, elicitation_callback=answer) as client:
        result = await client.call_tool("dev_spell_echo", {"message": "yes"})
        assert not result.is_error and len(asked) == 1
        # The operator's threshold holds for every spell above it: textstats ($0.002) asks too.
        second = await client.call_tool("dev_spell_textstats", {"text": "Asked again."})
    assert not second.is_error and len(asked) == 2


async def test_a_client_that_cannot_ask_gets_confirmation_required_and_a_way_on(
    server: RunningServer,
) -> None:
    key = confirming_caster(server)
    async with http_client(server, key, "legacy") as client:
        refused = await client.call_tool("dev_spell_echo", {"message": "x"})
        assert refused.is_error and problem(refused)["code"] == "confirmation_required"
        assert "spells_cast" in refused.content[0].text  # type: ignore[union-attr]
        assert available(server, key) == 1_000_000
        confirmed = await client.call_tool(
            "spells_cast", {"key": "dev.spell.echo", "input": {"message": "x"}, "confirmed": True}
        )
    assert not confirmed.is_error
    assert available(server, key) == 1_000_000 - ECHO_PRICE


@pytest.mark.parametrize("mode", GENERATIONS)
async def test_confirmed_true_does_not_spare_a_client_that_can_ask_the_question(
    server: RunningServer, mode: str
) -> None:
    """`"confirmed": true` is the way on for clients that cannot ask the person; one that can
    is asked all the same, and the person's no stands."""
    key = confirming_caster(server)
    asked, answer = answering("decline")
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http,
        Client(
            streamable_http_client(f"{server.url}/mcp", http_client=http),
            elicitation_callback=answer,
            mode=mode,
        ) as client,
    ):
        cast = {"key": "dev.spell.echo", "input": {"message": "x"}, "confirmed": True}
        result = await client.call_tool("spells_cast", cast)
    assert len(asked) == 1 and problem(result)["code"] == "confirmation_declined"
    assert available(server, key) == 1_000_000


async def test_a_2026_client_that_cannot_ask_is_told_the_capability_the_cast_needs(
    server: RunningServer,
) -> None:
    key = confirming_caster(server)
    async with http_client(server, key, "auto") as client:  # declares no elicitation
        with pytest.raises(MCPError) as refused:
            await client.call_tool("dev_spell_echo", {"message": "x"})
        # spells_cast has a way on without asking: "confirmed": true, once the person agreed.
        confirmed = await client.call_tool(
            "spells_cast", {"key": "dev.spell.echo", "input": {"message": "x"}, "confirmed": True}
        )
    error = refused.value.error
    assert error.code == MISSING_REQUIRED_CLIENT_CAPABILITY
    assert isinstance(error.data, dict) and error.data["requiredCapabilities"] == {"elicitation": {}}
    assert error.data["code"] == "confirmation_required" and "spells_cast" in error.message
    assert not confirmed.is_error
    assert available(server, key) == 1_000_000 - ECHO_PRICE


def modern_request(
    server: RunningServer, method: str, params: dict[str, Any], **headers: str
) -> tuple[int, Any]:
    """A 2026-07-28 request on the wire, sent with the standard library, which (unlike httpx)
    sends header values with the whitespace around them."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": {**params, "_meta": meta}})
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=30)
    connection.request(
        "POST",
        "/mcp",
        body,
        {
            "Authorization": f"Bearer {server.operator_key}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2026-07-28",
            "Mcp-Method": method,
            **{name.replace("_", "-"): value for name, value in headers.items()},
        },
    )
    response = connection.getresponse()
    answer = (response.status, json.loads(response.read()))
    connection.close()
    return answer


def test_routing_headers_are_checked_against_the_body_whitespace_aside(server: RunningServer) -> None:
    search = {"name": "spells_search", "arguments": {}}
    status, answer = modern_request(server, "tools/call", search, Mcp_Name="  spells_search \t")
    assert status == 200 and "result" in answer, answer
    for wrong in ({"Mcp_Name": "dev_spell_echo"}, {}):  # another tool, or none named
        status, answer = modern_request(server, "tools/call", search, **wrong)
        assert (status, answer["error"]["code"]) == (400, HEADER_MISMATCH)
    # The tasks/* methods of 2025-11-25 do not exist in 2026-07-28, nor does a call's `task`:
    # the call is answered as any other.
    asked = {**search, "task": {"ttl": 60_000}}
    status, answer = modern_request(server, "tools/call", asked, Mcp_Name="spells_search")
    assert status == 200 and "content" in answer["result"] and "task" not in answer["result"], answer
    status, answer = modern_request(server, "tasks/list", {})
    assert (status, answer["error"]["code"]) == (404, METHOD_NOT_FOUND)
    # An unknown resource is invalid params there (SEP-2164), not the older -32002.
    missing = "spell://spells/no.such.spell"
    status, answer = modern_request(server, "resources/read", {"uri": missing}, Mcp_Name=missing)
    assert (status, answer["error"]["code"]) == (400, INVALID_PARAMS)


async def test_the_catalog_over_mcp_needs_the_read_scope(server: RunningServer) -> None:
    with server.client() as rest:
        caster_only = str(rest.post("/v1/keys", json={"name": "cast only", "scopes": ["cast"]}).json()["key"])
    async with http_client(server, caster_only, "legacy") as client:
        for request in (
            client.list_resources(),
            client.read_resource("spell://spells/dev.spell.echo"),
            client.complete(
                ResourceTemplateReference(uri="spell://spells/{key}"), {"name": "key", "value": "d"}
            ),
        ):
            with pytest.raises(MCPError) as refused:
                await request
            assert "forbidden" in str(refused.value)


# logging/setLevel is deprecated in 2026-07-28; 2025-era clients still send it.
@pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")
async def test_a_lasting_session_gets_the_log_level_it_asked_for(server: RunningServer) -> None:
    env = {k: v for k, v in server.env.items() if k != "SPELL_DEV_MODE"}
    logged: list[str] = []

    async def on_log(params: Any) -> None:
        logged.append(str(params.data))

    params = StdioServerParameters(command=str(ROOT / ".venv/bin/spell"), args=["mcp"], env=env)
    async with Client(params, logging_callback=on_log, mode="legacy") as client:
        await client.call_tool("dev_spell_echo", {"message": "no level set: nothing asked"})
        assert logged == []
        await client.set_logging_level("warning")
        await client.call_tool("dev_spell_echo", {"message": "quiet"})
        assert logged == []
        await client.set_logging_level("info")
        await client.call_tool("dev_spell_echo", {"message": "chatty"})
    assert len(logged) == 3 and logged[0].startswith("casting dev.spell.echo")


@pytest.mark.parametrize("level", [None, "info", "error"])
async def test_a_2026_client_hears_the_cast_at_the_level_its_request_asks(
    server: RunningServer, level: str | None
) -> None:
    logged: list[str] = []

    async def on_log(params: Any) -> None:
        logged.append(str(params.data))

    headers = {"Authorization": f"Bearer {server.operator_key}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(
            streamable_http_client(f"{server.url}/mcp", http_client=http),
            logging_callback=on_log,
            log_level=level,  # type: ignore[arg-type]
        ) as client,
    ):
        result = await client.call_tool("dev_spell_echo", {"message": "hi"})
    assert not result.is_error
    assert len(logged) == (3 if level == "info" else 0)


@pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")
def test_a_stateless_2025_client_keeps_the_level_it_set_for_its_key(
    tmp_path: Path, built_spells: Path, probe_wasm: bytes
) -> None:
    def call(client: httpx.Client, body: dict[str, Any]) -> list[dict[str, Any]]:
        response = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, **body})
        assert response.status_code == 200, response.text
        events = [line[5:] for line in response.text.splitlines() if line.startswith("data:")]
        return [json.loads(event) for event in events] or [response.json()]

    def logs_of_a_cast(client: httpx.Client) -> int:
        call_echo = {
            "method": "tools/call",
            "params": {"name": "dev_spell_echo", "arguments": {"message": "x"}},
        }
        messages = call(client, call_echo)
        return sum(message.get("method") == "notifications/message" for message in messages)

    env = {"SPELL_MCP_SESSIONS": "0"}
    with running_servers(tmp_path, built_spells, probe_wasm, extra_env=env) as (stateless,):
        headers = {
            "Authorization": f"Bearer {stateless.operator_key}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-11-25",
        }
        with httpx.Client(base_url=stateless.url, headers=headers, timeout=30) as client:
            assert logs_of_a_cast(client) == 0  # nobody asked
            call(client, {"method": "logging/setLevel", "params": {"level": "debug"}})
            assert logs_of_a_cast(client) == 3
            call(client, {"method": "logging/setLevel", "params": {"level": "error"}})
            assert logs_of_a_cast(client) == 0


async def test_the_stdio_relay_reports_a_platform_that_went_away(
    tmp_path: Path, built_spells: Path, probe_wasm: bytes
) -> None:
    with ExitStack() as platform_up:
        (remote,) = platform_up.enter_context(running_servers(tmp_path, built_spells, probe_wasm))
        env = {**os.environ, "SPELL_API_KEY": remote.operator_key}
        params = StdioServerParameters(
            command=str(ROOT / ".venv/bin/spell"), args=["mcp", "--url", remote.url], env=env
        )
        async with Client(params) as client:
            assert "dev_spell_echo" in [tool.name for tool in (await client.list_tools()).tools]
            platform_up.close()  # the platform stops; the local relay keeps running
            with anyio.fail_after(30):  # said at once, not after a stream that never answers
                result = await client.call_tool("dev_spell_echo", {"message": "anyone?"})
    assert result.is_error
    assert "cannot be reached" in result.content[0].text  # type: ignore[union-attr]


async def test_a_listener_is_acknowledged_only_what_the_server_announces(server: RunningServer) -> None:
    """Spell has no prompts and announces no resource changes (a published version never
    changes): a subscriptions/listen asking for everything is acknowledged tools/list_changed
    alone, as the capabilities say."""
    everything = {
        "tools_list_changed": True,
        "prompts_list_changed": True,
        "resources_list_changed": True,
        "resource_subscriptions": ["spell://spells/dev.spell.echo"],
    }
    async with (
        http_client(server, server.operator_key, "auto") as client,
        client.listen(**everything) as subscription,  # type: ignore[arg-type]
    ):
        capabilities = client.server_capabilities
    assert subscription.honored == SubscriptionFilter(tools_list_changed=True)
    assert capabilities.prompts is None and capabilities.tools and capabilities.tools.list_changed
    assert capabilities.resources == ResourcesCapability(subscribe=False, list_changed=False)
