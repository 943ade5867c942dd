"""Abuse control without a person watching: a spell whose casts keep breaking its policy
(SPELL_SUSPEND_AFTER_VIOLATIONS within SPELL_VIOLATION_WINDOW_H) is suspended, its maker told
and the suspension audited. Only violations since the spell was last reinstated count, so an
operator's decision is not undone by the violations it already weighed.

What a cast tries often depends on its input (a spell that fetches the URL it is given), so one
caster must not be able to suspend a maker's spell for everyone: the violations of the maker's
own casts count one by one, but each other caster counts once, however many violations their
casts made. A spell is suspended for its own doing, or once many casters saw it misbehave.

Run by every server process's sweep; the conditional update makes exactly one of them suspend
a spell and record it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry.models import MakerNotification, Spell
from spell_mcp import audit
from spell_mcp.database.tables import AuditEvent, Cast, PolicyViolationRecord


def suspend_repeat_offenders(
    session: Session, now: datetime, *, threshold: int, window: timedelta
) -> list[str]:
    """Suspend every active spell over the threshold; the keys of those suspended."""
    since = now - window
    # No spell counts more than its violations: those with fewer need no closer look.
    counted = (
        select(col(PolicyViolationRecord.spell_key), func.count())
        .where(col(PolicyViolationRecord.created_at) > since)
        .group_by(col(PolicyViolationRecord.spell_key))
        .having(func.count() >= threshold)
    )
    suspended = []
    for key, _ in session.execute(counted).all():
        maker_id = session.execute(select(col(Spell.maker_id)).where(col(Spell.key) == key)).scalar_one()
        own, casters = _violations_since_reinstated(session, key, maker_id, since)
        if own + casters < threshold:
            continue
        changed = session.execute(
            update(Spell)
            .where(col(Spell.key) == key, col(Spell.status) == "active")
            .values(status="suspended")
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            continue  # suspended already, or another process got here first
        hours = int(window.total_seconds() // 3600)
        reason = f"{own + casters} policy violations in {hours} h (each caster but its maker counted once)"
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
                message=f"{key} was suspended automatically: {reason}, such as a refused domain or a "
                "private address. Fix the spell and publish a new version, then ask an operator to "
                "reinstate it.",
                created_at=now,
            )
        )
        suspended.append(key)
    return suspended


def _violations_since_reinstated(
    session: Session, key: str, maker_id: str, since: datetime
) -> tuple[int, int]:
    """The violations of the maker's own casts of the spell, and how many other casters' casts
    broke its policy, within the window and since the spell was last reinstated."""
    reinstated = session.execute(
        select(func.max(col(AuditEvent.created_at))).where(
            col(AuditEvent.action) == "spell.reinstated",
            col(AuditEvent.target_type) == "spell",
            col(AuditEvent.target_id) == key,
        )
    ).scalar_one()
    start = max(since, reinstated) if reinstated is not None else since
    # A cast's record may be gone (its caster erased and purged): then its caster is unknown,
    # counted as one other caster.
    by_caster = session.execute(
        select(col(Cast.caster_id), func.count())
        .select_from(PolicyViolationRecord)
        .join(Cast, col(Cast.id) == col(PolicyViolationRecord.cast_id), isouter=True)
        .where(col(PolicyViolationRecord.spell_key) == key, col(PolicyViolationRecord.created_at) > start)
        .group_by(col(Cast.caster_id))
    ).all()
    own = sum(int(count) for caster, count in by_caster if caster == maker_id)
    return own, sum(1 for caster, _ in by_caster if caster != maker_id)
