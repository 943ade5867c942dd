"""Erasing a user (GDPR art. 17): at once, everything that identifies them is removed or made
anonymous and nothing more is done in their name; what remains (cast records, consents, payment
records) is purged after the grace period (retention.py), unless a legal hold keeps it.

The ledger stays: its entries carry no personal data (accounts are named by the user's random
id), and removing any would break the hash chain the platform's accountability rests on. The
audit trail stays too, for its year, with the user's key ids redacted (the one change its
append-only trigger allows)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, null, or_, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing import AccountKind, account_id, cast_money
from billing.models import Budget, BudgetAlert, BudgetWindow, Hold
from billing.tx import in_session
from registry.models import SignerIdentityRecord, Spell
from spell_mcp import audit
from spell_mcp.database.tables import (
    AcceptedGrants,
    AlertWebhook,
    ApiKey,
    AuditEvent,
    AutoReload,
    Cast,
    IdempotencyRecord,
    Payment,
    PaymentCustomer,
    SpellSecret,
    TopUp,
    User,
    UserPreferences,
    WebhookDelivery,
    WebSession,
)
from spell_mcp.errors import SpellError
from spell_mcp.privacy.holds import held

ERASED_NAME = "erased user"
REDACTED = {"redacted": True}


def erase(session: Session, user_id: str, now: datetime, grace: timedelta) -> list[str]:
    """Erase the user now; the ids of the keys revoked (for the caller to forget at once).
    Raises `erasure_on_hold` under a legal hold."""
    user = session.get(User, user_id)
    if user is None or user.status == "erased":
        raise SpellError("unauthenticated", "the account no longer exists")
    if user_id in held(session, "user"):
        raise SpellError("erasure_on_hold", "your records are under a legal hold: they cannot be erased yet")
    key_ids = list(session.execute(select(col(ApiKey.id)).where(col(ApiKey.user_id) == user_id)).scalars())
    _stop_spending(session, user_id, now)
    _forget_keys(session, user_id, key_ids)
    _forget_contacts(session, user_id)
    _anonymise_records(session, user_id)
    _redact_trail(session, user_id, key_ids)
    user.name, user.email, user.github_id = ERASED_NAME, None, None
    user.status, user.erased_at, user.purge_after = "erased", now, now + grace
    audit.record(session, audit.Actor(user_id, via="rest"), "privacy.erased", "user", user_id, now=now)
    return key_ids


def _stop_spending(session: Session, user_id: str, now: datetime) -> None:
    """Release every hold and record every running cast as failed, in the erasure's transaction:
    nothing more is charged. (The caller then stops the casts themselves:
    `Announcer.casts_must_stop`.)"""
    credits = account_id(AccountKind.CASTER_CREDITS, user_id)
    in_session(session, lambda tx: cast_money.void_pending(tx, credits))
    session.execute(
        update(Cast)
        .where(col(Cast.caster_id) == user_id, col(Cast.status) == "running")
        .values(
            status="failed",
            error_code="cast_interrupted",
            error_detail="the caster's account was erased; nothing was charged",
            finished_at=now,
        )
    )


def _forget_keys(session: Session, user_id: str, key_ids: list[str]) -> None:
    """Keys, sessions, budgets and what names a key: a key's id is its visible prefix."""
    subjects = [f"user:{user_id}", *(f"key:{key_id}" for key_id in key_ids)]
    credits = account_id(AccountKind.CASTER_CREDITS, user_id)
    for hold in session.execute(select(Hold).where(col(Hold.account_id) == credits)).scalars():
        windows = [
            {**window, "subject": "redacted"} if window.get("subject") in subjects else window
            for window in (hold.windows or [])
        ]
        if windows != hold.windows:
            hold.windows = windows
    for model in (BudgetWindow, BudgetAlert, Budget):
        session.execute(delete(model).where(col(model.subject).in_(subjects)))
    session.execute(delete(ApiKey).where(col(ApiKey.user_id) == user_id))
    session.execute(delete(WebSession).where(col(WebSession.user_id) == user_id))
    session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.caster_id) == user_id))
    # What they accepted of spells (the audit trail keeps that they did, redacted).
    session.execute(delete(AcceptedGrants).where(col(AcceptedGrants.caster_id) == user_id))


def _forget_contacts(session: Session, user_id: str) -> None:
    """Where the platform could reach the user or act for them elsewhere."""
    for model, column in (
        (AlertWebhook, AlertWebhook.user_id),
        (WebhookDelivery, WebhookDelivery.user_id),
        (AutoReload, AutoReload.user_id),
        (PaymentCustomer, PaymentCustomer.user_id),
        (UserPreferences, UserPreferences.user_id),
        (SignerIdentityRecord, SignerIdentityRecord.maker_id),
    ):
        session.execute(delete(model).where(col(column) == user_id))
    spells = select(col(Spell.key)).where(col(Spell.maker_id) == user_id)
    session.execute(delete(SpellSecret).where(col(SpellSecret.spell_key).in_(spells)))


def _anonymise_records(session: Session, user_id: str) -> None:
    """Records kept for their purpose (money, casts), without what identifies the user."""
    session.execute(
        update(Cast)
        .where(col(Cast.caster_id) == user_id)
        .values(api_key_id=None, output=null(), log=None, error_detail=None)
    )
    session.execute(
        update(Payment).where(col(Payment.user_id) == user_id).values(reason=None, receipt_url=None)
    )
    session.execute(update(TopUp).where(col(TopUp.user_id) == user_id).values(url=""))


def _redact_trail(session: Session, user_id: str, key_ids: list[str]) -> None:
    involving = or_(col(AuditEvent.actor_id) == user_id, col(AuditEvent.subject_id) == user_id)
    for event in list(session.execute(select(AuditEvent).where(involving)).scalars()):
        target = "redacted" if event.target_type == "key" or event.target_id in key_ids else event.target_id
        session.execute(
            update(AuditEvent)
            .where(col(AuditEvent.id) == event.id)
            .values(actor_key_id=None, target_id=target, details=REDACTED)
        )
