"""API keys over REST: create (shown once), list, rotate, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing import Budgets
from spell_mcp import audit
from spell_mcp.accounts.keys import SCOPES, Caster, create_key, rotate_key
from spell_mcp.database.tables import ApiKey
from spell_mcp.errors import SpellError
from spell_mcp.rest.bodies import KeyInfo, KeyList, KeyRequest, NewKey
from spell_mcp.rest.deps import JSON_BODY_ERRORS, ActorDep, AdminCaster, PlatformDep, problem_responses
from spell_mcp.rest.idempotency import IDEMPOTENCY_ERRORS, IdempotencyKey, idempotently
from spell_mcp.rest.pagination import DEFAULT_LIMIT, Cursor, Limit, page_after
from spell_mcp.rest.routing import StrictJSONRoute

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
    )


def own_key(session: Session, caster: Caster, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != caster.user_id:
        raise SpellError("not_found", f"you have no API key {key_id}")
    return key


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
    wanted = set(body.scopes)
    if unknown := sorted(wanted - set(SCOPES)):
        raise SpellError(
            "request_invalid",
            f"no such scope: {', '.join(unknown)[:200]}; scopes are {', '.join(sorted(SCOPES))}",
        )
    if not wanted <= caster.scopes:
        raise SpellError(
            "forbidden",
            f"a key cannot grant scopes its maker lacks: {', '.join(sorted(wanted - caster.scopes))}",
        )
    if body.expires_at is not None and (
        body.expires_at.tzinfo is None or body.expires_at <= datetime.now(UTC)
    ):
        raise SpellError("request_invalid", "expires_at must be in the future, with a time zone")

    def create(session: Session) -> NewKey:
        secret = create_key(session, caster.user_id, body.name, tuple(sorted(wanted)), body.expires_at)
        key = own_key(session, caster, secret.split("_")[2])
        if body.budget is not None:
            Budgets(session).set(f"key:{key.id}", **body.budget.model_dump())
        details = {"scopes": key.scopes, "budget": body.budget is not None}
        audit.record(session, actor, "key.created", "key", key.id, details=details)
        return NewKey(**info(key).model_dump(), key=secret)

    async def run() -> NewKey:
        return await platform.db.write(create)

    request = ("POST", "/v1/keys", body.model_dump(mode="json"))
    return await idempotently(platform, caster, idempotency_key, request, run, status=201, secret=True)


@router.get(
    "/keys", tags=["keys"], responses=problem_responses("unauthenticated", "forbidden", "request_invalid")
)
async def list_keys(
    platform: PlatformDep, caster: AdminCaster, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> KeyList:
    """Your keys (never their secrets), newest first."""
    query = (
        select(ApiKey)
        .where(col(ApiKey.user_id) == caster.user_id)
        .order_by(col(ApiKey.created_at).desc(), col(ApiKey.id).desc())
    )
    keys = await platform.db.read(lambda session: list(session.execute(query).scalars()))
    shown, next_cursor = page_after(keys, limit, cursor, lambda key: key.id)
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

    def work(session: Session) -> NewKey:
        key = own_key(session, caster, key_id)
        if key.revoked_at is not None:
            raise SpellError("not_found", f"API key {key_id} is revoked")
        secret = rotate_key(session, key, timedelta(seconds=grace_s))
        audit.record(session, actor, "key.rotated", "key", key.id, details={"grace_s": grace_s})
        return NewKey(**info(key).model_dump(), key=secret)

    async def run() -> NewKey:
        rotated = await platform.db.write(work)
        await platform.announcer.key_changed(key_id)
        return rotated

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

    def work(session: Session) -> None:
        key = own_key(session, caster, key_id)
        if key.revoked_at is None:
            key.revoked_at = datetime.now(UTC)
            audit.record(session, actor, "key.revoked", "key", key.id)

    await platform.db.write(work)
    await platform.announcer.key_changed(key_id)
