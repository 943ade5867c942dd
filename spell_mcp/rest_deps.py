"""What every REST route shares: the platform, the authenticated caster, error documentation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request

from spell_mcp.api_models import Price, Problem
from spell_mcp.auth import Caster, authenticate, bearer_token
from spell_mcp.casting import usd
from spell_mcp.errors import CATALOG
from spell_mcp.platform import Platform


def problem_responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI descriptions of the errors a route can return."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        kind = CATALOG[code]
        entry = responses.setdefault(
            kind.status, {"model": Problem, "content": {"application/problem+json": {}}, "description": ""}
        )
        entry["description"] = ", ".join(filter(None, [entry["description"], f"`{code}`: {kind.title}"]))
    return responses


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def current_caster(
    request: Request, authorization: Annotated[str | None, Header(include_in_schema=False)] = None
) -> Caster:
    token = bearer_token(authorization)
    return await platform_of(request).db.read(lambda session: authenticate(session, token))


PlatformDep = Annotated[Platform, Depends(platform_of)]
CasterDep = Annotated[Caster, Depends(current_caster)]


def price(micros: int) -> Price:
    return Price(micros=micros, usd=usd(micros))
