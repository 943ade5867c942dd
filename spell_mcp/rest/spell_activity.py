"""What a maker's spell did: its execution logs (stderr, for its maker only) and the policy
violations of its casts (for its maker and operators)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from spell_mcp.catalog import activity
from spell_mcp.rest.deps import PlatformDep, PublishCaster, ReadCaster, problem_responses
from spell_mcp.rest.pagination import (
    DEFAULT_LIMIT,
    Cursor,
    Limit,
    decode_id_cursor,
    decode_time_cursor,
    id_position,
    page,
    time_position,
)
from spell_mcp.rest.routing import StrictJSONRoute


class ExecutionLog(BaseModel):
    """What one cast of your spell wrote to stderr (its first 16 KiB). Who cast it, and with
    what input, is not shown."""

    cast_id: str
    version: str
    status: Literal["running", "succeeded", "failed"]
    error_code: str | None
    at: datetime
    log: str


class ExecutionLogPage(BaseModel):
    items: list[ExecutionLog]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class Violation(BaseModel):
    """Something a cast of the spell tried that its policy forbids."""

    cast_id: str
    version: str
    kind: Literal["domain", "private_address", "ip_literal", "scheme", "request_limit"]
    detail: str
    at: datetime


class ViolationPage(BaseModel):
    items: list[Violation]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)


@router.get(
    "/makers/me/spells/{key}/logs",
    tags=["publishing"],
    responses=problem_responses("unauthenticated", "forbidden", "spell_not_found", "request_invalid"),
)
async def execution_logs(
    key: str,
    platform: PlatformDep,
    caster: PublishCaster,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ExecutionLogPage:
    """What your spell wrote to stderr, cast by cast, newest first (casts that wrote nothing are
    left out). Kept 90 days."""
    found = await activity.execution_logs(platform.db, caster, key, limit + 1, decode_time_cursor(cursor))
    casts, next_cursor = page(found, limit, lambda c: time_position(c.created_at, c.id))
    return ExecutionLogPage(
        items=[
            ExecutionLog(
                cast_id=cast.id,
                version=cast.spell_version,
                status=cast.status,
                error_code=cast.error_code,
                at=cast.created_at,
                log=cast.log or "",
            )
            for cast in casts
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/spells/{key}/violations",
    tags=["publishing"],
    responses=problem_responses("unauthenticated", "forbidden", "spell_not_found", "request_invalid"),
)
async def violations(
    key: str, platform: PlatformDep, caster: ReadCaster, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> ViolationPage:
    """Your spell's casts that tried what its policy forbids, newest first (operators: any
    spell's). Enough of them within SPELL_VIOLATION_WINDOW_H suspend the spell."""
    found = await activity.violations_of(platform.db, caster, key, limit + 1, decode_id_cursor(cursor))
    rows, next_cursor = page(found, limit, lambda row: id_position(row.id))
    return ViolationPage(
        items=[
            Violation(
                cast_id=row.cast_id,
                version=row.spell_version,
                kind=row.kind,
                detail=row.detail,
                at=row.created_at,
            )
            for row in rows
        ],
        next_cursor=next_cursor,
    )
