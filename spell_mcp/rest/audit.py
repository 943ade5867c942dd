"""The audit trail over REST: one's own, and everyone's for operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from spell_mcp.audit.reading import Which, events
from spell_mcp.database.tables import AuditEvent
from spell_mcp.errors import SpellError
from spell_mcp.rest.bodies import AuditEntry, AuditPage
from spell_mcp.rest.deps import AdminCaster, PlatformDep, problem_responses
from spell_mcp.rest.pagination import DEFAULT_LIMIT, Cursor, Limit, decode_time_cursor, page, time_position
from spell_mcp.rest.routing import StrictJSONRoute

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
    found = await platform.db.read(lambda session: events(session, which, limit=limit + 1, after=after))
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
