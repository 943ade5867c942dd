"""Namespaces of spell keys: the first maker to publish a key in one owns it (registry.catalog,
`claim_namespace`), and only an operator gives it to another maker."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry import transfer_namespace
from spell_mcp import audit
from spell_mcp.audit import Actor
from spell_mcp.catalog.publishing import write_or_refuse
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import User
from spell_mcp.errors import SpellError


def _transfer(name: str, owner_id: str, actor: Actor, session: Session) -> str | None:
    user = session.get(User, owner_id)
    if user is None or user.status == "erased":
        raise SpellError("not_found", f"there is no user {owner_id[:80]}")
    previous = transfer_namespace(session, name, owner_id)
    details = {"from": previous, "to": owner_id}
    audit.record(
        session, actor, "namespace.transferred", "namespace", name, subject_id=owner_id, details=details
    )
    return previous


async def transfer(db: Database, name: str, owner_id: str, actor: Actor) -> str | None:
    """Give the namespace `name` to the user `owner_id` (an operator's decision, audited): new keys
    in it are theirs alone from now on; spells already published in it stay with their makers.
    Returns its previous owner (None when it had none)."""
    return await write_or_refuse(db, lambda session: _transfer(name, owner_id, actor, session))
