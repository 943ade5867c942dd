"""API keys over REST: create (shown once), list, rotate, revoke."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from spell_mcp.accounts import keys
from spell_mcp.accounts.keys import ApiKey
from spell_mcp.rest.billing import BudgetCaps
from spell_mcp.rest.bodies import Moment, RequestBody
from spell_mcp.rest.deps import JSON_BODY_ERRORS, ActorDep, AdminCaster, PlatformDep, problem_responses
from spell_mcp.rest.idempotency import IDEMPOTENCY_ERRORS, IdempotencyKey, idempotently
from spell_mcp.rest.pagination import DEFAULT_LIMIT, Cursor, Limit, page_after
from spell_mcp.rest.routing import StrictJSONRoute


class KeyRequest(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(
        default=["cast", "read"], description="Some of cast, publish, read, billing, admin; at most your own."
    )
    expires_at: Moment | None = Field(None, description="When the key stops working (with a time zone).")
    budget: BudgetCaps | None = Field(None, description="Caps for this key alone.")


class KeyInfo(BaseModel):
    id: str
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    rotation_grace_until: datetime | None = Field(description="The previous secret works until then.")
    oauth_client_id: str | None = Field(
        None,
        description="The agent this key was granted to when you signed it in with OAuth (it holds tokens "
        "for the key, never its secret); null for a key you made.",
    )


class NewKey(KeyInfo):
    key: str = Field(description="The secret key, shown this once: store it now.")


class KeyList(BaseModel):
    items: list[KeyInfo]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)
ROTATION_GRACE_S = 24 * 3600
MAX_ROTATION_GRACE_S = 7 * 24 * 3600


def info(key: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=key.id,
        name=key.name,
        scopes=key.scopes,
        created_at=key.created_at,
        expires_at=key.expires_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
        rotation_grace_until=key.previous_valid_until,
        oauth_client_id=key.oauth_client_id,
    )


@router.post(
    "/keys",
    response_model=NewKey,
    tags=["keys"],
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses("unauthenticated", "forbidden", *JSON_BODY_ERRORS, *IDEMPOTENCY_ERRORS),
)
async def new_key(
    body: KeyRequest,
    platform: PlatformDep,
    caster: AdminCaster,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A new key, e.g. for an agent: narrower scopes, an expiry, a budget of its own."""
    scopes = keys.scopes_for_new_key(caster, body.scopes, body.expires_at)
    budget = body.budget.model_dump() if body.budget is not None else None

    async def run() -> NewKey:
        key, secret = await keys.new_key(
            platform.db, caster, actor, body.name, scopes, body.expires_at, budget
        )
        return NewKey(**info(key).model_dump(), key=secret)

    request = ("POST", "/v1/keys", body.model_dump(mode="json"))
    return await idempotently(platform, caster, idempotency_key, request, run, status=201, secret=True)


@router.get(
    "/keys", tags=["keys"], responses=problem_responses("unauthenticated", "forbidden", "request_invalid")
)
async def list_keys(
    platform: PlatformDep, caster: AdminCaster, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> KeyList:
    """Your keys (never their secrets), newest first."""
    mine = await keys.keys_of(platform.db, caster.user_id)
    shown, next_cursor = page_after(mine, limit, cursor, lambda key: key.id)
    return KeyList(items=[info(key) for key in shown], next_cursor=next_cursor)


@router.post(
    "/keys/{key_id}/rotate",
    response_model=NewKey,
    tags=["keys"],
    responses=problem_responses(
        "unauthenticated", "forbidden", "not_found", "request_invalid", *IDEMPOTENCY_ERRORS
    ),
)
async def rotate(
    key_id: str,
    platform: PlatformDep,
    caster: AdminCaster,
    actor: ActorDep,
    grace_s: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_ROTATION_GRACE_S,
            description="How long the old secret keeps working, in seconds: 0 ends it at once "
            "(a leaked key); the default gives agents a day to pick up the new one.",
        ),
    ] = ROTATION_GRACE_S,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A new secret for the key; the old one keeps working for `grace_s` (24 hours unless told)."""

    async def run() -> NewKey:
        grace = timedelta(seconds=grace_s)
        key, secret = await keys.rotate(platform.db, platform.announcer, caster, key_id, grace, actor)
        return NewKey(**info(key).model_dump(), key=secret)

    request = ("POST", f"/v1/keys/{key_id}/rotate", {"grace_s": grace_s})
    return await idempotently(platform, caster, idempotency_key, request, run, secret=True)


@router.delete(
    "/keys/{key_id}",
    tags=["keys"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses("unauthenticated", "forbidden", "not_found"),
)
async def revoke(key_id: str, platform: PlatformDep, caster: AdminCaster, actor: ActorDep) -> None:
    """Revoke a key at once, on every server process and open MCP session. (Server processes
    that share a store without Redis cannot tell each other: there a revoked key is refused any
    cast at once, anything else within two seconds.)"""
    await keys.revoke(platform.db, platform.announcer, caster, key_id, actor)
