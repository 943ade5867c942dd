"""Background duties of a server: releasing the holds of casts that never finished, forgetting
browser sessions and agents' codes and tokens that have expired, and suspending spells that keep
breaking their policy."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import partial

import anyio
from sqlalchemy import delete
from sqlalchemy.orm import Session
from sqlmodel import col

from billing import cast_money
from billing.cast_money import Tx
from spell_mcp.accounts.oauth.tokens import forget_spent
from spell_mcp.casting.transactions import fail
from spell_mcp.catalog.violations import suspend_repeat_offenders
from spell_mcp.database.tables import WebSession
from spell_mcp.platform import Platform

log = logging.getLogger("spell.housekeeping")
INTERRUPTED = "cast_interrupted"
INTERRUPTED_DETAIL = "the cast did not finish (the server stopped); nothing was charged"


async def expire_casts(tx: Tx, now: datetime) -> list[str]:
    """Void expired holds and record their casts as interrupted (a server died mid-cast, or a
    queued cast waited longer than its hold), in one transaction; the end of a queued one is told
    to its caster's webhook, as every other end of a queued cast is (`transactions.fail`)."""
    voided = await cast_money.expire_holds(tx, now)
    for _hold_id, cast_id in voided:
        await fail(tx, cast_id, None, INTERRUPTED, INTERRUPTED_DETAIL, None)
    return [cast_id for _hold_id, cast_id in voided]


def forget_expired_sessions(session: Session, now: datetime) -> int:
    result = session.execute(delete(WebSession).where(col(WebSession.expires_at) <= now))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def sweep(platform: Platform, now: datetime | None = None) -> list[str]:
    moment = now or datetime.now(UTC)
    cast_ids = await platform.db.transaction(lambda tx: expire_casts(tx, moment))
    await platform.db.write(lambda session: forget_expired_sessions(session, moment))
    await platform.db.write(lambda session: forget_spent(session, moment))
    settings = platform.settings
    suspended = await platform.db.write(
        partial(
            suspend_repeat_offenders,
            now=moment,
            threshold=settings.suspend_after_violations,
            window=timedelta(hours=settings.violation_window_h),
        )
    )
    if suspended:
        log.warning("suspended for repeated policy violations: %s", ", ".join(suspended))
        await platform.announcer.tools_changed()
    if platform.casts.fast_holds is not None:
        for cast_id in cast_ids:
            await platform.casts.fast_holds.release(cast_id)
    return cast_ids


async def sweep_forever(platform: Platform) -> None:
    while True:
        try:
            swept = await sweep(platform)
            if swept:
                log.warning("released the holds of %d interrupted casts", len(swept))
        except Exception:
            log.exception("sweeping expired holds failed")
        await anyio.sleep(platform.settings.sweep_interval_s)
