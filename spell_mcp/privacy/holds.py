"""Legal holds: an operator's order to keep a user's or a spell's records as they are. While one
is in force, neither retention nor erasure removes any of them. Placing and releasing one are
audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from spell_mcp import audit
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import LegalHold
from spell_mcp.errors import SpellError

TARGETS = ("user", "spell")


def held(session: Session, target_type: str) -> set[str]:
    """The ids of the users (or spells) under a hold in force."""
    query = select(col(LegalHold.target_id)).where(
        col(LegalHold.target_type) == target_type, col(LegalHold.released_at).is_(None)
    )
    return set(session.execute(query).scalars())


def place(
    session: Session, actor: audit.Actor, target_type: str, target_id: str, reason: str, now: datetime
) -> LegalHold:
    if target_type not in TARGETS:
        raise SpellError("request_invalid", f"a legal hold is on a user or a spell, not {target_type[:40]!r}")
    hold = LegalHold(
        id=f"lh_{uuid.uuid4().hex}",
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        created_at=now,
    )
    session.add(hold)
    subject = target_id if target_type == "user" else None
    audit.record(
        session,
        actor,
        "legal_hold.placed",
        target_type,
        target_id,
        subject_id=subject,
        details={"hold": hold.id},
    )
    return hold


def release(session: Session, actor: audit.Actor, hold_id: str, now: datetime) -> LegalHold:
    hold = session.get(LegalHold, hold_id)
    if hold is None or hold.released_at is not None:
        raise SpellError("not_found", f"no legal hold {hold_id[:64]} in force")
    hold.released_at = now
    subject = hold.target_id if hold.target_type == "user" else None
    audit.record(
        session,
        actor,
        "legal_hold.released",
        hold.target_type,
        hold.target_id,
        subject_id=subject,
        details={"hold": hold.id},
    )
    return hold


async def place_hold(
    db: Database, actor: audit.Actor, target_type: str, target_id: str, reason: str
) -> LegalHold:
    """Keep every record of a user or a spell until the hold is released."""
    now = datetime.now(UTC)
    return await db.write(lambda session: place(session, actor, target_type, target_id, reason, now))


async def holds_in_force(db: Database) -> list[LegalHold]:
    """The holds not released, oldest first."""
    query = select(LegalHold).where(col(LegalHold.released_at).is_(None)).order_by(col(LegalHold.created_at))
    return await db.read(lambda session: list(session.execute(query).scalars()))


async def release_hold(db: Database, actor: audit.Actor, hold_id: str) -> LegalHold:
    """Release a hold in force: retention and erasure apply again."""
    now = datetime.now(UTC)
    return await db.write(lambda session: release(session, actor, hold_id, now))
