"""Signing agents in with OAuth 2.1 (spell_mcp/accounts/oauth/): the authorization server's
metadata and endpoints, which answer in OAuth's own shapes (RFC 6749 error objects, not problem
documents, as clients expect), and the two routes of the dashboard's consent page (/consent/),
which are REST like any other."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from spell_mcp.accounts.oauth.server import (
    AUTHORIZE_PATH,
    REGISTER_PATH,
    REVOKE_PATH,
    TOKEN_PATH,
    Incoming,
    Issuer,
    Outgoing,
    metadata,
)
from spell_mcp.accounts.oauth.service import Decision
from spell_mcp.platform import Platform
from spell_mcp.rest.billing import MAX_MICROS
from spell_mcp.rest.bodies import Moment, RequestBody
from spell_mcp.rest.deps import (
    JSON_BODY_ERRORS,
    ActorDep,
    AdminCaster,
    PlatformDep,
    problem_responses,
    public_base_url,
)
from spell_mcp.rest.routing import StrictJSONRoute, is_json

protocol = APIRouter(include_in_schema=False)
router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)
# The dashboard's page where a signed-in person approves or denies an agent.
CONSENT_PAGE = "/consent/"
MAX_SEALED = 8000
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


@protocol.get(AUTHORIZE_PATH)
async def authorize(request: Request, platform: PlatformDep) -> Response:
    """An agent sends the person here: a valid request goes on to the consent page; a refusal
    goes back to the agent once its redirect URI is known to be its own, else to the person."""
    issuer = _issuer(request, platform)
    checked = await platform.oauth.check(
        issuer, _incoming(request, issuer, request.query_params.multi_items())
    )
    serves_page = platform.settings.serves_dashboard
    if checked.sealed is not None and serves_page:
        return RedirectResponse(f"{CONSENT_PAGE}?{urlencode({'request': checked.sealed})}", 302, NO_STORE)
    refused = checked.refused or Outgoing(
        503,
        {
            "error": "temporarily_unavailable",
            "error_description": "this server has no dashboard to approve agents on",
        },
        [],
    )
    if refused.location is None and serves_page:
        said = refused.body or {}
        shown = {"error": said.get("error", ""), "error_description": said.get("error_description", "")}
        return RedirectResponse(f"{CONSENT_PAGE}?{urlencode(shown)}", 302, NO_STORE)
    return _answer(refused)


@protocol.post(TOKEN_PATH)
async def token(request: Request, platform: PlatformDep) -> Response:
    """Codes and refresh tokens for tokens (RFC 6749 §4.1.3, §6; PKCE; RFC 8707)."""
    return await _form_endpoint(request, platform, platform.oauth.token)


@protocol.post(REVOKE_PATH)
async def revoke(request: Request, platform: PlatformDep) -> Response:
    """RFC 7009: an agent gives up a token (a refresh token: its whole grant)."""
    return await _form_endpoint(request, platform, platform.oauth.revoke)


async def _form_endpoint(
    request: Request, platform: Platform, endpoint: Callable[[Issuer, Incoming], Awaitable[Outgoing]]
) -> Response:
    """An endpoint whose requests are form-encoded only (RFC 6749 §3.2, RFC 7009 §2.1)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        body = {
            "error": "invalid_request",
            "error_description": "send the request as application/x-www-form-urlencoded",
        }
        return JSONResponse(body, status_code=400, headers=NO_STORE)
    form = await request.form()
    params = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    issuer = _issuer(request, platform)
    return _answer(await endpoint(issuer, _incoming(request, issuer, params)))


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


# -- the consent page's routes -----------------------------------------------------------------


class ConsentRequestView(BaseModel):
    client_id: str = Field(
        description="The agent's client id: the URL of its metadata document, or its registration's."
    )
    client_name: str = Field(description="What the agent calls itself.")
    client_uri: str | None = Field(description="The agent's home page, as it states it.")
    verified_by: str | None = Field(
        description="The host that publishes the agent's metadata document and so vouches for its name; "
        "null when the agent registered itself and its name is only its own claim."
    )
    redirect_uri: str = Field(description="Where the person is sent back to, with the code.")
    redirect_to: str = Field(description="That address's scheme and host: the program that gets the code.")
    loopback_only: bool = Field(
        description="The agent only ever returns to this machine: any program on it could claim its name."
    )
    scopes: list[str] = Field(description="What the agent asks to do: some of cast, read, publish, billing.")
    resource: str = Field(description="The MCP endpoint its tokens will work at.")


class ConsentDecision(RequestBody):
    request: str = Field(min_length=1, max_length=MAX_SEALED, description="The `request` the page was given.")
    approve: bool
    scopes: list[str] | None = Field(
        None, description="The scopes granted (some of those asked); all asked if null."
    )
    daily_cap_micros: int | None = Field(
        None,
        ge=0,
        le=MAX_MICROS,
        description="What the agent may spend per UTC day; no cap of its own if null.",
    )
    expires_at: Moment | None = Field(None, description="When the agent's access ends (with a time zone).")


class ConsentAnswer(BaseModel):
    redirect_to: str = Field(description="Where to send the browser: back to the agent.")


@router.get(
    "/oauth/consent",
    tags=["keys"],
    responses=problem_responses(
        "unauthenticated", "forbidden", "authorization_request_invalid", "request_invalid"
    ),
)
async def oauth_consent_request(
    request: Request,
    platform: PlatformDep,
    caster: AdminCaster,
    sealed: Annotated[str, Query(alias="request", min_length=1, max_length=MAX_SEALED)],
) -> ConsentRequestView:
    """What an agent asks of you, before you approve or deny it."""
    asked = await platform.oauth.consent_request(_issuer(request, platform), sealed)
    return ConsentRequestView(**vars(asked))


@router.post(
    "/oauth/consent",
    tags=["keys"],
    responses=problem_responses(
        "unauthenticated", "forbidden", "authorization_request_invalid", *JSON_BODY_ERRORS
    ),
)
async def decide_oauth_consent(
    body: ConsentDecision, request: Request, platform: PlatformDep, caster: AdminCaster, actor: ActorDep
) -> ConsentAnswer:
    """Approve or deny an agent. Approving grants it a key of yours with the scopes, daily budget
    and expiry chosen (listed with your keys, revocable there); either way the browser goes back
    to the agent."""
    decision = Decision(body.approve, body.scopes, body.daily_cap_micros, body.expires_at)
    redirect_to = await platform.oauth.decide(
        _issuer(request, platform), body.request, caster, actor, decision
    )
    return ConsentAnswer(redirect_to=redirect_to)
