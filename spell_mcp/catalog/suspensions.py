"""Suspending a spell (no cast, listing or tool until reinstated) and lifting a suspension:
by an operator, or by the platform itself when a spell keeps breaking its policy."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry import set_status
from registry.models import Spell
from spell_mcp import audit
from spell_mcp.audit import Actor


def change_status(
    key: str, status: str, actor: Actor, session: Session, *, reason: str | None = None
) -> Spell:
    """Set the spell's status ("suspended" or "active"), audited in its maker's trail too."""
    spell = set_status(session, key, status)
    action = "spell.suspended" if status == "suspended" else "spell.reinstated"
    details = {"reason": reason} if reason else {}
    audit.record(session, actor, action, "spell", key, subject_id=spell.maker_id, details=details)
    return spell
