"""Suspending a spell (no cast, listing or tool until reinstated) and lifting a suspension:
by an operator, or by the platform itself when a spell keeps breaking its policy
(spell_mcp/catalog/violations.py)."""

from __future__ import annotations

from functools import partial

from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry import set_status
from registry.models import Spell
from spell_mcp import audit
from spell_mcp.audit import Actor
from spell_mcp.catalog.publishing import write_or_refuse
from spell_mcp.database.engine import Database
from spell_mcp.platform import Platform


def change_status(
    key: str, status: str, actor: Actor, session: Session, *, reason: str | None = None
) -> Spell:
    """Set the spell's status ("suspended" or "active"), audited in its maker's trail too."""
    spell = set_status(session, key, status)
    action = "spell.suspended" if status == "suspended" else "spell.reinstated"
    details = {"reason": reason} if reason else {}
    audit.record(session, actor, action, "spell", key, subject_id=spell.maker_id, details=details)
    return spell


async def suspend(platform: Platform, key: str, actor: Actor) -> None:
    """Stop every cast of a spell and remove it from listings and tools, everywhere."""
    await write_or_refuse(platform.db, partial(change_status, key, "suspended", actor))
    await platform.announcer.tools_changed()


async def reinstate(platform: Platform, key: str, actor: Actor) -> None:
    """Lift a spell's suspension."""
    await write_or_refuse(platform.db, partial(change_status, key, "active", actor))
    await platform.announcer.tools_changed()


async def suspended(db: Database) -> list[Spell]:
    """The suspended spells, by key."""
    query = select(Spell).where(col(Spell.status) == "suspended").order_by(col(Spell.key))
    return await db.read(lambda session: list(session.execute(query).scalars()))
