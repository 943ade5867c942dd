"""MCP clients this project did not write, over every way Spell serves MCP.

The clients: the official TypeScript SDK's `Client`, the MCP Inspector's CLI, fastmcp's `Client`
and the Python SDK's `Client`. The transports: stdio (`spell mcp`), the stdio relay to a remote
platform (`spell mcp --url`), Streamable HTTP with sessions and stateless, and legacy HTTP+SSE.
Each client, on each transport, lists the tools, casts, reads the words of three refusals
(invalid input, insufficient credits, a budget), reads a resource, and is told of an unknown tool
and an unknown resource with their codes.

One server per transport (the module-shared one, and one stateless), one client process per
client and transport (tests/conformance/mcp_clients.mjs runs the Node clients).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import anyio
import fastmcp
import httpx2
import pytest
from fastmcp.client.transports import SSETransport, StdioTransport, StreamableHttpTransport
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import INVALID_PARAMS
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from spell_mcp.mcp.protocol import PROBLEM_META, RESOURCE_NOT_FOUND
from tests.conftest import ROOT, RunningServer, running_servers
from tests.functional.test_conformance import NODE_BIN, TOOLS, node_tools

SPELL = str(ROOT / ".venv" / "bin" / "spell")
# Every caster here may spend at most this on one cast: textstats ($0.002) is cast, dear ($0.01)
# is refused by the budget, pricey ($1000) by the credits. Refusals change nothing, so every
# client on a transport meets the same caster in the same state.
PER_CAST_MAX = 5_000
REFUSALS = ("input_invalid", "insufficient_credits", "budget_exceeded")
Check = dict[str, Any]


def call(name: str, tool: str, arguments: dict[str, Any] | None = None) -> Check:
    return {"name": name, "method": "tools/call", "tool": tool, "arguments": arguments or {}}


CHECKS: list[Check] = [
    {"name": "tools", "method": "tools/list"},
    call("cast", "dev_spell_textstats", {"text": "One. Two."}),
    call("input_invalid", "dev_spell_textstats", {"txt": 1}),
    call("insufficient_credits", "test_spell_pricey"),
    call("budget_exceeded", "test_spell_dear"),
    call("unknown_tool", "com_nobody_nothing"),
    {"name": "resource", "method": "resources/read", "uri": "spell://spells/dev.spell.textstats"},
    {"name": "unknown_resource", "method": "resources/read", "uri": "spell://spells/com.nobody.nothing"},
]
# The Inspector's CLI connects anew for each invocation (over stdio, starting the server each
# time). It lists the tools before every call and calls only a tool it listed, so its calls are
# its tools/list, and an unknown tool never reaches the server: those two are not run with it.
INSPECTED = [check for check in CHECKS if check["name"] not in ("tools", "unknown_tool")]


@dataclass(frozen=True)
class Target:
    """Where a client connects: a command to start (stdio) or a URL with its headers."""

    transport: str  # "stdio", "http" or "sse"
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    command: str = ""
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Observed:
    """What a client made of each check: `{"result": …}` as MCP JSON, or `{"error": …}`; and
    the protocol revision it negotiated, where the client tells."""

    protocol: str | None
    outcomes: dict[str, dict[str, Any]]


def capped(server: RunningServer, key: str) -> str:
    with server.client(key) as rest:
        response = rest.put("/v1/users/me/budget", json={"per_cast_max_micros": PER_CAST_MAX})
        assert response.is_success, response.text
    return key


@pytest.fixture(scope="module")
def stateless(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes
) -> Iterator[RunningServer]:
    """A stateless server, whose store `spell mcp` serves over stdio too, as its operator."""
    base = tmp_path_factory.mktemp("stateless")
    with running_servers(base, built_spells, probe_wasm, extra_env={"SPELL_MCP_SESSIONS": "0"}) as (server,):
        capped(server, server.operator_key)
        yield server


@pytest.fixture(scope="module")
def targets(server: RunningServer, stateless: RunningServer) -> dict[str, Target]:
    key = capped(server, server.new_user(credits_usd="1"))
    auth = {"Authorization": f"Bearer {key}"}
    path = {"PATH": os.environ["PATH"]}
    store = {name: stateless.env[name] for name in ("SPELL_HOME", "SPELL_DATABASE_URL")}
    operator = {"Authorization": f"Bearer {stateless.operator_key}"}
    relay = ["mcp", "--url", server.url]
    return {
        "stdio": Target("stdio", command=SPELL, args=["mcp"], env={**path, **store}),
        "relay": Target("stdio", command=SPELL, args=relay, env={**path, "SPELL_API_KEY": key}),
        "http-sessions": Target("http", url=f"{server.url}/mcp", headers=auth),
        "http-stateless": Target("http", url=f"{stateless.url}/mcp", headers=operator),
        "sse": Target("sse", url=f"{server.url}/sse", headers=auth),
    }


# -- the clients: each runs `checks` on `target` and says what it got -----------------------------

Runner = Callable[[Target, str, list[Check]], Observed]


def node_client(name: str) -> Runner:
    def run(target: Target, transport: str, checks: list[Check]) -> Observed:
        request = json.dumps({"target": asdict(target), "checks": checks})
        done = subprocess.run(
            [str(NODE_BIN / "node"), str(TOOLS / "mcp_clients.mjs"), name, request],
            env=node_tools(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        answer = json.loads(done.stdout)
        return Observed(answer["protocol"], answer["outcomes"])

    return run


def as_json(value: Any) -> Any:
    return value.model_dump(by_alias=True, mode="json", exclude_none=True)


async def outcomes_of(
    checks: list[Check],
    list_tools: Callable[[], Awaitable[Any]],
    call_tool: Callable[[str, dict[str, Any]], Awaitable[Any]],
    read_resource: Callable[[str], Awaitable[Any]],
) -> dict[str, dict[str, Any]]:
    """Each check's outcome, as one Python client's methods (returning MCP JSON) give it."""
    outcomes: dict[str, dict[str, Any]] = {}
    for check in checks:
        try:
            if check["method"] == "tools/list":
                result = await list_tools()
            elif check["method"] == "tools/call":
                result = await call_tool(check["tool"], check["arguments"])
            else:
                result = await read_resource(check["uri"])
            outcomes[check["name"]] = {"result": result}
        except Exception as error:
            outcomes[check["name"]] = {"error": {"code": getattr(error, "code", None), "message": str(error)}}
    return outcomes


def python_mode(transport: str) -> str:
    """A 2025-era client where the transport keeps a session (and over SSE, which is of that
    era); elsewhere each Python client's default, which negotiates 2026-07-28."""
    return "legacy" if transport in ("http-sessions", "sse") else "auto"


async def python_sdk(target: Target, transport: str, checks: list[Check]) -> Observed:
    async def run(connection: Any) -> Observed:
        async with Client(connection, mode=python_mode(transport)) as client:

            async def list_tools() -> Any:
                return as_json(await client.list_tools())

            async def call_tool(name: str, arguments: dict[str, Any]) -> Any:
                return as_json(await client.call_tool(name, arguments))

            async def read_resource(uri: str) -> Any:
                return as_json(await client.read_resource(uri))

            outcomes = await outcomes_of(checks, list_tools, call_tool, read_resource)
            return Observed(client.protocol_version, outcomes)

    if target.transport == "stdio":
        return await run(StdioServerParameters(command=target.command, args=target.args, env=target.env))
    if target.transport == "sse":
        return await run(sse_client(target.url, headers=target.headers))
    async with httpx2.AsyncClient(headers=target.headers, timeout=60) as http:
        return await run(streamable_http_client(target.url, http_client=http))


async def fastmcp_client(target: Target, transport: str, checks: list[Check]) -> Observed:
    connection: Any
    if target.transport == "stdio":
        connection = StdioTransport(
            target.command, target.args, env=target.env, keep_alive=False, log_file=Path(os.devnull)
        )
    elif target.transport == "sse":
        connection = SSETransport(target.url, headers=target.headers)
    else:
        connection = StreamableHttpTransport(target.url, headers=target.headers)
    async with fastmcp.Client(connection, mode=python_mode(transport)) as client:

        async def list_tools() -> Any:
            return {"tools": [as_json(tool) for tool in await client.list_tools()]}

        async def call_tool(name: str, arguments: dict[str, Any]) -> Any:
            called = await client.call_tool(name, arguments, raise_on_error=False)
            return {
                "content": [as_json(block) for block in called.content],
                "structuredContent": called.structured_content,
                "isError": called.is_error,
                "_meta": called.meta,
            }

        async def read_resource(uri: str) -> Any:
            return {"contents": [as_json(item) for item in await client.read_resource(uri)]}

        outcomes = await outcomes_of(checks, list_tools, call_tool, read_resource)
        return Observed(client.protocol_version, outcomes)


def in_process(run: Callable[[Target, str, list[Check]], Awaitable[Observed]]) -> Runner:
    def sync(target: Target, transport: str, checks: list[Check]) -> Observed:
        observed: Observed = anyio.run(run, target, transport, checks)
        return observed

    return sync


CLIENTS: dict[str, Runner] = {
    "typescript-sdk": node_client("typescript-sdk"),
    "inspector": node_client("inspector"),
    "fastmcp": in_process(fastmcp_client),
    "python-sdk": in_process(python_sdk),
}


# -- what every client must make of it ------------------------------------------------------------


def text_of(result: dict[str, Any]) -> str:
    return "\n".join(block["text"] for block in result.get("content", []) if block.get("type") == "text")


def assert_readable(client: str, observed: Observed) -> None:
    outcomes = observed.outcomes
    if "tools" in outcomes:
        names = {tool["name"] for tool in outcomes["tools"]["result"]["tools"]}
        assert {"spells_cast", "dev_spell_textstats", "test_spell_pricey", "test_spell_dear"} <= names

    cast = outcomes["cast"].get("result")
    assert cast is not None and not cast.get("isError"), outcomes["cast"]
    assert cast["structuredContent"]["sentences"] == 2 and cast["_meta"]["dev.spell/charged_micros"] == 2000

    for code in REFUSALS:
        refused = outcomes[code].get("result")
        # Read as a result (not a failure of the client), in words, with the problem beside them.
        assert refused is not None, outcomes[code]
        assert refused["isError"] is True and text_of(refused).startswith(f"{code}: "), refused
        assert refused["_meta"][PROBLEM_META]["code"] == code, refused
        assert refused.get("structuredContent") is None, refused

    if "unknown_tool" in outcomes:
        unknown_tool = outcomes["unknown_tool"].get("error")
        assert unknown_tool is not None and unknown_tool["code"] == INVALID_PARAMS, outcomes["unknown_tool"]
        assert "Unknown tool: com_nobody_nothing" in unknown_tool["message"]

    readme = outcomes["resource"]["result"]["contents"][0]
    assert readme["text"].startswith("# Text statistics"), readme
    # An unknown resource is -32002 before 2026-07-28, invalid params from it (SEP-2164); the
    # Inspector's client (the SDK's second major version) reports either as invalid params.
    modern = observed.protocol in MODERN_PROTOCOL_VERSIONS or client == "inspector"
    missing = outcomes["unknown_resource"].get("error")
    assert missing is not None, outcomes["unknown_resource"]
    assert missing["code"] == (INVALID_PARAMS if modern else RESOURCE_NOT_FOUND), missing
    assert "spell_not_found" in missing["message"], missing


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize("transport", ["stdio", "relay", "http-sessions", "http-stateless", "sse"])
def test_every_client_lists_casts_and_reads_refusals_on_every_transport(
    targets: dict[str, Target], transport: str, client: str
) -> None:
    node_tools()  # installed by `make test`; without them the module skips (or fails in CI)
    checks = INSPECTED if client == "inspector" else CHECKS
    observed = CLIENTS[client](targets[transport], transport, checks)
    assert set(observed.outcomes) == {check["name"] for check in checks}
    assert_readable(client, observed)
