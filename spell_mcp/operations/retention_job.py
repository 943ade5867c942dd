"""Retention, daily, by one server process (spell_mcp/privacy/retention.py says what goes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import anyio

from registry import BlobStore
from spell_mcp.database.engine import Database
from spell_mcp.observability import logs
from spell_mcp.operations import schedule
from spell_mcp.privacy import retention

JOB = "retention.run"
EVERY = timedelta(days=1)
log = logs.get("retention")


async def run_now(
    db: Database, blobs: BlobStore, now: datetime | None = None, *, dry_run: bool = False
) -> retention.Removed:
    """Remove what is past its retention period now; with `dry_run`, only count it."""
    work = partial(retention.run, blobs=blobs, now=now or datetime.now(UTC), dry_run=dry_run)
    return await (db.read(work) if dry_run else db.write(work))


async def run_if_due(db: Database, blobs: BlobStore, now: datetime | None = None) -> retention.Removed | None:
    """Run retention if it is due and this process claimed it; what it removed (None: not ours)."""
    moment = now or datetime.now(UTC)
    if not await db.write(partial(schedule.claim, name=JOB, now=moment, every=EVERY)):
        return None
    removed = await run_now(db, blobs, moment)
    detail = (
        ", ".join(f"{kind} {count}" for kind, count in removed.as_dict().items() if count) or "nothing due"
    )
    await db.write(partial(schedule.finished, name=JOB, now=datetime.now(UTC), ok=True, detail=detail))
    if any(removed.as_dict().values()):
        log.info("retention", **removed.as_dict())
    return removed


async def retention_forever(db: Database, blobs: BlobStore) -> None:
    while True:
        try:
            await run_if_due(db, blobs)
        except Exception:
            log.exception("retention failed")
        await anyio.sleep(600)
