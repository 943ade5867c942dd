"""The baselines a cast is measured against: the least a server can do to run the echo spell for
a caller, with nothing of the platform around it (no key, no lookup, no money, no record).

- `mcp`: a bare low-level MCP tool (the SDK's `Server`, stateless Streamable HTTP at /mcp, as
  Spell serves it) whose handler runs the spell through `Sandbox.run` in a worker thread;
- `rest`: a bare FastAPI route (POST /cast, `{"input": …}` → `{"output": …}`) that does the same.

Both are served like Spell: uvicorn with uvloop and httptools, N worker processes on one port.

    python bench/baselines.py mcp|rest PORT [WORKERS]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
import mcp_types as types
import uvicorn
from fastapi import Body, FastAPI
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from starlette.routing import Route

from runtime import Limits, Sandbox

ROOT = Path(__file__).resolve().parent.parent
ECHO_WASM = ROOT / "build" / "spells" / "echo" / "spell.wasm"
ECHO_SCHEMA = {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]}
LIMITS = Limits()


def echo_sandbox() -> tuple[Sandbox, str]:
    """A sandbox with the echo spell compiled, and the spell's module digest."""
    wasm = ECHO_WASM.read_bytes()
    sandbox = Sandbox(Path(tempfile.mkdtemp(prefix="spell-baseline-")), lambda digest: wasm)
    return sandbox, sandbox.compile(wasm)


async def run_echo(sandbox: Sandbox, digest: str, arguments: Any) -> Any:
    input_json = json.dumps(arguments, separators=(",", ":")).encode()
    result = await anyio.to_thread.run_sync(sandbox.run, digest, input_json, LIMITS)
    return result.output


def mcp_app() -> FastAPI:
    sandbox, digest = echo_sandbox()

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[types.Tool(name="echo", input_schema=ECHO_SCHEMA)])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        output = await run_echo(sandbox, digest, params.arguments or {})
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(output))], structured_content=output
        )

    server: Server[Any] = Server("bare", on_list_tools=list_tools, on_call_tool=call_tool)
    server.streamable_http_app(stateless_http=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with server.session_manager.run():
            yield

    app = FastAPI(lifespan=lifespan)
    app.router.routes.append(
        Route("/mcp", endpoint=StreamableHTTPASGIApp(server.session_manager), methods=None)
    )
    return app


def rest_app() -> FastAPI:
    sandbox, digest = echo_sandbox()
    app = FastAPI()

    @app.post("/cast")
    async def cast(input: Annotated[dict[str, Any], Body(embed=True)]) -> dict[str, Any]:
        return {"output": await run_echo(sandbox, digest, input)}

    return app


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    # Worker processes import this module by name (they are spawned, with this sys.path).
    sys.path.insert(0, os.path.dirname(__file__))
    uvicorn.run(
        f"baselines:{kind}_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )
