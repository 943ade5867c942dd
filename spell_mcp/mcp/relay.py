"""`spell mcp --url URL --api-key KEY`: MCP over stdio, relayed to a remote Spell platform.

For clients that only start local commands, and to keep the key in one place: the local process
holds the key and speaks Streamable HTTP to the platform, which does everything else (auth,
budgets, sandbox, ledger). Tools, resources and completion pass through unchanged, and so do
the platform's JSON-RPC errors, with their codes (an unknown resource in the local client's
protocol generation); a cast's progress comes back as it happens; an unreachable platform is an
`isError` result, not a crash.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx2
import mcp_types as types
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from spell_mcp.mcp.protocol import INSTRUCTIONS, resource_not_found

log = logging.getLogger(__name__)


Remote = Callable[[], AbstractAsyncContextManager[Client]]


@asynccontextmanager
async def answering(remote: Remote) -> AsyncIterator[Client]:
    """A connection to the platform, out of which its JSON-RPC errors come as it said them (the
    client's task groups would wrap them, and the local client would be told code 0)."""
    try:
        async with remote() as client:
            yield client
    except Exception as error:
        refused = _protocol_error(error)
        if refused is None:
            raise
        raise MCPError(refused.code, refused.message, refused.data) from None


def remote_platform(url: str, api_key: str) -> Remote:
    """A connection to the platform per relayed request (stateless 2026-07-28 requests): one that
    fails says so at once, where a long-lived session would wait on a stream that is gone."""
    endpoint = f"{url.rstrip('/')}/mcp"

    @asynccontextmanager
    async def connect() -> AsyncIterator[Client]:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {api_key}"}, timeout=120) as http,
            Client(streamable_http_client(endpoint, http_client=http), mode="2026-07-28") as client,
        ):
            yield client

    return connect


def build_proxy(remote: Remote, version: str) -> Server[Any]:
    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        async with answering(remote) as client:
            return await client.list_tools(cursor=params.cursor if params else None)

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        async def relay(progress: float, total: float | None, message: str | None) -> None:
            await ctx.session.report_progress(progress, total, message)

        try:
            async with answering(remote) as client:
                return await client.call_tool(params.name, params.arguments or {}, progress_callback=relay)
        except MCPError:
            raise  # the platform's protocol error (an unknown tool), as it said it
        except Exception as error:
            # The platform went away: say so, do not crash the client.
            log.warning("relaying tools/call %s failed: %s", params.name, error)
            return _error("the Spell platform cannot be reached; try again")

    async def list_resources(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        async with answering(remote) as client:
            return await client.list_resources(cursor=params.cursor if params else None)

    async def list_resource_templates(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        async with answering(remote) as client:
            return await client.list_resource_templates(cursor=params.cursor if params else None)

    async def read_resource(
        ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        try:
            async with answering(remote) as client:
                return await client.read_resource(str(params.uri))
        except MCPError as error:
            if error.code != INVALID_PARAMS:
                raise
            # The platform speaks 2026-07-28, where an unknown resource is invalid params.
            raise MCPError(resource_not_found(ctx.protocol_version), error.message, error.data) from None

    async def complete(
        ctx: ServerRequestContext[Any, Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        argument = {"name": params.argument.name, "value": params.argument.value}
        context = params.context.arguments if params.context else None
        async with answering(remote) as client:
            return await client.complete(params.ref, argument, context)

    return Server(
        "spell",
        version=version,
        title="Spell (remote)",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_resource_templates,
        on_read_resource=read_resource,
        on_completion=complete,
    )


def _protocol_error(error: BaseException) -> MCPError | None:
    """The platform's JSON-RPC error, which the client's task groups may have wrapped."""
    if isinstance(error, MCPError):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            if (found := _protocol_error(inner)) is not None:
                return found
    return None


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)
