"""Vulnerability data that arrives by itself: `spell vulns sync` (catalog/vuln_sync.py) downloads
OSV's exports from a server laid out as osv.dev's bucket (`<Ecosystem>/all.zip`), asks again
conditionally, refuses hostile archives whole, and swaps each ecosystem's index at once; the
daily job runs once per fleet; publish refuses what the downloaded data says is vulnerable."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from registry import find_version
from spell_mcp.catalog import scans
from spell_mcp.catalog.vuln_sync import sync
from spell_mcp.database.tables import VulnerabilitySource
from spell_mcp.errors import SpellError
from spell_mcp.observability.exposition import store_state
from spell_mcp.platform import Platform
from tests.osv import GO_NET, PYPI_REQUESTS, WITHDRAWN, OsvBucket, export, go_spell
from tests.spell_mcp.catalog.test_scans import maker


@pytest.fixture
def synced(dev_platform: Platform, bucket: OsvBucket) -> Platform:
    dev_platform.settings = dev_platform.settings.model_copy(
        update={"osv_sync": True, "osv_base_url": bucket.url, "osv_ecosystems": ["Go", "PyPI"]}
    )
    bucket.files["Go/all.zip"] = export(GO_NET, WITHDRAWN)
    bucket.files["PyPI/all.zip"] = export(PYPI_REQUESTS)
    return dev_platform


async def sources(platform: Platform) -> dict[str, VulnerabilitySource]:
    rows = await platform.db.read(lambda session: list(session.query(VulnerabilitySource).all()))
    return {row.ecosystem: row for row in rows}


async def test_a_go_module_with_a_known_advisory_from_the_served_export_is_refused_at_publish(
    synced: Platform, tmp_path: Path
) -> None:
    outcomes = await sync(synced.settings, synced.db)
    assert [(o.ecosystem, o.outcome, o.records) for o in outcomes] == [
        ("Go", "updated", 1),
        ("PyPI", "updated", 1),
    ]
    with pytest.raises(SpellError) as refused:
        await synced.publishing.publish(
            await maker(synced), go_spell(tmp_path, "pkg:golang/golang.org/x/net@v0.15.0"), None
        )
    assert refused.value.code == "vulnerable_dependency"
    assert refused.value.extra["problems"] == [
        "Go/golang.org/x/net v0.15.0: GHSA-4374-p667-p6c8, rated high by the advisory (no CVSS vector): "
        "HTTP/2 rapid reset can cause excessive work in net/http"
    ]
    assert await synced.db.read(lambda session: find_version(session, "com.acme.gohttp")) is None


async def test_the_fixed_module_and_a_withdrawn_advisory_do_not_block(
    synced: Platform, tmp_path: Path
) -> None:
    await sync(synced.settings, synced.db)
    owner = await maker(synced)
    fixed = await synced.publishing.publish(
        owner, go_spell(tmp_path, "pkg:golang/golang.org/x/net@v0.17.0"), None
    )
    assert fixed.version.vulnerabilities == []
    withdrawn = await synced.publishing.publish(
        owner, go_spell(tmp_path, "pkg:golang/github.com/gin-gonic/gin@v1.9.0", "1.0.1"), None
    )
    assert withdrawn.version.vulnerabilities == []


async def test_an_unchanged_export_is_asked_for_conditionally_and_a_changed_one_replaces_the_index(
    synced: Platform, bucket: OsvBucket, tmp_path: Path
) -> None:
    await sync(synced.settings, synced.db)
    again = await sync(synced.settings, synced.db)
    assert [o.outcome for o in again] == ["unchanged", "unchanged"]
    go_requests = [r for r in bucket.requests if r[0] == "/Go/all.zip"]
    assert go_requests[0][1] is None and go_requests[1][1] is not None and go_requests[1][2] == 304

    # The advisory leaves the export: it leaves the index too (the ecosystem is replaced whole).
    bucket.files["Go/all.zip"] = export(WITHDRAWN)
    changed = await sync(synced.settings, synced.db)
    assert [(o.ecosystem, o.outcome, o.records) for o in changed] == [
        ("Go", "updated", 0),
        ("PyPI", "unchanged", 1),
    ]
    published = await synced.publishing.publish(
        await maker(synced), go_spell(tmp_path, "pkg:golang/golang.org/x/net@v0.15.0"), None
    )
    assert published.version.vulnerabilities == []


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


HOSTILE = {
    "not a zip": b"<html>Service Unavailable</html>",
    "a path": zip_of({"../../etc/cron.d/x.json": json.dumps(GO_NET).encode()}),
    "a directory": zip_of({"GO-1/GHSA-1.json": json.dumps(GO_NET).encode()}),
    "a zip bomb": zip_of({"GHSA-bomb.json": b" " * (64 * 1024 * 1024)}),
    "not JSON": zip_of({"GHSA-1.json": b"\xff\xfe not json"}),
    "not a record": zip_of({"GHSA-1.json": json.dumps({"summary": "no id"}).encode()}),
    "another ecosystem": zip_of({"GHSA-j8r2-6x86-q33q.json": json.dumps(PYPI_REQUESTS).encode()}),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
async def test_a_hostile_export_is_refused_whole_and_the_index_kept(
    synced: Platform, bucket: OsvBucket, tmp_path: Path, kind: str
) -> None:
    await sync(synced.settings, synced.db)
    bucket.files["Go/all.zip"] = (
        zip_of({"GHSA-ok.json": json.dumps({**GO_NET, "id": "GHSA-ok"}).encode()}) + b""
    )
    bucket.files["Go/all.zip"] = HOSTILE[kind]
    outcomes = await sync(synced.settings, synced.db)
    assert [(o.ecosystem, o.outcome) for o in outcomes] == [("Go", "failed"), ("PyPI", "unchanged")]
    assert (await sources(synced))["Go"].last_error
    with pytest.raises(SpellError) as refused:  # the index from before still refuses
        await synced.publishing.publish(
            await maker(synced), go_spell(tmp_path, "pkg:golang/golang.org/x/net@v0.15.0"), None
        )
    assert refused.value.code == "vulnerable_dependency"


async def test_an_oversized_download_and_a_missing_export_fail_without_touching_the_index(
    synced: Platform, bucket: OsvBucket
) -> None:
    synced.settings = synced.settings.model_copy(update={"osv_max_download_mb": 1})
    bucket.files["Go/all.zip"] = b"\0" * (2 * 1024 * 1024)
    del bucket.files["PyPI/all.zip"]
    outcomes = await sync(synced.settings, synced.db)
    assert [(o.ecosystem, o.outcome) for o in outcomes] == [("Go", "failed"), ("PyPI", "failed")]
    assert "more than 1048576" in outcomes[0].detail and "404" in outcomes[1].detail


async def test_the_datas_age_is_a_metric_and_never_synced_data_is_infinitely_old(
    synced: Platform, bucket: OsvBucket
) -> None:
    del bucket.files["PyPI/all.zip"]
    await sync(synced.settings, synced.db)
    state = await synced.db.read(store_state)
    assert 0 <= state.vulnerability_data_age["Go"] < 600
    assert state.vulnerability_data_age["PyPI"] == float("inf")


async def test_the_daily_sync_and_rescan_run_once_per_fleet(synced: Platform, bucket: OsvBucket) -> None:
    """Two server processes find the job due at once: one of them syncs and re-scans."""
    now = datetime.now(UTC)
    results: list[object] = []

    async def one() -> None:
        results.append(await scans.run_if_due(synced, now))

    async with anyio.create_task_group() as group:
        group.start_soon(one)
        group.start_soon(one)
    assert sum(r is not None for r in results) == 1
    assert len([r for r in bucket.requests if r[0] == "/Go/all.zip"]) == 1
    assert await scans.run_if_due(synced, now) is None  # not due again until tomorrow
