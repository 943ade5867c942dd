"""The audit trail over REST: one's own, and everyone's for operators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from spell_mcp.audit.reading import AuditEvent, Which, read_trail
from spell_mcp.errors import SpellError
from spell_mcp.rest.deps import AdminCaster, PlatformDep, problem_responses
from spell_mcp.rest.pagination import DEFAULT_LIMIT, Cursor, Limit, decode_time_cursor, page, time_position
from spell_mcp.rest.routing import StrictJSONRoute


class AuditEntry(BaseModel):
    """One action in the audit trail."""

    id: str
    at: datetime
    action: str = Field(description="What was done, e.g. `key.revoked` (docs/operations.md lists them).")
    actor_id: str | None = Field(description="The user who acted; null when the platform itself did.")
    actor_key_id: str | None = Field(description="The API key they acted with, if any.")
    via: Literal["rest", "web", "mcp", "cli", "system"]
    target_type: str
    target_id: str
    subject_id: str | None = Field(description="The user whose account the target belongs to.")
    address_hash: str | None = Field(
        description="A keyed hash of the client's IP address: equal for equal addresses, not reversible."
    )
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)


def entry(event: AuditEvent) -> AuditEntry:
    return AuditEntry(
        id=event.id,
        at=event.created_at,
        action=event.action,
        actor_id=event.actor_id,
        actor_key_id=event.actor_key_id,
        via=event.via,
        target_type=event.target_type,
        target_id=event.target_id,
        subject_id=event.subject_id,
        address_hash=event.address_hash,
        details=event.details,
    )


async def _page(platform: PlatformDep, which: Which, limit: int, cursor: str | None) -> AuditPage:
    after = decode_time_cursor(cursor)
    found = await read_trail(platform.db, which, limit=limit + 1, after=after)
    shown, next_cursor = page(found, limit, lambda event: time_position(event.created_at, event.id))
    return AuditPage(items=[entry(event) for event in shown], next_cursor=next_cursor)


@router.get(
    "/users/me/audit",
    tags=["users"],
    responses=problem_responses("unauthenticated", "forbidden", "request_invalid"),
)
async def my_audit_trail(
    platform: PlatformDep, caster: AdminCaster, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> AuditPage:
    """What you did, and what was done to your account, keys and spells, newest first."""
    return await _page(platform, Which(involving=caster.user_id), limit, cursor)


@router.get(
    "/admin/audit",
    tags=["operations"],
    responses=problem_responses("unauthenticated", "forbidden", "request_invalid"),
)
async def audit_trail(
    platform: PlatformDep,
    caster: AdminCaster,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    actor: Annotated[str | None, Query(max_length=64, description="Only what this user did.")] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="Only this action, e.g. key.revoked.")
    ] = None,
    target_type: Annotated[str | None, Query(max_length=32)] = None,
    target_id: Annotated[
        str | None, Query(max_length=255, description="With target_type: one target.")
    ] = None,
) -> AuditPage:
    """Operator: every audited action on the platform, newest first."""
    if not caster.is_operator:
        raise SpellError("forbidden", "only the platform's operators read the whole audit trail")
    if (target_type is None) != (target_id is None):
        raise SpellError("request_invalid", "give target_type and target_id together")
    target = (target_type, target_id) if target_type is not None and target_id is not None else None
    return await _page(platform, Which(actor_id=actor, action=action, target=target), limit, cursor)
