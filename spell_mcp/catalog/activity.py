"""What a maker's spell did: its execution logs (what its casts wrote to stderr, for its maker
only) and the policy violations of its casts (for its maker and operators), newest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from spell_mcp.accounts.keys import Caster
from spell_mcp.catalog.makers import own_spell
from spell_mcp.database.engine import Database
from spell_mcp.database.paging import older_than
from spell_mcp.database.tables import Cast, PolicyViolationRecord


async def execution_logs(
    db: Database, maker: Caster, key: str, limit: int, after: tuple[datetime, str] | None = None
) -> list[Cast]:
    """Up to `limit` casts of the maker's spell that wrote to stderr, after the position (time,
    id) of the last one of the previous page."""

    def read(session: Session) -> list[Cast]:
        own_spell(session, maker, key)
        query = (
            select(Cast)
            .where(
                col(Cast.spell_key) == key,
                col(Cast.log).is_not(None),
                *older_than(col(Cast.created_at), col(Cast.id), after),
            )
            .order_by(col(Cast.created_at).desc(), col(Cast.id).desc())
            .limit(limit)
        )
        return list(session.execute(query).scalars())

    return await db.read(read)


async def violations_of(
    db: Database, caster: Caster, key: str, limit: int, before: int | None = None
) -> list[PolicyViolationRecord]:
    """Up to `limit` violations by casts of the spell, older than `before` (an id): the spell's
    maker's to read, and operators'."""

    def read(session: Session) -> list[PolicyViolationRecord]:
        own_spell(session, caster, key, operators_too=True)
        query = select(PolicyViolationRecord).where(col(PolicyViolationRecord.spell_key) == key)
        if before is not None:
            query = query.where(col(PolicyViolationRecord.id) < before)
        query = query.order_by(col(PolicyViolationRecord.id).desc()).limit(limit)
        return list(session.execute(query).scalars())

    return await db.read(read)
