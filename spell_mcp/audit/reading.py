"""Reading the audit trail, newest first, a page at a time (keyset paging: a page never repeats
or skips an event when others are recorded meanwhile)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from spell_mcp.database.engine import Database
from spell_mcp.database.paging import older_than
from spell_mcp.database.tables import AuditEvent as AuditEvent  # what the trail is read as


@dataclass(frozen=True, slots=True)
class Which:
    """Which events: `involving` a user (done by them, or to something of theirs), done by
    `actor_id`, of one `action`, or on one `target` (type, id). None: any."""

    involving: str | None = None
    actor_id: str | None = None
    action: str | None = None
    target: tuple[str, str] | None = None


def events(
    session: Session, which: Which, *, limit: int, after: tuple[datetime, str] | None = None
) -> list[AuditEvent]:
    """Up to `limit` events, newest first, after the position (time, id) of the last event of
    the previous page."""
    involving, actor_id, action, target = which.involving, which.actor_id, which.action, which.target
    conditions: list[ColumnElement[bool]] = []
    if involving is not None:
        conditions.append(or_(col(AuditEvent.actor_id) == involving, col(AuditEvent.subject_id) == involving))
    if actor_id is not None:
        conditions.append(col(AuditEvent.actor_id) == actor_id)
    if action is not None:
        conditions.append(col(AuditEvent.action) == action)
    if target is not None:
        conditions.append(col(AuditEvent.target_type) == target[0])
        conditions.append(col(AuditEvent.target_id) == target[1])
    conditions += older_than(col(AuditEvent.created_at), col(AuditEvent.id), after)
    query = (
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.execute(query).scalars())


async def read_trail(
    db: Database, which: Which, *, limit: int, after: tuple[datetime, str] | None = None
) -> list[AuditEvent]:
    """`events`, in a transaction of its own."""
    return await db.read(lambda session: events(session, which, limit=limit, after=after))
