"""Known vulnerabilities of a spell's dependencies, from OSV records.

Records come as osv.dev publishes them (`<Ecosystem>/all.zip`, or loose `*.json` records anywhere
below a directory) and are indexed into the catalog by (ecosystem, package name). An SBOM
component is matched by its purl, whose type names the OSV ecosystem (`PURL_ECOSYSTEMS`); a
component without a purl is matched by name within the ecosystem its spell's language declares
(`LANGUAGE_ECOSYSTEMS`: a Rust spell's dependencies are crates). A component is affected when its
version is one a record lists, or falls in one of its ranges per the OSV schema's event semantics
(introduced / fixed / last_affected / limit), compared by the ecosystem's own rules: SemVer for
SEMVER ranges and the SemVer ecosystems (npm, crates.io, Go, Hex, Pub, SwiftURL), PEP 440 for
PyPI and, as the nearest general rule, for the others (Maven, NuGet, RubyGems, Packagist…).
Withdrawn records affect nothing. Severity is the highest CVSS base score among a record's
vectors (v2, v3, v4); a record without one is rated by its published severity (GitHub's
`database_specific.severity`); a record with neither is a warning.
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
# purl type (github.com/package-url/purl-spec) → OSV ecosystem (ossf.github.io/osv-schema).
PURL_ECOSYSTEMS = {
    "pypi": "PyPI",
    "npm": "npm",
    "cargo": "crates.io",
    "golang": "Go",
    "maven": "Maven",
    "nuget": "NuGet",
    "gem": "RubyGems",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
    "swift": "SwiftURL",
    "github": "GitHub Actions",
    "hackage": "Hackage",
    "cran": "CRAN",
    "conan": "ConanCenter",
}
ECOSYSTEMS = frozenset(PURL_ECOSYSTEMS.values())
# A spell's `[runtime] language` → the ecosystem its purl-less dependencies come from.
LANGUAGE_ECOSYSTEMS = {
    "rust": "crates.io",
    "python": "PyPI",
    "go": "Go",
    "tinygo": "Go",
    "javascript": "npm",
    "typescript": "npm",
    "assemblyscript": "npm",
}
_SEMVER_ECOSYSTEMS = frozenset({"npm", "crates.io", "Go", "Hex", "Pub", "SwiftURL"})
_CASELESS = frozenset({"crates.io", "NuGet", "Packagist", "Hex", "Pub", "GitHub Actions"})
# GitHub's advisory severities, as OSV records carry them in `database_specific.severity`.
PUBLISHED_SEVERITIES = {"CRITICAL": "critical", "HIGH": "high", "MODERATE": "medium", "LOW": "low"}
Comparable = Any


def normalise_name(ecosystem: str, name: str) -> str:
    if ecosystem == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name.lower() if ecosystem in _CASELESS else name


def _purl_name(purl: PackageURL) -> str:
    namespace = (purl.namespace or "").strip("/")
    if not namespace:
        return purl.name
    if purl.type == "maven":
        return f"{namespace}:{purl.name}"
    if purl.type == "npm":  # the scope, with or without its "@" depending on the producer
        return f"@{namespace.lstrip('@')}/{purl.name}"
    return f"{namespace}/{purl.name}"


def component_key(component: Component, ecosystem: str | None = None) -> tuple[str, str, str] | None:
    """(ecosystem, normalised name, version) of a component: by its purl, or else by its name in
    `ecosystem` (the one its spell declares), when either is known."""
    if not component.purl:
        if ecosystem is None or not component.version:
            return None
        return ecosystem, normalise_name(ecosystem, component.name), component.version
    try:
        purl = PackageURL.from_string(component.purl)
    except ValueError:
        return None
    found = PURL_ECOSYSTEMS.get(purl.type)
    version = purl.version or component.version
    if found is None or not version:
        return None
    return found, normalise_name(found, _purl_name(purl)), version


def declared_ecosystem(language: str | None) -> str | None:
    """The ecosystem a spell declares through its `[runtime] language`, if any."""
    return LANGUAGE_ECOSYSTEMS.get((language or "").lower())


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    package: str
    version: str
    # The highest CVSS base score among the record's vectors; None when it has none.
    score: float | None
    summary: str
    fixed: tuple[str, ...]
    # The severity the advisory publishes (critical, high, medium, low), used when no score.
    rated: str | None = None

    @property
    def severity(self) -> str:
        if self.score is None:
            return self.rated or "unknown"
        if self.score >= 9.0:
            return "critical"
        if self.score >= BLOCKING_SCORE:
            return "high"
        return "medium" if self.score >= 4.0 else "low"

    @property
    def blocking(self) -> bool:
        return self.severity in ("critical", "high")

    @property
    def rating(self) -> str:
        """How bad, in words: its CVSS score, or the advisory's own rating."""
        if self.score is not None:
            return f"CVSS {self.score} ({self.severity})"
        return f"rated {self.severity} by the advisory (no CVSS vector)"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "fixed": list(self.fixed), "severity": self.severity}


def _version_parser(ecosystem: str, range_type: str | None) -> Callable[[str], Comparable]:
    if range_type == "SEMVER" or ecosystem in _SEMVER_ECOSYSTEMS:
        return lambda text: semver.Version.parse(text.removeprefix("v"))
    return Version


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
    if record.get("withdrawn"):
        return False
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if (
            package.get("ecosystem") != ecosystem
            or normalise_name(ecosystem, package.get("name", "")) != name
        ):
            continue
        if version_text in affected.get("versions", []):
            return True
        for range_ in affected.get("ranges", []):
            kind = range_.get("type")
            if kind not in ("ECOSYSTEM", "SEMVER"):
                continue
            parse = _version_parser(ecosystem, kind)
            try:
                if _affected_by_range(parse(version_text), range_.get("events", []), parse):
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


def published_severity(record: dict[str, Any]) -> str | None:
    """The advisory's own rating (GitHub's `database_specific.severity`), if it gives one."""
    specific = record.get("database_specific")
    rating = specific.get("severity") if isinstance(specific, dict) else None
    return PUBLISHED_SEVERITIES.get(str(rating).upper()) if rating else None


def fixed_versions(record: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        event["fixed"]
        for affected in record.get("affected", [])
        for range_ in affected.get("ranges", [])
        for event in range_.get("events", [])
        if "fixed" in event
    )


def findings_for(
    components: list[Component],
    lookup: Callable[[str, str], list[dict[str, Any]]],
    ecosystem: str | None = None,
) -> list[Finding]:
    """Every known vulnerability of the components; `lookup(ecosystem, name)` gives the records.
    `ecosystem` is the one the spell declares, for components without a purl."""
    found = []
    for component in components:
        key = component_key(component, ecosystem)
        if key is None:
            continue
        where, name, version = key
        for record in lookup(where, name):
            if affects(record, where, name, version):
                found.append(
                    Finding(
                        id=record["id"],
                        package=f"{where}/{name}",
                        version=version,
                        score=score(record),
                        summary=str(record.get("summary", ""))[:300],
                        fixed=fixed_versions(record),
                        rated=published_severity(record),
                    )
                )
    return sorted(found, key=lambda f: (-(f.score or 0), f.id))


class OsvDataError(ValueError):
    """An OSV export that is not what osv.dev publishes: it is refused whole."""


@dataclass(frozen=True, slots=True)
class ExportLimits:
    """Bounds on one `all.zip`, which is read as hostile: how many records, how large each
    (decompressed), how large all together, and how many times larger than compressed."""

    max_records: int = 2_000_000
    max_record_bytes: int = 4 * 1024 * 1024
    max_total_bytes: int = 8 * 1024 * 1024 * 1024
    max_ratio: int = 200


_MEMBER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,199}\.json")


def records_in_export(
    path: Path, ecosystem: str, limits: ExportLimits = ExportLimits()
) -> Iterator[dict[str, Any]]:
    """The records of an `all.zip` as osv.dev publishes it: flat `<ID>.json` members, each an OSV
    record (an `id`, a `modified` time) about `ecosystem`. Raises `OsvDataError` at the first
    member that is not (a path, a zip bomb, a member too large, a record of another kind); the
    caller keeps nothing it read before then."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise OsvDataError(f"not a zip archive: {exc}") from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_records:
            raise OsvDataError(f"{len(members)} members: more than {limits.max_records}")
        total = 0
        for member in sorted(members, key=lambda m: m.filename):
            if not _MEMBER_NAME.fullmatch(member.filename) or member.is_dir():
                raise OsvDataError(f"member {member.filename[:100]!r} is not a flat <ID>.json name")
            if member.file_size > limits.max_record_bytes or member.file_size > limits.max_ratio * max(
                member.compress_size, 1024
            ):
                raise OsvDataError(f"member {member.filename} is too large once decompressed")
            try:
                with archive.open(member) as stream:
                    data = stream.read(limits.max_record_bytes + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                raise OsvDataError(f"member {member.filename} cannot be read: {exc}") from None
            if len(data) > limits.max_record_bytes:  # its header understated its size
                raise OsvDataError(f"member {member.filename} is too large once decompressed")
            total += len(data)
            if total > limits.max_total_bytes:
                raise OsvDataError(f"more than {limits.max_total_bytes} bytes once decompressed")
            yield _valid_record(data, member.filename, ecosystem)


def _valid_record(data: bytes, name: str, ecosystem: str) -> dict[str, Any]:
    try:
        record = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise OsvDataError(f"member {name} is not JSON") from None
    if not (
        isinstance(record, dict)
        and isinstance(record.get("id"), str)
        and isinstance(record.get("modified"), str)
        and isinstance(record.get("affected", []), list)
        and all(isinstance(a, dict) for a in record.get("affected", []))
    ):
        raise OsvDataError(f"member {name} is not an OSV record (id, modified, affected)")
    ecosystems = {
        str(
            a.get("package", {}).get("ecosystem", "") if isinstance(a.get("package", {}), dict) else ""
        ).split(":")[0]
        for a in record.get("affected", [])
    }
    if record.get("affected") and ecosystem not in ecosystems:
        raise OsvDataError(f"member {name} is not about {ecosystem}")
    return record


def read_records(root: Path) -> Iterator[dict[str, Any]]:
    """OSV records below `root`: every `<Ecosystem>/all.zip`'s members and every loose `*.json`."""
    for path in sorted(root.rglob("*")):
        if path.name == "all.zip":
            yield from records_in_export(path, path.parent.name)
        elif path.suffix == ".json" and path.is_file():
            yield json.loads(path.read_bytes())


def index_keys(record: dict[str, Any]) -> set[tuple[str, str]]:
    """The (ecosystem, normalised name) pairs a record is filed under: none when withdrawn."""
    keys: set[tuple[str, str]] = set()
    if record.get("withdrawn"):
        return keys
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        ecosystem, name = package.get("ecosystem"), package.get("name")
        if ecosystem in ECOSYSTEMS and name:
            keys.add((ecosystem, normalise_name(ecosystem, name)))
    return keys
