"""What a maker's spell did: its execution logs (stderr, for its maker only) and the policy
violations of its casts (for its maker and operators)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry.models import Spell
from spell_mcp.accounts.keys import Caster
from spell_mcp.database.tables import Cast, PolicyViolationRecord
from spell_mcp.errors import SpellError
from spell_mcp.rest.bodies import ExecutionLog, ExecutionLogPage, Violation, ViolationPage
from spell_mcp.rest.deps import PlatformDep, PublishCaster, ReadCaster, problem_responses
from spell_mcp.rest.pagination import (
    DEFAULT_LIMIT,
    NOT_OUR_CURSOR,
    Cursor,
    Limit,
    decode_cursor,
    decode_time_cursor,
    page,
    time_position,
)
from spell_mcp.rest.routing import StrictJSONRoute

router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)


def _before(at: Any, identity: Any, after: tuple[datetime, str] | None) -> list[ColumnElement[bool]]:
    """Newest first: the rows after the cursor's are those older, or as old with a lower id."""
    if after is None:
        return []
    return [or_(at < after[0], and_(at == after[0], identity < after[1]))]


def _spell_of(session: Session, caster: Caster, key: str, *, operators_too: bool) -> Spell:
    spell = session.get(Spell, key)
    if spell is None or not (spell.maker_id == caster.user_id or (operators_too and caster.is_operator)):
        raise SpellError("spell_not_found", f"you publish no spell {key}")
    return spell


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
    after = decode_time_cursor(cursor)

    def read(session: Session) -> list[Cast]:
        _spell_of(session, caster, key, operators_too=False)
        query = (
            select(Cast)
            .where(
                col(Cast.spell_key) == key,
                col(Cast.log).is_not(None),
                *_before(col(Cast.created_at), col(Cast.id), after),
            )
            .order_by(col(Cast.created_at).desc(), col(Cast.id).desc())
            .limit(limit + 1)
        )
        return list(session.execute(query).scalars())

    casts, next_cursor = page(
        await platform.db.read(read), limit, lambda c: time_position(c.created_at, c.id)
    )
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
    position = decode_cursor(cursor, 1)
    if position is not None and not str(position[0]).isdigit():
        raise SpellError("request_invalid", NOT_OUR_CURSOR)

    def read(session: Session) -> list[PolicyViolationRecord]:
        _spell_of(session, caster, key, operators_too=True)
        query = select(PolicyViolationRecord).where(col(PolicyViolationRecord.spell_key) == key)
        if position is not None:
            query = query.where(col(PolicyViolationRecord.id) < int(position[0]))
        query = query.order_by(col(PolicyViolationRecord.id).desc()).limit(limit + 1)
        return list(session.execute(query).scalars())

    rows, next_cursor = page(await platform.db.read(read), limit, lambda row: (str(row.id),))
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
