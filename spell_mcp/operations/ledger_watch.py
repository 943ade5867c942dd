"""The ledger verified on a schedule: its hash chain and every balance recomputed (the same
audit as `spell ledger verify`), by one server process per period. A broken ledger raises an
incident; a ledger found whole again resolves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import anyio

from billing import AuditReport, audit
from spell_mcp.database.engine import Database
from spell_mcp.observability import logs
from spell_mcp.operations import schedule
from spell_mcp.operations.incidents import Incident, Pager
from spell_mcp.settings import Settings

JOB = "ledger.verify"
INCIDENT = "spell-ledger-broken"


async def verify(db: Database) -> AuditReport:
    """Recompute the hash chain and every balance now."""
    return await db.read(audit)


async def verify_if_due(
    db: Database, pager: Pager, every: timedelta, now: datetime | None = None
) -> bool | None:
    """Verify the ledger if it is this process's turn; whether it is whole (None: not our turn)."""
    moment = now or datetime.now(UTC)
    if not await db.write(partial(schedule.claim, name=JOB, now=moment, every=every)):
        return None
    was_broken = await db.read(lambda session: schedule.last_ok(session, JOB)) is False
    report = await verify(db)
    detail = "; ".join(report.problems) or f"{report.entries} entries: the chain is intact"
    await db.write(partial(schedule.finished, name=JOB, now=datetime.now(UTC), ok=report.ok, detail=detail))
    if report.ok:
        if was_broken:
            await pager.resolve(INCIDENT)
    else:
        await pager.trigger(
            Incident(
                INCIDENT,
                f"Spell ledger verification failed: {report.problems[0]}",
                details={"problems": report.problems[:20], "entries": report.entries},
            )
        )
    return report.ok


async def verify_forever(db: Database, settings: Settings, pager: Pager) -> None:
    every = timedelta(seconds=settings.ledger_verify_interval_s)
    while True:
        try:
            await verify_if_due(db, pager, every)
        except Exception:
            logs.get("ledger").exception("verifying the ledger failed")
        # Often enough that some process takes each period soon after it falls due.
        await anyio.sleep(min(60, settings.ledger_verify_interval_s))
