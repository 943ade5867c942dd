"""Vulnerable dependencies: refused at publish when high, kept as warnings when lower, and found
later by the re-scan, which warns the maker and delists a version left vulnerable for 14 days."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from registry import MakerNotification, find_version, pack_directory
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.users import create_user
from spell_mcp.catalog.scans import import_vulnerabilities, rescan
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform
from tests import wasm_modules as wat
from tests.registry.test_vulns import CRITICAL_V3, MEDIUM_V3, record
from tests.spellbook import spdx_sbom, write_spell

KEY = "com.acme.padder"


def with_dependency(tmp_path: Path, version: str, dependency_version: str, licence: str = "MIT") -> bytes:
    directory = write_spell(tmp_path / version, KEY, wat.writes(f'{{"v":"{version}"}}'), version=version)
    dependency = {
        "name": "left-pad",
        "SPDXID": "SPDXRef-Package-left-pad",
        "versionInfo": dependency_version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "licenseConcluded": licence,
        "licenseDeclared": licence,
        "copyrightText": "NOASSERTION",
        "externalRefs": [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": f"pkg:npm/left-pad@{dependency_version}",
            }
        ],
    }
    (directory / "sbom.spdx.json").write_text(json.dumps(spdx_sbom(KEY, version, [dependency])))
    return pack_directory(directory)


def osv_dir(tmp_path: Path, *records: dict[str, Any]) -> Path:
    root = tmp_path / "osv" / "npm"
    root.mkdir(parents=True, exist_ok=True)
    for osv in records:
        (root / f"{osv['id']}.json").write_text(json.dumps(osv))
    return root.parent


CRITICAL = record(
    "GHSA-crit",
    "npm",
    "left-pad",
    [{"introduced": "0"}, {"fixed": "1.3.1"}],
    kind="SEMVER",
    severity=[{"type": "CVSS_V3", "score": CRITICAL_V3}],
)
MEDIUM = record(
    "GHSA-med",
    "npm",
    "left-pad",
    [{"introduced": "0"}, {"fixed": "1.3.1"}],
    kind="SEMVER",
    severity=[{"type": "CVSS_V3", "score": MEDIUM_V3}],
)


async def maker(platform: Platform) -> Caster:
    user = await platform.db.write(lambda session: create_user(session, "maker"))
    return Caster(user.user_id, None, False)


async def test_a_high_severity_finding_refuses_publish_listing_it(
    dev_platform: Platform, tmp_path: Path
) -> None:
    await import_vulnerabilities(dev_platform, osv_dir(tmp_path, CRITICAL))
    with pytest.raises(SpellError) as refused:
        await dev_platform.publishing.publish(
            await maker(dev_platform), with_dependency(tmp_path, "1.0.0", "1.3.0"), None
        )
    assert refused.value.code == "vulnerable_dependency"
    assert refused.value.extra["problems"] == [
        "npm/left-pad 1.3.0: GHSA-crit, CVSS 9.8 (critical): GHSA-crit in left-pad"
    ]
    assert await dev_platform.db.read(lambda session: find_version(session, KEY)) is None


async def test_lower_findings_and_licence_conflicts_are_kept_as_warnings(
    dev_platform: Platform, tmp_path: Path
) -> None:
    await import_vulnerabilities(dev_platform, osv_dir(tmp_path, MEDIUM))
    package = with_dependency(tmp_path, "1.0.0", "1.3.0", licence="GPL-3.0-only")
    published = await dev_platform.publishing.publish(await maker(dev_platform), package, None)
    version = published.version
    assert [(f["id"], f["severity"]) for f in version.vulnerabilities] == [("GHSA-med", "medium")]
    assert version.licence_warnings == [
        {
            "package": "left-pad",
            "licence": "GPL-3.0-only",
            "reason": "not known to be compatible with the spell's MIT",
        }
    ]


async def test_the_rescan_warns_then_delists_a_version_left_vulnerable(
    dev_platform: Platform, tmp_path: Path
) -> None:
    owner = await maker(dev_platform)
    await dev_platform.publishing.publish(owner, with_dependency(tmp_path, "1.0.0", "1.3.0"), None)
    await import_vulnerabilities(dev_platform, osv_dir(tmp_path, CRITICAL))
    day = datetime(2026, 12, 1, tzinfo=UTC)

    first = await rescan(dev_platform, day)
    assert first.newly_vulnerable == [f"{KEY} 1.0.0"] and first.delisted == []
    notes = await dev_platform.db.read(lambda session: list(session.query(MakerNotification).all()))
    assert [n.maker_id for n in notes] == [owner.user_id]
    assert "GHSA-crit" in notes[0].message and "2026-12-15" in notes[0].message
    assert await dev_platform.db.read(lambda session: find_version(session, KEY)) is not None

    again = await rescan(dev_platform, day + timedelta(days=3))
    assert again.newly_vulnerable == []  # warned once

    late = await rescan(dev_platform, day + timedelta(days=14, seconds=1))
    assert late.delisted == [f"{KEY} 1.0.0"]
    assert await dev_platform.db.read(lambda session: find_version(session, KEY)) is None


async def test_a_vulnerable_version_is_delisted_on_day_14_although_a_fixed_one_was_published(
    dev_platform: Platform, tmp_path: Path
) -> None:
    """The vulnerable version goes; the fixed one, published on day 3, stays castable."""
    owner = await maker(dev_platform)
    await dev_platform.publishing.publish(owner, with_dependency(tmp_path, "1.0.0", "1.3.0"), None)
    await import_vulnerabilities(dev_platform, osv_dir(tmp_path, CRITICAL))
    day = datetime(2026, 12, 1, tzinfo=UTC)
    await rescan(dev_platform, day)
    await dev_platform.publishing.publish(owner, with_dependency(tmp_path, "1.0.1", "1.3.1"), None)
    assert (await rescan(dev_platform, day + timedelta(days=3))).delisted == []
    assert (await rescan(dev_platform, day + timedelta(days=13))).delisted == []
    report = await rescan(dev_platform, day + timedelta(days=14))
    assert report.delisted == [f"{KEY} 1.0.0"]
    assert await dev_platform.db.read(lambda session: find_version(session, KEY, "1.0.0")) is None
    found = await dev_platform.db.read(lambda session: find_version(session, KEY))
    assert found is not None and found[0].version == "1.0.1"
