"""The supply-chain jobs of a server: bringing the OSV index up to date and re-scanning
published versions, once per period for the whole fleet (a lease on the `vulns.rescan` job)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from registry import RescanReport, import_osv, rescan_catalog
from registry.vulns import read_records
from spell_mcp.catalog import vuln_sync
from spell_mcp.observability import logs
from spell_mcp.operations import schedule
from spell_mcp.platform import Platform

JOB = "vulns.rescan"
log = logs.get("scans")


async def import_vulnerabilities(platform: Platform, root: Path) -> int:
    def read() -> list[dict[str, Any]]:
        if not root.is_dir():
            raise FileNotFoundError(f"{root} is not a directory of OSV records")
        return list(read_records(root))

    records = await anyio.to_thread.run_sync(read)
    return await platform.db.write(lambda session: import_osv(session, records))


async def rescan(platform: Platform, now: datetime | None = None) -> RescanReport:
    moment = now or datetime.now(UTC)
    return await platform.db.write(lambda session: rescan_catalog(session, moment))


async def refresh_data(platform: Platform) -> str:
    """Bring the OSV index up to date as configured: a local directory (`osv_db`), or OSV's
    published exports (`osv_sync`). What happened, in a line."""
    settings = platform.settings
    if settings.osv_db is not None:
        return f"imported {await import_vulnerabilities(platform, settings.osv_db)} records"
    if settings.osv_sync:
        outcomes = await vuln_sync.sync(settings, platform.db)
        return "; ".join(f"{o.ecosystem} {o.outcome}" for o in outcomes)
    return "no vulnerability source configured"


async def run_if_due(platform: Platform, now: datetime | None = None) -> RescanReport | None:
    """Refresh the data and re-scan, if due and this process claimed the run (None: not ours)."""
    moment = now or datetime.now(UTC)
    every = timedelta(seconds=platform.settings.rescan_interval_s)
    if not await platform.db.write(partial(schedule.claim, name=JOB, now=moment, every=every)):
        return None
    try:
        data = await refresh_data(platform)
        report = await rescan(platform, moment)
    except Exception as exc:
        failed = partial(schedule.finished, name=JOB, now=datetime.now(UTC), ok=False, detail=repr(exc))
        await platform.db.write(failed)
        raise
    if report.delisted or report.cleared:
        await platform.announcer.tools_changed()
    if report.newly_vulnerable or report.delisted:
        log.warning("re-scan", newly_vulnerable=report.newly_vulnerable, delisted=report.delisted)
    detail = f"{data}; scanned {report.scanned}, delisted {len(report.delisted)}"
    await platform.db.write(
        partial(schedule.finished, name=JOB, now=datetime.now(UTC), ok=True, detail=detail)
    )
    return report


async def rescan_forever(platform: Platform) -> None:
    """The fleet's daily job (see `run_if_due`). A failed round is logged and retried when next
    due; it never stops the server."""
    while True:
        try:
            await run_if_due(platform)
        except Exception:
            log.exception("re-scan failed")
        await anyio.sleep(min(600, platform.settings.rescan_interval_s))
