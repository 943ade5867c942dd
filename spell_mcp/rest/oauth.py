"""Signing agents in with OAuth 2.1 (spell_mcp/accounts/oauth/): the authorization server's
metadata and endpoints, which answer in OAuth's own shapes (RFC 6749 error objects, not problem
documents, as clients expect)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from spell_mcp.accounts.oauth.server import (
    REGISTER_PATH,
    Incoming,
    Issuer,
    Outgoing,
    metadata,
)
from spell_mcp.platform import Platform
from spell_mcp.rest.deps import (
    PlatformDep,
    public_base_url,
)
from spell_mcp.rest.routing import is_json

protocol = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


def _issuer(request: Request, platform: Platform) -> Issuer:
    return platform.oauth.issuer(public_base_url(request))


def _incoming(request: Request, issuer: Issuer, params: list[tuple[str, str]], body: Any = None) -> Incoming:
    return Incoming(request.method, f"{issuer.url}{request.url.path}", request.headers, params, body)


def _answer(outgoing: Outgoing) -> Response:
    headers = {**dict(outgoing.headers), **NO_STORE}
    if outgoing.location is not None:
        return RedirectResponse(outgoing.location, status_code=302, headers=headers)
    headers.pop("Content-Type", None)
    return JSONResponse(outgoing.body or {}, status_code=outgoing.status, headers=headers)


@protocol.get("/.well-known/oauth-authorization-server")
async def authorization_server_metadata(request: Request, platform: PlatformDep) -> dict[str, Any]:
    """RFC 8414 metadata of the authorization server this platform is for its MCP endpoint."""
    return metadata(_issuer(request, platform))


@protocol.post(REGISTER_PATH)
async def register(request: Request, platform: PlatformDep) -> Response:
    """RFC 7591 dynamic registration, for agents that have no metadata document."""
    try:
        document = await request.json() if is_json(request.headers.get("content-type")) else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        body = {
            "error": "invalid_client_metadata",
            "error_description": "send the client metadata as a JSON object",
        }
        return JSONResponse(body, status_code=400, headers=NO_STORE)
    issuer = _issuer(request, platform)
    return _answer(await platform.oauth.register(issuer, _incoming(request, issuer, [], document)))
