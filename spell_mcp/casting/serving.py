"""The version a caster is served: the castable version asked for or the latest, from memory when it
was looked up a moment ago (spell_mcp/casting/lookups.py), unless it widens what the caster
accepted (spell_mcp/catalog/pinning.py). Memory is not trusted with money: the transaction that
holds the price checks again that the version is still castable."""

from __future__ import annotations

import contextlib
from functools import partial

from sqlalchemy.exc import IntegrityError

from registry import SpellVersion, find_version
from spell_mcp.accounts.keys import Caster
from spell_mcp.casting.lookups import Lookups
from spell_mcp.catalog import pinning
from spell_mcp.database.engine import Database
from spell_mcp.errors import SpellError


class Serving:
    def __init__(self, db: Database, lookups: Lookups) -> None:
        self.db = db
        self.lookups = lookups

    async def find(self, key: str, version: str | None) -> tuple[SpellVersion, str]:
        """The castable version (the given one or the latest) and its maker, from memory when it
        was looked up a moment ago."""
        found = self.lookups.spell(key, version)
        if found is None:
            found = await self.db.read(lambda session: find_version(session, key, version))
            if found is None:
                which = f"{key} {version}" if version else key
                raise SpellError(
                    "spell_not_found", f"no castable spell {which}; list spells to see what exists"
                )
            self.lookups.remember_spell(key, version, found)
        return found

    async def served(self, caster: Caster, key: str, version: str | None) -> tuple[SpellVersion, str]:
        """The version `caster` is served and its maker: the one asked for or the latest, unless
        it widens what they accepted; then, without a version asked for, the version they know,
        and with one, `consent_required`. Their first cast of a version records it as theirs."""
        spell, maker_id = await self.find(key, version)
        accepted = await self._accepted(caster.user_id, key)
        more = pinning.widened(accepted, spell)
        if not more:
            if accepted is None or accepted.version != spell.version:
                # IntegrityError: another cast of theirs recorded their first use at this moment.
                with contextlib.suppress(IntegrityError):
                    await self.db.write(partial(pinning.record_use, caster.user_id, spell))
                self.lookups.forget_accepted(caster.user_id, key)
            return spell, maker_id
        if version is None and accepted is not None:
            try:
                return await self.find(key, accepted.version)
            except SpellError as error:
                if error.code != "spell_not_found":
                    raise
        listed = "; ".join(more)
        raise SpellError(
            "consent_required",
            f"{key} {spell.version} asks for more than you accepted: it {listed}. Accept it with "
            f"POST /v1/spells/{key}/accept (or `spell spells accept {key}`) to cast it",
            widened=more,
            version=spell.version,
        )

    async def _accepted(self, caster_id: str, key: str) -> pinning.Accepted | None:
        remembered = self.lookups.accepted(caster_id, key)
        if remembered is not None:
            return remembered[0]
        accepted = await self.db.read(partial(pinning.accepted_of, caster_id, key))
        self.lookups.remember_accepted(caster_id, key, accepted)
        return accepted
