"""The catalog's side of the supply chain: the OSV index, scans at publish, and daily re-scans
that warn makers and delist versions left vulnerable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from registry.models import MakerNotification, OsvRecord, Spell, SpellVersion, table_of
from registry.sbom import Component
from registry.vulns import Finding, declared_ecosystem, findings_for, index_keys

DELIST_GRACE = timedelta(days=14)
_osv = table_of(OsvRecord)
_RECORDS_FOR = select(_osv.c.record).where(
    _osv.c.ecosystem == bindparam("ecosystem"), _osv.c.name == bindparam("name")
)


def import_osv(session: Session, records: Iterable[dict[str, Any]]) -> int:
    """Index OSV records (see `vulns.read_records`), replacing older copies of the same ids.
    Does not commit. Returns how many records were indexed."""
    count = 0
    for record in records:
        if not isinstance(record, dict) or "id" not in record:
            continue
        session.execute(delete(OsvRecord).where(col(OsvRecord.id) == record["id"]))
        _file(session, record, index_keys(record))
        count += 1
    return count


def replace_ecosystem(session: Session, ecosystem: str, records: Iterable[dict[str, Any]]) -> int:
    """Make `records` the whole index of `ecosystem`: every earlier record of it goes, in this
    transaction, so a scan sees the old index or the new one, never a mix. Does not commit.
    Returns how many records were indexed (withdrawn ones are not)."""
    session.execute(delete(OsvRecord).where(col(OsvRecord.ecosystem) == ecosystem))
    count = 0
    for record in records:
        keys = {(where, name) for where, name in index_keys(record) if where == ecosystem}
        _file(session, record, keys)
        count += bool(keys)
    return count


def _file(session: Session, record: dict[str, Any], keys: set[tuple[str, str]]) -> None:
    """File `record` under each (ecosystem, name) it affects (Core inserts: an export of a
    hundred thousand records never sits in the session's identity map)."""
    if keys:
        modified = record.get("modified")
        rows = [
            {"id": record["id"], "ecosystem": e, "name": n, "modified": modified, "record": record}
            for e, n in keys
        ]
        session.execute(insert(_osv), rows)


def scan(session: Session, components: list[Component], ecosystem: str | None = None) -> list[Finding]:
    """The known vulnerabilities of `components` in the index; `ecosystem` is the one their
    spell declares (`vulns.declared_ecosystem`), for components without a purl."""

    def lookup(where: str, name: str) -> list[dict[str, Any]]:
        return list(session.execute(_RECORDS_FOR, {"ecosystem": where, "name": name}).scalars())

    return findings_for(components, lookup, ecosystem)


def components_of(version: SpellVersion) -> list[Component]:
    return [Component(**component) for component in version.sbom.get("components", [])]


@dataclass(frozen=True, slots=True)
class RescanReport:
    scanned: int
    newly_vulnerable: list[str]
    delisted: list[str]
    cleared: list[str]
    # Spells whose listed versions changed (delisted or cleared): their latest may move.
    touched_keys: set[str] = field(default_factory=set)


def rescan(session: Session, now: datetime, grace: timedelta = DELIST_GRACE) -> RescanReport:
    """Re-check every listed version against today's OSV index. Does not commit.

    A version with a new blocking finding gets its maker notified and a delisting date `grace`
    away; at that date it is delisted if it is still vulnerable, whether or not a fixed version
    has been published since (which stays listed, being free of it).
    """
    versions = list(
        session.execute(
            select(SpellVersion).where(
                col(SpellVersion.delisted).is_(False), col(SpellVersion.yanked).is_(False)
            )
        ).scalars()
    )
    report = RescanReport(scanned=len(versions), newly_vulnerable=[], delisted=[], cleared=[])
    for version in versions:
        findings = scan(
            session,
            components_of(version),
            declared_ecosystem(version.manifest.get("runtime", {}).get("language")),
        )
        known = {f["id"] for f in version.vulnerabilities}
        blocking = [f for f in findings if f.blocking]
        new_blocking = [f for f in blocking if f.id not in known]
        version.vulnerabilities = [f.as_dict() for f in findings]
        version.scanned_at = now
        label = f"{version.spell_key} {version.version}"
        if new_blocking and version.delist_at is None:
            version.delist_at = now + grace
            report.newly_vulnerable.append(label)
            _notify(session, version, now, new_blocking, grace)
        if not blocking and version.delist_at is not None:
            version.delist_at = None
            report.cleared.append(label)
            report.touched_keys.add(version.spell_key)
        elif version.delist_at is not None and now >= version.delist_at:
            version.delisted = True
            report.delisted.append(label)
            report.touched_keys.add(version.spell_key)
    session.flush()
    return report


def _notify(
    session: Session, version: SpellVersion, now: datetime, findings: list[Finding], grace: timedelta
) -> None:
    maker_id = session.execute(
        select(col(Spell.maker_id)).where(col(Spell.key) == version.spell_key)
    ).scalar_one()
    ids = ", ".join(f"{f.id} ({f.package} {f.version}, {f.rating})" for f in findings)
    session.add(
        MakerNotification(
            maker_id=maker_id,
            spell_key=version.spell_key,
            version=version.version,
            kind="vulnerable_dependency",
            message=(
                f"{version.spell_key} {version.version} depends on vulnerable packages: {ids}. "
                f"Publish a fixed version by {(now + grace).date().isoformat()}, "
                "or this version will be delisted."
            ),
            created_at=now,
        )
    )
