"""A spell's versions as makers and casters read them (every version, one version, the castable
one, and a version's package, bundle and README); a maker withdrawing (yanking) a version of
their spell or restoring it, audited and announced to every connected MCP client; and a caster
accepting what a version may touch and cost (spell_mcp/catalog/pinning.py), audited."""

from __future__ import annotations

import anyio.to_thread
from sqlalchemy.orm import Session

from registry import SpellVersion, find_version, list_latest, versions_of, yank
from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.catalog import pinning
from spell_mcp.catalog.publishing import write_or_refuse
from spell_mcp.catalog.readme import readme
from spell_mcp.database.engine import Database
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform


async def every_version(db: Database, key: str) -> list[SpellVersion]:
    """Every version of a spell, newest first, yanked ones included."""
    versions = await db.read(lambda session: versions_of(session, key))
    if not versions:
        raise SpellError("spell_not_found", f"no spell {key}")
    return versions


async def one_version(db: Database, key: str, number: str) -> SpellVersion:
    """Version `number` of a spell, yanked or not."""
    for candidate in await every_version(db, key):
        if candidate.version == number:
            return candidate
    raise SpellError("spell_not_found", f"{key} has no version {number}")


async def castable(db: Database, key: str, number: str | None = None) -> SpellVersion:
    """The latest (or the given) version of a spell that can be cast."""
    found = await db.read(lambda session: find_version(session, key, number))
    if found is None:
        raise SpellError("spell_not_found", f"no castable spell {key}")
    return found[0]


async def castable_spells(
    db: Database, *, q: str | None = None, tag: str | None = None, category: str | None = None
) -> list[SpellVersion]:
    """The latest castable version of every spell, by key, matching every filter given."""
    return await db.read(lambda session: list_latest(session, q=q, tag=tag, category=category))


async def castable_versions(db: Database, key: str) -> tuple[list[SpellVersion], str | None]:
    """The castable versions of a spell, newest first, and which is its latest (none when the
    spell cannot be cast at all)."""

    def read(session: Session) -> tuple[list[SpellVersion], str | None]:
        latest = find_version(session, key)
        if latest is None:
            return [], None
        versions = [spell for spell in versions_of(session, key) if not spell.yanked and not spell.delisted]
        return versions, latest[0].version

    return await db.read(read)


async def package(platform: Platform, key: str, number: str) -> bytes:
    """The exact package bytes a version was published as."""
    version = await one_version(platform.db, key, number)
    return await anyio.to_thread.run_sync(platform.blobs.get, version.package_digest)


async def bundle(platform: Platform, key: str, number: str) -> bytes:
    """The Sigstore bundle a version was published with."""
    version = await one_version(platform.db, key, number)
    if version.bundle_digest is None:
        raise SpellError("not_found", f"{key} {number} is unsigned: it has no bundle")
    return await anyio.to_thread.run_sync(platform.blobs.get, version.bundle_digest)


async def readme_of(platform: Platform, key: str) -> str:
    """The README of the spell's latest castable version, as Markdown."""
    version = await castable(platform.db, key)
    return await anyio.to_thread.run_sync(readme, platform.casts.trees, version)


async def withdraw(
    platform: Platform, maker: Caster, key: str, number: str, actor: audit.Actor
) -> SpellVersion:
    """The maker withdraws a version of their spell: it can no longer be cast, nor be the latest."""
    return await _yank(platform, maker, key, number, actor, yanked=True)


async def restore(
    platform: Platform, maker: Caster, key: str, number: str, actor: audit.Actor
) -> SpellVersion:
    """The maker restores a version they withdrew."""
    return await _yank(platform, maker, key, number, actor, yanked=False)


async def _yank(
    platform: Platform, maker: Caster, key: str, number: str, actor: audit.Actor, *, yanked: bool
) -> SpellVersion:
    action = "spell.yanked" if yanked else "spell.unyanked"

    def work(session: Session) -> SpellVersion:
        changed = yank(session, key, number, maker.user_id, yanked=yanked)
        audit.record(session, actor, action, "spell", key, details={"version": number})
        return changed

    changed = await write_or_refuse(platform.db, work)
    await platform.announcer.tools_changed()
    return changed


async def accept(
    platform: Platform, caster_id: str, key: str, number: str | None, actor: audit.Actor
) -> tuple[pinning.Accepted, list[str]]:
    """The caster accepts the latest (or the given) castable version of a spell: their casts that
    name no version run it from now on. Returns the acceptance and what it widened."""

    def work(session: Session) -> tuple[pinning.Accepted, list[str]]:
        found = find_version(session, key, number)
        if found is None:
            raise SpellError("spell_not_found", f"no castable spell {key} {number or ''}".strip())
        spell = found[0]
        accepted, more = pinning.accept(caster_id, spell, session)
        details = {"version": spell.version, "widened": more}
        audit.record(session, actor, "spell.accepted", "spell", key, details=details)
        return accepted, more

    accepted = await platform.db.write(work)
    platform.lookups.forget_accepted(caster_id, key)
    return accepted
