"""Consents in force: the latest record of each kind decides."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from spell_mcp.accounts.users import PRIVACY_NOTICE_VERSION
from spell_mcp.database.tables import Consent


def in_force(session: Session, user_id: str, kind: str, *, default: bool) -> bool:
    latest = session.execute(
        select(col(Consent.given))
        .where(col(Consent.user_id) == user_id, col(Consent.kind) == kind)
        .order_by(col(Consent.created_at).desc(), col(Consent.id).desc())
        .limit(1)
    ).scalar_one_or_none()
    return default if latest is None else bool(latest)


def record(session: Session, user_id: str, kind: str, given: bool, now: datetime) -> None:
    session.add(
        Consent(user_id=user_id, kind=kind, version=PRIVACY_NOTICE_VERSION, given=given, created_at=now)
    )
