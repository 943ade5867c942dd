"""Matching SBOM components against OSV records, by the OSV schema's range semantics."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from registry.sbom import Component
from registry.vulns import affects, component_key, findings_for, index_keys, read_records, score

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
        "id": ident,
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
        ("pkg:golang/example.com/x@v1.0.0", None),
        ("not a purl", None),
    ],
)
def test_components_are_keyed_by_their_purl(purl: str, key: tuple[str, str, str] | None) -> None:
    assert component_key(Component("x", None, purl, None)) == key


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
