"""Leases on scheduled jobs: of all the server processes that find a job due, exactly one
claims the run (a conditional update of its row), so a job runs once per period however many
processes there are, and a process that dies mid-run only delays the next one."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from spell_mcp.database.tables import ScheduledJob


def claim(session: Session, name: str, now: datetime, every: timedelta) -> bool:
    """Whether this caller runs job `name` now: it is due, and no other process claimed it."""
    if session.get(ScheduledJob, name) is None:
        try:
            with session.begin_nested():
                session.add(ScheduledJob(name=name, next_run_at=now))
        except IntegrityError:
            pass  # another process created it this moment
    claimed = session.execute(
        update(ScheduledJob)
        .where(col(ScheduledJob.name) == name, col(ScheduledJob.next_run_at) <= now)
        .values(next_run_at=now + every, last_started_at=now)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def finished(session: Session, name: str, now: datetime, *, ok: bool, detail: str) -> None:
    session.execute(
        update(ScheduledJob)
        .where(col(ScheduledJob.name) == name)
        .values(last_finished_at=now, last_ok=ok, last_detail=detail[:2000])
    )


def last_ok(session: Session, name: str) -> bool | None:
    """How the job's last run ended: None if it never finished one."""
    job = session.get(ScheduledJob, name)
    return job.last_ok if job is not None else None
