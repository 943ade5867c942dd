"""Abuse control without a person watching: a spell whose casts keep breaking its policy
(SPELL_SUSPEND_AFTER_VIOLATIONS within SPELL_VIOLATION_WINDOW_H) is suspended, its maker told
and the suspension audited. Only violations since the spell was last reinstated count, so an
operator's decision is not undone by the violations it already weighed.

Run by every server process's sweep; the conditional update makes exactly one of them suspend
a spell and record it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry.models import MakerNotification, Spell
from spell_mcp import audit
from spell_mcp.database.tables import AuditEvent, PolicyViolationRecord


def suspend_repeat_offenders(
    session: Session, now: datetime, *, threshold: int, window: timedelta
) -> list[str]:
    """Suspend every active spell over the threshold; the keys of those suspended."""
    since = now - window
    counted = (
        select(col(PolicyViolationRecord.spell_key), func.count())
        .where(col(PolicyViolationRecord.created_at) > since)
        .group_by(col(PolicyViolationRecord.spell_key))
        .having(func.count() >= threshold)
    )
    suspended = []
    for key, _ in session.execute(counted).all():
        recent = _violations_since_reinstated(session, key, since)
        if recent < threshold:
            continue
        changed = session.execute(
            update(Spell)
            .where(col(Spell.key) == key, col(Spell.status) == "active")
            .values(status="suspended")
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            continue  # suspended already, or another process got here first
        maker_id = session.execute(select(col(Spell.maker_id)).where(col(Spell.key) == key)).scalar_one()
        reason = f"{recent} policy violations in {int(window.total_seconds() // 3600)} h"
        audit.record(
            session,
            audit.SYSTEM,
            "spell.suspended",
            "spell",
            key,
            subject_id=maker_id,
            details={"reason": reason},
            now=now,
        )
        session.add(
            MakerNotification(
                maker_id=maker_id,
                spell_key=key,
                version="",
                kind="suspended",
                message=f"{key} was suspended automatically: {reason} (a refused domain, a private "
                "address, …). Fix the spell and publish a new version, then ask an operator to reinstate it.",
                created_at=now,
            )
        )
        suspended.append(key)
    return suspended


def _violations_since_reinstated(session: Session, key: str, since: datetime) -> int:
    reinstated = session.execute(
        select(func.max(col(AuditEvent.created_at))).where(
            col(AuditEvent.action) == "spell.reinstated",
            col(AuditEvent.target_type) == "spell",
            col(AuditEvent.target_id) == key,
        )
    ).scalar_one()
    start = max(since, reinstated) if reinstated is not None else since
    return int(
        session.execute(
            select(func.count()).where(
                col(PolicyViolationRecord.spell_key) == key, col(PolicyViolationRecord.created_at) > start
            )
        ).scalar_one()
    )
