"""The baseline: a bare low-level MCP echo tool (no auth, no sandbox, no billing), served the
same way as Spell's /mcp (FastAPI route, stateless Streamable HTTP, uvicorn)."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import mcp_types as types
import uvicorn
from fastapi import FastAPI
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from starlette.routing import Route

ECHO_SCHEMA = {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]}


async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
    return types.ListToolsResult(tools=[types.Tool(name="echo", input_schema=ECHO_SCHEMA)])


async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    arguments = params.arguments or {}
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(arguments))], structured_content=arguments
    )


def create_app() -> FastAPI:
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


if __name__ == "__main__":
    uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
