"""What every cast looks up, kept in memory: whom an API key belongs to, and the castable version
of a spell. Each lookup is a database read and, on SQLite, a thread hop: together more than half of
a cast's own time before this cache.

Neither entry is trusted with money: the transaction that holds a cast's price checks again that
the key is still valid and the version still castable (spell_mcp/casting/transactions.py), so a
revoked key or a yanked spell never costs anyone anything. For everything else an entry may be
stale only briefly: a change made in this process forgets it at once, one made in another process
reaches it through the announcement channel (spell_mcp/catalog/announcements.py, with Redis), and every
entry expires after a few seconds in any case (a CLI on the same SQLite store, a lost message).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

from cachetools import TTLCache

from billing.budgets import Caps
from registry import SpellVersion
from spell_mcp.accounts.keys import Caster
from spell_mcp.catalog.pinning import Accepted

# How long an entry may be trusted without a word from the process that changed it.
KEY_TTL_S = 2.0
SPELL_TTL_S = 2.0
CAPS_TTL_S = 2.0
MAX_ENTRIES = 10_000

Found = tuple[SpellVersion, str]


class Lookups:
    """Used from the event loop only (the caches are not locked): the database reads that fill
    them run in worker threads and hand their answers back to be remembered here."""

    def __init__(self) -> None:
        # sha256(presented key) → (caster, the moment the key stops being valid, if it does)
        self._keys: TTLCache[str, tuple[Caster, datetime | None]] = TTLCache(MAX_ENTRIES, KEY_TTL_S)
        # (spell key, version or None for the latest) → (version, maker id)
        self._spells: TTLCache[tuple[str, str | None], Found] = TTLCache(MAX_ENTRIES, SPELL_TTL_S)
        # budget subjects → their caps, for the Redis fast path's first decision (the database,
        # which holds the price next, reads them again)
        self._caps: TTLCache[tuple[str, ...], list[Caps]] = TTLCache(MAX_ENTRIES, CAPS_TTL_S)
        # (caster id, spell key) → what they accepted of it, if anything (in a 1-tuple, so that
        # "accepted nothing" is remembered too)
        self._accepted: TTLCache[tuple[str, str], tuple[Accepted | None]] = TTLCache(MAX_ENTRIES, SPELL_TTL_S)

    # -- API keys ---------------------------------------------------------------------------------

    def caster(self, presented: str | None) -> Caster | None:
        """The caster this key was found to belong to a moment ago, if it still may be."""
        entry = self._keys.get(_fingerprint(presented)) if presented else None
        if entry is None:
            return None
        caster, valid_until = entry
        if valid_until is not None and valid_until <= datetime.now(UTC):
            return None  # expired or past its rotation grace: the database says which
        return caster

    def remember_caster(self, presented: str, caster: Caster, valid_until: datetime | None) -> None:
        self._keys[_fingerprint(presented)] = (caster, valid_until)

    def touched(self, presented: str) -> None:
        """The key's last use was just recorded: the remembered caster need not record it again."""
        fingerprint = _fingerprint(presented)
        entry = self._keys.get(fingerprint)
        if entry is not None:
            caster, valid_until = entry
            self._keys[fingerprint] = (replace(caster, last_used_stale=False), valid_until)

    def forget_key(self, key_id: str) -> None:
        """A key was revoked or rotated: every secret of it must be checked again."""
        for fingerprint in [f for f, (caster, _) in self._keys.items() if caster.key_id == key_id]:
            self._keys.pop(fingerprint, None)

    # -- what casters accepted of spells (spell_mcp/catalog/pinning.py) ----------------------------

    def accepted(self, caster_id: str, key: str) -> tuple[Accepted | None] | None:
        return self._accepted.get((caster_id, key))

    def remember_accepted(self, caster_id: str, key: str, accepted: Accepted | None) -> None:
        self._accepted[(caster_id, key)] = (accepted,)

    def forget_accepted(self, caster_id: str, key: str) -> None:
        self._accepted.pop((caster_id, key), None)

    # -- spells -----------------------------------------------------------------------------------

    def spell(self, key: str, version: str | None) -> Found | None:
        return self._spells.get((key, version))

    def remember_spell(self, key: str, version: str | None, found: Found) -> None:
        self._spells[(key, version)] = found

    def forget_spells(self) -> None:
        """The catalog changed (a publish, yank, suspension, delisting, reinstatement)."""
        self._spells.clear()

    # -- budget caps ------------------------------------------------------------------------------

    def caps(self, subjects: list[str]) -> list[Caps] | None:
        return self._caps.get(tuple(subjects))

    def remember_caps(self, subjects: list[str], caps: list[Caps]) -> None:
        self._caps[tuple(subjects)] = caps

    def forget_caps(self) -> None:
        """A budget was set or changed."""
        self._caps.clear()


def _fingerprint(presented: str) -> str:
    # The presented key is a secret: not kept as it is, even in memory.
    return hashlib.sha256(presented.encode()).hexdigest()
