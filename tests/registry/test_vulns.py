"""Matching SBOM components against OSV records, by the OSV schema's range semantics."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from registry.sbom import Component
from registry.vulns import (
    affects,
    component_key,
    declared_ecosystem,
    findings_for,
    index_keys,
    read_records,
    score,
)

CRITICAL_V3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
MEDIUM_V3 = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N"  # 4.2
HIGH_V4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"  # 9.3


def record(
    ident: str,
    ecosystem: str,
    name: str,
    events: list[dict[str, str]],
    *,
    kind: str = "ECOSYSTEM",
    versions: list[str] | None = None,
    severity: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "schema_version": "1.6.0",
        "id": ident,
        "modified": "2026-11-30T12:00:00Z",
        "summary": f"{ident} in {name}",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [{"type": kind, "events": events}],
                "versions": versions or [],
            }
        ],
        "severity": severity or [],
    }


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.0.0", False),
        ("1.2.0", True),
        ("1.9.9", True),
        ("2.0.0", False),
        ("2.1.0", False),
        ("3.0.0", True),
        ("3.1.0", True),
        ("3.1.1", False),
    ],
)
def test_semver_ranges_follow_the_osv_events(version: str, expected: bool) -> None:
    osv = record(
        "GHSA-1",
        "npm",
        "left-pad",
        [{"introduced": "1.2.0"}, {"fixed": "2.0.0"}, {"introduced": "3.0.0"}, {"last_affected": "3.1.0"}],
        kind="SEMVER",
    )
    assert affects(osv, "npm", "left-pad", version) is expected


@pytest.mark.parametrize(
    ("version", "expected"), [("0.1", True), ("1.0rc1", True), ("1.0", False), ("1.0.post1", False)]
)
def test_pypi_ranges_use_pep_440(version: str, expected: bool) -> None:
    osv = record("PYSEC-1", "PyPI", "Requests_Toolbelt", [{"introduced": "0"}, {"fixed": "1.0"}])
    assert affects(osv, "PyPI", "requests-toolbelt", version) is expected


def test_limit_closes_a_range_and_listed_versions_match_exactly() -> None:
    limited = record("X-1", "crates.io", "smallvec", [{"introduced": "0"}, {"limit": "1.0.0"}], kind="SEMVER")
    assert affects(limited, "crates.io", "smallvec", "0.6.0")
    assert not affects(limited, "crates.io", "smallvec", "1.0.0")
    listed = record("X-2", "npm", "odd", [], versions=["0.0.0-weird"])
    assert affects(listed, "npm", "odd", "0.0.0-weird")


def test_the_score_is_the_highest_cvss_base_score_of_any_vector() -> None:
    osv = record(
        "X",
        "npm",
        "a",
        [],
        severity=[{"type": "CVSS_V3", "score": MEDIUM_V3}, {"type": "CVSS_V4", "score": HIGH_V4}],
    )
    assert score(osv) == 9.3
    assert score(record("Y", "npm", "a", [], severity=[{"type": "CVSS_V3", "score": "garbage"}])) is None


@pytest.mark.parametrize(
    ("purl", "key"),
    [
        ("pkg:pypi/Requests_Toolbelt@0.9", ("PyPI", "requests-toolbelt", "0.9")),
        ("pkg:npm/%40babel/core@7.0.0", ("npm", "@babel/core", "7.0.0")),
        ("pkg:cargo/SmallVec@0.6.0", ("crates.io", "smallvec", "0.6.0")),
        ("pkg:golang/github.com/gin-gonic/gin@v1.9.0", ("Go", "github.com/gin-gonic/gin", "v1.9.0")),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
        ),
        ("pkg:nuget/Newtonsoft.Json@12.0.1", ("NuGet", "newtonsoft.json", "12.0.1")),
        ("pkg:gem/rails@7.0.0", ("RubyGems", "rails", "7.0.0")),
        ("pkg:composer/Laravel/Framework@9.0.0", ("Packagist", "laravel/framework", "9.0.0")),
        ("pkg:hex/plug@1.14.0", ("Hex", "plug", "1.14.0")),
        ("pkg:pub/http@0.13.0", ("Pub", "http", "0.13.0")),
        ("pkg:swift/github.com/apple/swift-nio@2.0.0", ("SwiftURL", "github.com/apple/swift-nio", "2.0.0")),
        ("pkg:github/actions/checkout@v3", ("GitHub Actions", "actions/checkout", "v3")),
        ("pkg:deb/debian/curl@7.0", None),
        ("not a purl", None),
    ],
)
def test_components_are_keyed_by_their_purl(purl: str, key: tuple[str, str, str] | None) -> None:
    """Every ecosystem OSV names is matched by its purl type, whatever the spell's language."""
    assert component_key(Component("x", None, purl, None), "PyPI") == key


def test_components_without_a_purl_are_keyed_within_the_spells_declared_ecosystem() -> None:
    tokio = Component("tokio", "1.35.1", None, "MIT")
    assert component_key(tokio, declared_ecosystem("rust")) == ("crates.io", "tokio", "1.35.1")
    assert component_key(tokio, declared_ecosystem("zig")) is None
    assert component_key(Component("tokio", None, None, None), "crates.io") is None


@pytest.mark.parametrize(
    ("ecosystem", "name", "events", "version", "expected"),
    [
        ("Go", "golang.org/x/net", [{"introduced": "0"}, {"fixed": "0.17.0"}], "v0.15.0", True),
        ("Go", "golang.org/x/net", [{"introduced": "0"}, {"fixed": "0.17.0"}], "v0.17.0", False),
        (
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}],
            "2.14.1",
            True,
        ),
        (
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}],
            "2.15.0",
            False,
        ),
        ("NuGet", "newtonsoft.json", [{"introduced": "0"}, {"fixed": "13.0.1"}], "12.0.1", True),
        ("RubyGems", "rails", [{"introduced": "7.0.0"}, {"fixed": "7.0.4.1"}], "7.0.4", True),
    ],
)
def test_versions_compare_by_their_ecosystems_rules(
    ecosystem: str, name: str, events: list[dict[str, str]], version: str, expected: bool
) -> None:
    assert affects(record("X", ecosystem, name, events), ecosystem, name, version) is expected


def test_an_advisory_without_a_vector_is_rated_by_its_published_severity() -> None:
    osv = record(
        "GHSA-x", "Go", "golang.org/x/net", [{"introduced": "0"}, {"fixed": "0.17.0"}], kind="SEMVER"
    )
    found = findings_for(
        [Component("net", None, "pkg:golang/golang.org/x/net@v0.15.0", None)], lambda e, n: [osv]
    )
    assert [(f.severity, f.blocking) for f in found] == [("unknown", False)]  # a warning
    rated = {**osv, "database_specific": {"severity": "HIGH"}}
    found = findings_for(
        [Component("net", None, "pkg:golang/golang.org/x/net@v0.15.0", None)], lambda e, n: [rated]
    )
    assert [(f.severity, f.blocking, f.rating) for f in found] == [
        ("high", True, "rated high by the advisory (no CVSS vector)")
    ]


def test_a_withdrawn_advisory_affects_nothing() -> None:
    osv = {**record("GHSA-w", "npm", "a", [{"introduced": "0"}]), "withdrawn": "2026-11-30T00:00:00Z"}
    assert not affects(osv, "npm", "a", "1.0.0") and index_keys(osv) == set()


def test_findings_name_the_package_the_score_and_the_fix() -> None:
    osv = record(
        "GHSA-2",
        "npm",
        "left-pad",
        [{"introduced": "0"}, {"fixed": "1.3.1"}],
        kind="SEMVER",
        severity=[{"type": "CVSS_V3", "score": CRITICAL_V3}],
    )
    found = findings_for(
        [
            Component("left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0", "MIT"),
            Component("spell", "1", None, None),
        ],
        lambda ecosystem, name: [osv] if (ecosystem, name) == ("npm", "left-pad") else [],
    )
    assert [(f.id, f.package, f.version, f.score, f.severity, f.fixed, f.blocking) for f in found] == [
        ("GHSA-2", "npm/left-pad", "1.3.0", 9.8, "critical", ("1.3.1",), True)
    ]


def test_records_are_read_from_all_zip_and_loose_json(tmp_path: Path) -> None:
    (tmp_path / "PyPI").mkdir()
    with zipfile.ZipFile(tmp_path / "PyPI" / "all.zip", "w") as archive:
        archive.writestr("PYSEC-1.json", json.dumps(record("PYSEC-1", "PyPI", "Flask", [])))
    (tmp_path / "npm").mkdir()
    (tmp_path / "npm" / "GHSA-1.json").write_text(json.dumps(record("GHSA-1", "npm", "left-pad", [])))
    records = list(read_records(tmp_path))
    assert sorted(r["id"] for r in records) == ["GHSA-1", "PYSEC-1"]
    assert index_keys(records[0]) | index_keys(records[1]) == {("PyPI", "flask"), ("npm", "left-pad")}
