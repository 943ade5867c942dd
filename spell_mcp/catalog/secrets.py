"""A maker's secrets for their spell: environment variables its casts may read (it must name
them in runtime.policy.env_vars), sealed at rest and given only to a cast of that spell. Their
names and dates are shown, their values never; every change is audited (without the value)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry.models import Spell
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
    await _put(platform, lambda session: own_spell(session, maker, key), name, value, actor)


async def put_for_maker(platform: Platform, key: str, name: str, value: str, actor: audit.Actor) -> None:
    """The operator's console sets (or replaces) the secret `name` of any spell, for its maker."""

    def published(session: Session) -> Spell:
        spell = session.get(Spell, key)
        if spell is None:
            raise SpellError(
                "spell_not_found",
                f"no spell {key} is published here; publish it before setting its secrets",
            )
        return spell

    await _put(platform, published, name, value, actor)


async def _put(
    platform: Platform, spell_of: Callable[[Session], Spell], name: str, value: str, actor: audit.Actor
) -> None:
    """Set a secret of the spell `spell_of` finds, audited with its maker as the subject."""
    try:
        check_env_name(name)
    except PolicyError as exc:
        raise SpellError("request_invalid", str(exc)) from None

    def write(session: Session) -> None:
        spell = spell_of(session)
        set_secret(session, platform.secrets, spell.key, name, value)
        details = {"name": name}
        audit.record(
            session, actor, "secret.set", "spell", spell.key, subject_id=spell.maker_id, details=details
        )

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


async def reseal_all(platform: Platform, actor: audit.Actor) -> int:
    """Re-seal every secret with the first of the secrets keys (a rotation); how many there are.
    Raises `cryptography.fernet.InvalidToken` if one is sealed with a key no longer given."""

    def write(session: Session) -> int:
        rows = list(session.execute(select(SpellSecret)).scalars())
        for row in rows:
            row.ciphertext = platform.secrets.reseal(row.ciphertext)
        audit.record(session, actor, "secrets.resealed", "platform", "secrets", details={"count": len(rows)})
        return len(rows)

    return await platform.db.write(write)
