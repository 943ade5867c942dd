"""Known vulnerabilities of a spell's dependencies, from an offline OSV database.

The database is a directory laid out as osv.dev publishes it (`<Ecosystem>/all.zip`, or loose
`*.json` records anywhere below it), indexed into the catalog by (ecosystem, package name). An
SBOM component with a purl is affected when its version falls in one of a record's ranges, per
the OSV schema's event semantics (introduced / fixed / last_affected / limit), compared with the
ecosystem's own version rules: PEP 440 for PyPI, SemVer for npm and crates.io. Severity is the
highest CVSS base score among the record's vectors (v2, v3, v4).
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cvss
import semver
from packageurl import PackageURL
from packaging.version import InvalidVersion, Version

from registry.sbom import Component

BLOCKING_SCORE = 7.0
PURL_ECOSYSTEMS = {"pypi": "PyPI", "npm": "npm", "cargo": "crates.io"}
Comparable = Any


def normalise_name(ecosystem: str, name: str) -> str:
    if ecosystem == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name.lower() if ecosystem == "crates.io" else name


def component_key(component: Component) -> tuple[str, str, str] | None:
    """(ecosystem, normalised name, version) of a component, when its purl names one we scan."""
    if not component.purl:
        return None
    try:
        purl = PackageURL.from_string(component.purl)
    except ValueError:
        return None
    ecosystem = PURL_ECOSYSTEMS.get(purl.type)
    version = purl.version or component.version
    if ecosystem is None or not version:
        return None
    # An npm scope is the purl namespace, with or without its "@" depending on the producer.
    name = (
        f"@{purl.namespace.lstrip('@')}/{purl.name}" if purl.type == "npm" and purl.namespace else purl.name
    )
    return ecosystem, normalise_name(ecosystem, name), version


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    package: str
    version: str
    score: float | None
    summary: str
    fixed: tuple[str, ...]

    @property
    def blocking(self) -> bool:
        return self.score is not None and self.score >= BLOCKING_SCORE

    @property
    def severity(self) -> str:
        if self.score is None:
            return "unknown"
        if self.score >= 9.0:
            return "critical"
        if self.score >= BLOCKING_SCORE:
            return "high"
        return "medium" if self.score >= 4.0 else "low"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "fixed": list(self.fixed), "severity": self.severity}


def _version_parser(ecosystem: str) -> Callable[[str], Comparable]:
    if ecosystem == "PyPI":
        return Version
    return lambda text: semver.Version.parse(text.removeprefix("v"))


def _affected_by_range(
    version: Comparable, events: list[dict[str, str]], parse: Callable[[str], Comparable]
) -> bool:
    """OSV's evaluation: walk the events in version order; introduced opens, fixed and limit
    close at that version, last_affected closes just after it."""

    def at(event: dict[str, str]) -> tuple[int, Comparable | None]:
        value = next(iter(event.values()))
        return (0, None) if value == "0" else (1, parse(value))

    affected = False
    for event in sorted(events, key=lambda e: at(e)):
        kind = next(iter(event))
        _, bound = at(event)
        if kind == "introduced":
            affected = affected or bound is None or version >= bound
        elif bound is not None and _closes(kind, version, bound):
            affected = False
    return affected


def _closes(kind: str, version: Comparable, bound: Comparable) -> bool:
    if kind in ("fixed", "limit"):
        return bool(version >= bound)
    return kind == "last_affected" and bool(version > bound)


def affects(record: dict[str, Any], ecosystem: str, name: str, version_text: str) -> bool:
    parse = _version_parser(ecosystem)
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if (
            package.get("ecosystem") != ecosystem
            or normalise_name(ecosystem, package.get("name", "")) != name
        ):
            continue
        if version_text in affected.get("versions", []):
            return True
        try:
            version = parse(version_text)
        except (InvalidVersion, ValueError, TypeError):
            continue
        for range_ in affected.get("ranges", []):
            if range_.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue
            try:
                if _affected_by_range(version, range_.get("events", []), parse):
                    return True
            except (InvalidVersion, ValueError, TypeError):
                continue
    return False


def score(record: dict[str, Any]) -> float | None:
    vectors = [s for s in record.get("severity", [])]
    for affected in record.get("affected", []):
        vectors.extend(affected.get("severity", []))
    scores = []
    for entry in vectors:
        kind, vector = entry.get("type"), entry.get("score", "")
        try:
            if kind == "CVSS_V4":
                scores.append(float(cvss.CVSS4(vector).base_score))
            elif kind == "CVSS_V3":
                scores.append(float(cvss.CVSS3(vector).base_score))
            elif kind == "CVSS_V2":
                scores.append(float(cvss.CVSS2(vector).base_score))
        except cvss.CVSSError:
            continue
    return max(scores) if scores else None


def fixed_versions(record: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        event["fixed"]
        for affected in record.get("affected", [])
        for range_ in affected.get("ranges", [])
        for event in range_.get("events", [])
        if "fixed" in event
    )


def findings_for(
    components: list[Component], lookup: Callable[[str, str], list[dict[str, Any]]]
) -> list[Finding]:
    """Every known vulnerability of the components; `lookup(ecosystem, name)` gives the records."""
    found = []
    for component in components:
        key = component_key(component)
        if key is None:
            continue
        ecosystem, name, version = key
        for record in lookup(ecosystem, name):
            if affects(record, ecosystem, name, version):
                found.append(
                    Finding(
                        id=record["id"],
                        package=f"{ecosystem}/{name}",
                        version=version,
                        score=score(record),
                        summary=str(record.get("summary", ""))[:300],
                        fixed=fixed_versions(record),
                    )
                )
    return sorted(found, key=lambda f: (-(f.score or 0), f.id))


def read_records(root: Path) -> Iterator[dict[str, Any]]:
    """OSV records below `root`: every `all.zip`'s members and every loose `*.json`."""
    for path in sorted(root.rglob("*")):
        if path.name == "all.zip":
            with zipfile.ZipFile(path) as archive:
                for name in sorted(archive.namelist()):
                    if name.endswith(".json"):
                        yield json.loads(archive.read(name))
        elif path.suffix == ".json" and path.is_file():
            yield json.loads(path.read_bytes())


def index_keys(record: dict[str, Any]) -> set[tuple[str, str]]:
    """The (ecosystem, normalised name) pairs a record is filed under."""
    keys = set()
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        ecosystem, name = package.get("ecosystem"), package.get("name")
        if ecosystem in PURL_ECOSYSTEMS.values() and name:
            keys.add((ecosystem, normalise_name(ecosystem, name)))
    return keys
