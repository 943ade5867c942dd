"""Background duties of a server: releasing the holds of casts that never finished, forgetting
browser sessions that have expired, and suspending spells that keep breaking their policy."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

import anyio
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from billing import Ledger
from spell_mcp.casting.transactions import FAILED_EVENT
from spell_mcp.catalog.violations import suspend_repeat_offenders
from spell_mcp.database.tables import AlertWebhook, Cast, WebhookDelivery, WebSession
from spell_mcp.platform import Platform

log = logging.getLogger("spell.housekeeping")
INTERRUPTED = "cast_interrupted"


def expire_casts(session: Session, now: datetime) -> list[str]:
    """Void expired holds and record their casts as interrupted (a server died mid-cast, or a
    queued cast waited longer than its hold); the end of a queued one is told to its caster's
    webhook, as every other end of a queued cast is (spell_mcp/casting/transactions.py)."""
    voided = Ledger(session).expire_holds(now)
    cast_ids = [reference for _, reference in voided]
    if cast_ids:
        detail = "the cast did not finish (the server stopped); nothing was charged"
        session.execute(
            update(Cast)
            .where(col(Cast.id).in_(cast_ids), col(Cast.status) == "running")
            .values(status="failed", error_code=INTERRUPTED, error_detail=detail, finished_at=now)
        )
        told = select(col(Cast.id), col(Cast.caster_id)).join(
            AlertWebhook, col(AlertWebhook.user_id) == Cast.caster_id
        )
        for cast_id, caster_id in session.execute(told.where(col(Cast.id).in_(cast_ids), col(Cast.queued))):
            event = {"cast_id": cast_id, "status": "failed", "error": {"code": INTERRUPTED, "detail": detail}}
            session.add(
                WebhookDelivery(
                    id=f"msg_{uuid.uuid4().hex}",
                    user_id=caster_id,
                    event_type=FAILED_EVENT,
                    payload=event,
                    status="pending",
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    return cast_ids


def forget_expired_sessions(session: Session, now: datetime) -> int:
    result = session.execute(delete(WebSession).where(col(WebSession.expires_at) <= now))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def sweep(platform: Platform, now: datetime | None = None) -> list[str]:
    moment = now or datetime.now(UTC)
    cast_ids = await platform.db.write(lambda session: expire_casts(session, moment))
    await platform.db.write(lambda session: forget_expired_sessions(session, moment))
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
