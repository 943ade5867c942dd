"""Signing in with GitHub, signing out, and who you are (spell_mcp/accounts/web_sessions.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from spell_mcp.accounts import web_sessions
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.users import account_of
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform
from spell_mcp.rest.bodies import RequestBody
from spell_mcp.rest.deps import (
    JSON_BODY_ERRORS,
    ActorDep,
    CasterDep,
    PlatformDep,
    problem_responses,
    public_base_url,
)
from spell_mcp.rest.routing import StrictJSONRoute


class Me(BaseModel):
    id: str
    name: str
    email: str | None = Field(None, description="Where the platform may write to you, if you gave it.")
    is_operator: bool
    github_id: int | None = Field(description="The GitHub account that signs in as you, if any.")
    via: Literal["api_key", "session"] = Field(description="How this request was authenticated.")
    key_id: str | None
    scopes: list[str]


class KeySignIn(RequestBody):
    api_key: str = Field(
        min_length=1, max_length=200, description="Your first API key (with the admin scope)."
    )


router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)
CALLBACK_PATH = "/v1/auth/github/callback"
# Where a browser lands once signed in: the dashboard, or the API docs where it is not served.
SIGNED_IN_PATH = "/docs"


def _callback_url(request: Request) -> str:
    return f"{public_base_url(request)}{CALLBACK_PATH}"


def _secure(request: Request) -> bool:
    return public_base_url(request).startswith("https://")


@router.get(
    "/auth/github",
    tags=["users"],
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses={
        302: {"description": "To GitHub's sign-in page."},
        **problem_responses("not_found", "request_invalid"),
    },
)
async def sign_in_with_github(
    request: Request,
    platform: PlatformDep,
    then: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="A path on this site to go on to once signed in (else the dashboard).",
        ),
    ] = None,
) -> RedirectResponse:
    """Start signing in with GitHub (a browser follows the redirect)."""
    if not web_sessions.enabled(platform.settings):
        raise SpellError("not_found", "signing in with GitHub is not configured on this platform")
    url, flow = web_sessions.start(platform.settings, platform.secrets, _callback_url(request), then)
    response = RedirectResponse(url, status_code=status.HTTP_302_FOUND)
    response.set_cookie(
        web_sessions.FLOW_COOKIE,
        flow,
        max_age=web_sessions.FLOW_MAX_AGE_S,
        path="/v1/auth/github",
        httponly=True,
        secure=_secure(request),
        samesite="lax",
    )
    return response


@router.get(
    "/auth/github/callback",
    tags=["users"],
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses={
        303: {"description": "Signed in: to the dashboard (or the API docs without it)."},
        **problem_responses("sign_in_failed", "not_found"),
    },
)
async def github_callback(
    request: Request,
    platform: PlatformDep,
    code: Annotated[str | None, Query(max_length=500)] = None,
    state: Annotated[str | None, Query(max_length=500)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Where GitHub sends the browser back: finishes the sign-in and sets the session cookies."""
    if not web_sessions.enabled(platform.settings):
        raise SpellError("not_found", "signing in with GitHub is not configured on this platform")
    if error or not code or not state:
        raise SpellError("sign_in_failed", "GitHub did not sign you in; start again at /v1/auth/github")
    account, then = await web_sessions.finish(
        platform.settings,
        platform.secrets,
        _callback_url(request),
        request.cookies.get(web_sessions.FLOW_COOKIE),
        code,
        state,
    )
    lifetime = timedelta(days=platform.settings.session_days)
    address = platform.pseudonyms.of_address(request.client.host if request.client else None)
    opened = await web_sessions.sign_in_with_github(platform.db, account, lifetime, address)
    landing = then or ("/" if platform.settings.serves_dashboard else SIGNED_IN_PATH)
    response = RedirectResponse(landing, status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(web_sessions.FLOW_COOKIE, path="/v1/auth/github")
    _set_session_cookies(request, response, opened, lifetime)
    return response


def _set_session_cookies(
    request: Request, response: Response, opened: web_sessions.NewSession, lifetime: timedelta
) -> None:
    secure, max_age = _secure(request), int(lifetime.total_seconds())
    response.set_cookie(
        web_sessions.SESSION_COOKIE,
        opened.secret,
        max_age=max_age,
        httponly=True,
        secure=secure,
        samesite="lax",
    )
    # Readable by the page, which sends it back in X-CSRF-Token.
    response.set_cookie(
        web_sessions.CSRF_COOKIE,
        opened.csrf_token,
        max_age=max_age,
        httponly=False,
        secure=secure,
        samesite="lax",
    )


@router.post(
    "/auth/key",
    tags=["users"],
    responses=problem_responses("unauthenticated", "forbidden", *JSON_BODY_ERRORS),
)
async def sign_in_with_key(
    body: KeySignIn, request: Request, response: Response, platform: PlatformDep
) -> Me:
    """A browser signs in with an API key (where GitHub sign-in is not set up): the key's owner
    gets a session cookie. Only a key that may do everything (a caster's first key, with the
    admin scope) opens one, so a narrow key handed to an agent cannot become a full session."""
    caster = await platform.authenticate(body.api_key)
    lifetime = timedelta(days=platform.settings.session_days)
    address = platform.pseudonyms.of_address(request.client.host if request.client else None)
    opened = await web_sessions.sign_in_with_key(platform.db, caster, lifetime, address)
    _set_session_cookies(request, response, opened, lifetime)
    return await _me(platform, Caster(caster.user_id, None, caster.is_operator))


@router.post(
    "/auth/logout",
    tags=["users"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses("unauthenticated", "csrf_failed"),
)
async def sign_out(request: Request, platform: PlatformDep, caster: CasterDep, actor: ActorDep) -> Response:
    """End this browser's session (with its CSRF token, like any change)."""
    cookie = request.cookies.get(web_sessions.SESSION_COOKIE)
    if cookie:
        await web_sessions.sign_out(platform.db, cookie, actor)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(web_sessions.SESSION_COOKIE)
    response.delete_cookie(web_sessions.CSRF_COOKIE)
    return response


@router.get("/users/me", tags=["users"], responses=problem_responses("unauthenticated"))
async def me(platform: PlatformDep, caster: CasterDep) -> Me:
    """Who the request is authenticated as, and with what."""
    return await _me(platform, caster)


async def _me(platform: Platform, caster: Caster) -> Me:
    user = await account_of(platform.db, caster.user_id)
    return Me(
        id=user.id,
        name=user.name,
        email=user.email,
        is_operator=user.is_operator,
        github_id=user.github_id,
        via="api_key" if caster.key_id else "session",
        key_id=caster.key_id,
        scopes=sorted(caster.scopes),
    )
