"""Vulnerability data that arrives by itself: OSV's published exports, one `all.zip` per
ecosystem (`<base>/<Ecosystem>/all.zip`, as osv.dev publishes them), downloaded conditionally
(If-None-Match / If-Modified-Since, so an unchanged export costs a 304), read as hostile
(`registry.vulns.records_in_export`: bounded sizes, flat record names, OSV records only) and
swapped into the index in one transaction per ecosystem. A failed download or a refused export
leaves that ecosystem's index as it was; its age shows in `spell_vulnerability_data_age_seconds`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
import httpx
from sqlalchemy.orm import Session

from registry import replace_ecosystem
from registry.vulns import OsvDataError, records_in_export
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import VulnerabilitySource
from spell_mcp.observability import logs
from spell_mcp.settings import Settings

TIMEOUT = httpx.Timeout(60.0, connect=10.0)
log = logs.get("vulns")


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    ecosystem: str
    # "updated" (a new export indexed), "unchanged" (304), or "failed" (the index kept as it was).
    outcome: str
    records: int
    detail: str = ""


class _Refused(Exception):
    """The source answered with something we do not index."""


def export_url(base: str, ecosystem: str) -> str:
    return f"{base.rstrip('/')}/{quote(ecosystem)}/all.zip"


async def sync(
    settings: Settings, db: Database, client: httpx.AsyncClient | None = None
) -> list[SyncOutcome]:
    """Bring every configured ecosystem's index up to date with its published export."""
    own = client is None
    client = client or httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=True)
    try:
        return [await _sync_one(settings, db, client, ecosystem) for ecosystem in settings.osv_ecosystems]
    finally:
        if own:
            await client.aclose()


async def _sync_one(
    settings: Settings, db: Database, client: httpx.AsyncClient, ecosystem: str
) -> SyncOutcome:
    known = await db.read(lambda session: _source(session, ecosystem))
    headers = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    with tempfile.TemporaryDirectory(prefix="spell-osv-") as folder:
        target = Path(folder) / "all.zip"
        try:
            response = await _download(
                client, export_url(settings.osv_base_url, ecosystem), headers, target, settings
            )
            if response.status_code == 304:
                await db.write(lambda session: _checked(session, ecosystem, datetime.now(UTC)))
                return SyncOutcome(ecosystem, "unchanged", known.records)
            # Read the whole export once before touching the index: a bad member refuses it all.
            count = await anyio.to_thread.run_sync(
                lambda: sum(1 for _ in records_in_export(target, ecosystem))
            )
            etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
            indexed = await db.write(lambda session: _replace(session, ecosystem, target, etag, modified))
        except (httpx.HTTPError, _Refused, OsvDataError) as exc:
            detail = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("osv sync failed", ecosystem=ecosystem, detail=detail)
            await db.write(lambda session: _failed(session, ecosystem, detail))
            return SyncOutcome(ecosystem, "failed", known.records, detail)
    log.info("osv sync", ecosystem=ecosystem, records=indexed, exported=count)
    return SyncOutcome(ecosystem, "updated", indexed)


async def _download(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], target: Path, settings: Settings
) -> httpx.Response:
    """GET `url` into `target`, at most `osv_max_download_mb` bytes; a 200 or a 304."""
    limit = settings.osv_max_download_mb * 1024 * 1024
    async with client.stream("GET", url, headers=headers) as response:
        if response.status_code == 304:
            return response
        if response.status_code != 200:
            raise _Refused(f"{url} answered {response.status_code}")
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _Refused(f"{url} is {declared} bytes: more than {limit}")
        written = 0
        with target.open("wb") as out:
            async for chunk in response.aiter_raw():
                written += len(chunk)
                if written > limit:
                    raise _Refused(f"{url} sent more than {limit} bytes")
                out.write(chunk)
    return response


def _source(session: Session, ecosystem: str) -> VulnerabilitySource:
    found = session.get(VulnerabilitySource, ecosystem)
    if found is None:
        found = VulnerabilitySource(ecosystem=ecosystem)
        session.add(found)
    return found


def _checked(session: Session, ecosystem: str, now: datetime) -> None:
    source = _source(session, ecosystem)
    source.checked_at, source.last_error = now, None


def _failed(session: Session, ecosystem: str, detail: str) -> None:
    _source(session, ecosystem).last_error = detail


def _replace(session: Session, ecosystem: str, export: Path, etag: str | None, modified: str | None) -> int:
    count = replace_ecosystem(session, ecosystem, records_in_export(export, ecosystem))
    now = datetime.now(UTC)
    source = _source(session, ecosystem)
    source.etag, source.last_modified, source.records = etag, modified, count
    source.checked_at, source.changed_at, source.last_error = now, now, None
    return count
