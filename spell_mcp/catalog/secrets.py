"""A maker's secrets for their spell: environment variables its casts may read (it must name
them in runtime.policy.env_vars), sealed at rest and given only to a cast of that spell. Their
names and dates are shown, their values never; every change is audited (without the value)."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import col, select

from runtime.policy import PolicyError, check_env_name
from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.secrets import set_secret
from spell_mcp.catalog.makers import own_spell
from spell_mcp.database.tables import SpellSecret
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform


async def secrets_of(platform: Platform, maker: Caster, key: str) -> list[SpellSecret]:
    """The secrets of the maker's spell (sealed: only their names and dates are for showing)."""

    def read(session: Session) -> list[SpellSecret]:
        own_spell(session, maker, key)
        return list(session.execute(select(SpellSecret).where(col(SpellSecret.spell_key) == key)).scalars())

    return await platform.db.read(read)


async def put(platform: Platform, maker: Caster, key: str, name: str, value: str, actor: audit.Actor) -> None:
    """Set (or replace) the secret `name` of the maker's spell."""
    try:
        check_env_name(name)
    except PolicyError as exc:
        raise SpellError("request_invalid", str(exc)) from None

    def write(session: Session) -> None:
        own_spell(session, maker, key)
        set_secret(session, platform.secrets, key, name, value)
        audit.record(session, actor, "secret.set", "spell", key, details={"name": name})

    await platform.db.write(write)


async def remove(platform: Platform, maker: Caster, key: str, name: str, actor: audit.Actor) -> None:
    """Remove a secret: later casts of the spell run without it."""

    def write(session: Session) -> None:
        own_spell(session, maker, key)
        secret = session.get(SpellSecret, (key, name))
        if secret is None:
            raise SpellError("not_found", f"{key} has no secret {name[:80]}")
        session.delete(secret)
        audit.record(session, actor, "secret.removed", "spell", key, details={"name": name})

    await platform.db.write(write)
