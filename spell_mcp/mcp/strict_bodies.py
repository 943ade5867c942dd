"""MCP requests over HTTP (Streamable HTTP, and legacy SSE's messages) read as strictly as REST
bodies on one point the SDK's parser cannot see: a name twice in one object, of which it keeps the
last (spell_mcp/strict_json.py says why that is refused). `DuplicateNames` reads each POST's body
before the SDK does and marks the request; `refuse_duplicates` answers a marked request with
invalid params, as the request's own error (so with its id, on the request's own channel)."""

from __future__ import annotations

from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spell_mcp import strict_json

# Where the refusal waits in the request's state for `refuse_duplicates`.
_STATE = "duplicate_name"


class DuplicateNames:
    """An ASGI wrapper that reads a POST's whole body (BodyLimit bounds it), marks the request
    if an object in it has a name twice, and hands the body on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before it finished sending
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        refusal = strict_json.duplicate_name(body)
        if refusal is not None:
            scope.setdefault("state", {})[_STATE] = refusal
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def refuse_duplicates(ctx: ServerRequestContext[Any, Any], call_next: Any) -> Any:
    """Server middleware: a request `DuplicateNames` marked is refused before anything reads it."""
    refusal = getattr(ctx.request.state, _STATE, None) if ctx.request is not None else None
    if refusal is not None:
        raise MCPError(INVALID_PARAMS, f"the request is not acceptable JSON: {refusal}")
    return await call_next(ctx)
