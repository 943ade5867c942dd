"""Capability pinning: a caster who has used a spell keeps being served the version they know
while a newer one asks for more (a new domain, secret or file grant, or a higher price), until
they accept it. A version that keeps or narrows what they accepted is served as it comes.

The first cast of a spell accepts its version by itself ("used"); `accept` records an explicit
acceptance, which is audited by its caller. Agents cannot accept for the person: MCP offers no
tool for it, only the news that a version waits (spell_mcp/catalog/provenance.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry import SpellVersion, find_version, list_latest
from registry.grants import Grants, grants_of, widening
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import AcceptedGrants


@dataclass(frozen=True, slots=True)
class Accepted:
    """What one caster accepted of one spell, and the version they were last served."""

    version: str
    grants: Grants
    how: str

    @classmethod
    def of(cls, row: AcceptedGrants) -> Accepted:
        return cls(row.version, Grants.from_dict(row.grants), row.how)


@dataclass(frozen=True, slots=True)
class Pin:
    """A caster is served `version` of a spell rather than `latest`, which widens (`widened`)."""

    version: str
    latest: str
    widened: list[str]


def widened(accepted: Accepted | None, spell: SpellVersion) -> list[str]:
    """What `spell` asks beyond what was accepted; nothing for a caster who never used it, nor
    for the version they know (it was served under what they accepted): on every cast, so the
    usual answer costs a comparison of version strings."""
    if accepted is None or accepted.version == spell.version:
        return []
    return widening(accepted.grants, grants_of(spell))


def pin_of(accepted: Accepted | None, latest: SpellVersion) -> Pin | None:
    """The pin a caster is under for `latest`, if any."""
    more = widened(accepted, latest)
    if accepted is None or not more:
        return None
    return Pin(accepted.version, latest.version, more)


def served(caster_id: str, session: Session) -> list[tuple[SpellVersion, Pin | None]]:
    """Every castable spell as `caster_id` is served it: the latest, or the version they know
    while the latest waits for their acceptance (then with its pin)."""
    accepted = all_accepted(caster_id, session)
    listed: list[tuple[SpellVersion, Pin | None]] = []
    for latest in list_latest(session):
        pin = pin_of(accepted.get(latest.spell_key), latest)
        known = find_version(session, latest.spell_key, pin.version) if pin is not None else None
        listed.append((known[0] if known is not None else latest, pin))
    return listed


async def served_to(db: Database, caster_id: str) -> list[tuple[SpellVersion, Pin | None]]:
    """`served`, in a transaction of its own."""
    return await db.read(partial(served, caster_id))


async def pin_for(db: Database, caster_id: str, latest: SpellVersion) -> Pin | None:
    """The pin `caster_id` is under for `latest`, the latest version of its spell, if any."""
    return pin_of(await db.read(partial(accepted_of, caster_id, latest.spell_key)), latest)


def accepted_of(caster_id: str, key: str, session: Session) -> Accepted | None:
    row = session.get(AcceptedGrants, (caster_id, key))
    return Accepted.of(row) if row is not None else None


def all_accepted(caster_id: str, session: Session) -> dict[str, Accepted]:
    rows = session.execute(select(AcceptedGrants).where(col(AcceptedGrants.caster_id) == caster_id))
    return {row.spell_key: Accepted.of(row) for row in rows.scalars()}


def record_use(caster_id: str, spell: SpellVersion, session: Session) -> None:
    """`caster_id` is served `spell`, which widens nothing they accepted: remember the version
    they now know (and, the first time, accept its grants)."""
    row = session.get(AcceptedGrants, (caster_id, spell.spell_key), with_for_update=True)
    now = datetime.now(UTC)
    if row is None:
        session.add(
            AcceptedGrants(
                caster_id=caster_id,
                spell_key=spell.spell_key,
                version=spell.version,
                grants=grants_of(spell).as_dict(),
                how="used",
                updated_at=now,
            )
        )
    elif not widening(Grants.from_dict(row.grants), grants_of(spell)):
        row.version, row.updated_at = spell.version, now


def accept(caster_id: str, spell: SpellVersion, session: Session) -> tuple[Accepted, list[str]]:
    """The caster accepts `spell`'s grants and price: it is served from now on. Returns the
    acceptance and what it widened of the one before (empty when nothing)."""
    row = session.get(AcceptedGrants, (caster_id, spell.spell_key), with_for_update=True)
    before = Accepted.of(row) if row is not None else None
    more = widened(before, spell)
    now = datetime.now(UTC)
    grants = grants_of(spell).as_dict()
    if row is None:
        row = AcceptedGrants(
            caster_id=caster_id,
            spell_key=spell.spell_key,
            version=spell.version,
            grants=grants,
            how="accepted",
            updated_at=now,
        )
        session.add(row)
    else:
        row.version, row.grants, row.how, row.updated_at = spell.version, grants, "accepted", now
    session.flush()
    return Accepted.of(row), more
