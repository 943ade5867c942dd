"""The supply-chain jobs of a server: importing the OSV database and re-scanning published versions."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from registry import RescanReport, import_osv, rescan_catalog
from registry.vulns import read_records
from spell_mcp.platform import Platform

log = logging.getLogger("spell.scans")


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


async def rescan_forever(platform: Platform) -> None:
    """The server's daily job: refresh the OSV index (when configured), then re-scan. A failed
    round is logged and retried at the next interval; it never stops the server."""
    while True:
        try:
            if platform.settings.osv_db is not None:
                await import_vulnerabilities(platform, platform.settings.osv_db)
            report = await rescan(platform)
            if report.delisted or report.cleared:
                await platform.announcer.tools_changed()
            if report.newly_vulnerable or report.delisted:
                log.warning(
                    "re-scan: newly vulnerable %s; delisted %s", report.newly_vulnerable, report.delisted
                )
        except Exception:
            log.exception("re-scan failed")
        await anyio.sleep(platform.settings.rescan_interval_s)
