"""What a maker sees of their own: their spells whatever their state, the notifications about
them (e.g. a new vulnerability in a dependency), and a spell of theirs by key."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry import MakerNotification
from registry.models import Spell
from spell_mcp.accounts.keys import Caster
from spell_mcp.database.engine import Database
from spell_mcp.errors import SpellError


def own_spell(session: Session, maker: Caster, key: str, *, operators_too: bool = False) -> Spell:
    """The spell `key`, if `maker` publishes it (or, `operators_too`, is an operator)."""
    spell = session.get(Spell, key)
    if spell is None or not (spell.maker_id == maker.user_id or (operators_too and maker.is_operator)):
        raise SpellError("spell_not_found", f"you publish no spell {key}")
    return spell


async def spells_of(db: Database, maker_id: str) -> list[Spell]:
    """The spells a maker publishes, by key."""
    query = select(Spell).where(col(Spell.maker_id) == maker_id).order_by(col(Spell.key))
    return await db.read(lambda session: list(session.execute(query).scalars()))


async def notifications_of(
    db: Database, maker_id: str, limit: int, before: int | None = None
) -> list[MakerNotification]:
    """A maker's notifications, newest first: at most `limit`, older than `before` (an id)."""
    query = select(MakerNotification).where(col(MakerNotification.maker_id) == maker_id)
    if before is not None:
        query = query.where(col(MakerNotification.id) < before)
    query = query.order_by(col(MakerNotification.id).desc()).limit(limit)
    return await db.read(lambda session: list(session.execute(query).scalars()))
