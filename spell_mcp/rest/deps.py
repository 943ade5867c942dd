"""What every REST route shares: the platform, the authenticated caster, error documentation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Response, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from billing import usd
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.web_sessions import CSRF_HEADER, SESSION_COOKIE, browser_caster
from spell_mcp.audit import Actor
from spell_mcp.errors import CATALOG
from spell_mcp.platform import Platform
from spell_mcp.rest.bodies import Price, Problem

# What any operation that reads a JSON body may answer (spell_mcp/rest/routing.py).
JSON_BODY_ERRORS = ("request_invalid", "unsupported_media_type")


def problem_responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI descriptions of the errors a route can return."""
    responses: dict[int | str, dict[str, Any]] = {}
    if "unauthenticated" in codes:
        # Every authenticated request counts against the limits, and is refused while its owner
        # restricts processing (but for their privacy requests).
        codes = (*codes, "rate_limited", "account_restricted")
    if "forbidden" in codes:
        # Whatever a key may be refused, a secret replaced by a rotation is refused with its reason.
        codes = (*codes, "key_secret_replaced")
    for code in dict.fromkeys(codes):
        kind = CATALOG[code]
        entry = responses.setdefault(
            kind.status, {"model": Problem, "content": {"application/problem+json": {}}, "description": ""}
        )
        entry["description"] = ", ".join(filter(None, [entry["description"], f"`{code}`: {kind.title}"]))
    return responses


def public_base_url(request: Request) -> str:
    """Where clients reach this server: SPELL_PUBLIC_URL behind a proxy, else what they asked."""
    platform: Platform | None = getattr(request.app.state, "platform", None)
    configured = platform.settings.public_url if platform is not None else None
    return (configured or str(request.base_url)).rstrip("/")


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def request_platform(request: Request) -> Platform:
    """The platform, as a dependency: async, or FastAPI would run it in a worker thread (a
    thread hop on every request)."""
    return platform_of(request)


# How a caller proves who it is, declared in the OpenAPI document (so /docs can authorise
# "Try it out"); the checks themselves are below, and refusals are the catalog's.
API_KEY = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    bearerFormat="spell_sk_…",
    description="An API key (`spell users create`, or POST /v1/keys): `Authorization: Bearer spell_sk_…`.",
)
BROWSER_SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="browserSession",
    description="A browser signed in with GitHub; changes also need the `spell_csrf` cookie's value "
    "in `X-CSRF-Token`.",
)


async def current_caster(
    request: Request,
    response: Response,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(API_KEY)] = None,
    cookie: Annotated[str | None, Security(BROWSER_SESSION)] = None,
) -> Caster:
    """The authenticated caster, counted against its rate limits (429 past them)."""
    platform = platform_of(request)
    token = (credentials.credentials.strip() or None) if credentials else None
    if token is None and cookie:
        # A browser signed in with GitHub: ambient credentials, so unsafe methods need CSRF proof.
        csrf = request.headers.get(CSRF_HEADER)
        caster = await browser_caster(platform.db, cookie, request.method, csrf)
    else:
        caster = await platform.authenticate(token)
    request.state.caster = caster  # for the request's log line (spell_mcp/observability/requests.py)
    verdict = await platform.limits.check(caster)
    response.headers.update(verdict.headers())
    return caster


async def acting(request: Request, caster: Annotated[Caster, Depends(current_caster)]) -> Actor:
    """The authenticated caster as the audit trail names them: user, key, face, and a pseudonym
    of the address they came from."""
    client = request.client.host if request.client is not None else None
    return Actor(
        user_id=caster.user_id,
        key_id=caster.key_id,
        via="rest" if caster.key_id is not None else "web",
        address_hash=platform_of(request).pseudonyms.of_address(client),
    )


def requires(scope: str) -> Callable[..., Awaitable[Caster]]:
    """A dependency: the authenticated caster, whose key must carry `scope`."""

    async def scoped(caster: Annotated[Caster, Depends(current_caster)]) -> Caster:
        caster.require(scope)
        return caster

    return scoped


PlatformDep = Annotated[Platform, Depends(request_platform)]
CasterDep = Annotated[Caster, Depends(current_caster)]
ReadCaster = Annotated[Caster, Depends(requires("read"))]
CastCaster = Annotated[Caster, Depends(requires("cast"))]
PublishCaster = Annotated[Caster, Depends(requires("publish"))]
BillingCaster = Annotated[Caster, Depends(requires("billing"))]
AdminCaster = Annotated[Caster, Depends(requires("admin"))]
ActorDep = Annotated[Actor, Depends(acting)]


def price(micros: int) -> Price:
    return Price(micros=micros, usd=usd(micros))
