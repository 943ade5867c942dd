"""Recording an action in the audit trail, and the catalog of actions recorded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from spell_mcp.database.tables import AuditEvent

# Every action the trail records, and what it means (docs/operations.md lists them all).
ACTIONS = {
    "user.created": "a user account was created (sign-up, or by an operator)",
    "user.signed_in": "a browser session was opened (GitHub or an API key)",
    "user.signed_out": "a browser session was closed",
    "key.created": "an API key was created",
    "key.rotated": "an API key was given a new secret",
    "key.revoked": "an API key was revoked",
    "budget.set": "a caster's or key's budget caps were set",
    "webhook.set": "a caster's budget alert webhook was set (with a new signing secret)",
    "webhook.removed": "a caster's budget alert webhook was removed",
    "spell.published": "a maker published a new spell version",
    "spell.yanked": "a maker withdrew a spell version",
    "spell.accepted": "a caster accepted what a spell version may touch and cost",
    "spell.unyanked": "a maker restored a withdrawn spell version",
    "spell.suspended": "a spell was suspended (by an operator, or automatically for violations)",
    "spell.reinstated": "an operator lifted a spell's suspension",
    "namespace.transferred": "an operator gave a namespace of spell keys to another maker",
    "signer.added": "a maker allowed an identity to sign their spells",
    "signer.removed": "a maker removed a signing identity",
    "secret.set": "a maker set a spell's secret (its value is never recorded)",
    "secret.removed": "a maker removed a spell's secret",
    "secrets.resealed": "an operator re-sealed every secret with the newest secrets key",
    "credits.granted": "an operator granted (or took back) a caster's credits",
    "cast.refunded": "an operator refunded a settled cast",
    "payout.account_linked": "a maker linked a payout account",
    "payout.account_disconnected": "a maker disconnected their payout account from the platform at Stripe",
    "payout.sent": "a maker's earnings for a period were sent to their payout account",
    "auto_reload.set": "a caster set or changed automatic reloads of their credits",
    "privacy.exported": "a user downloaded a copy of their data",
    "privacy.rectified": "a user corrected their name or e-mail (the fields are named, not their values)",
    "privacy.erased": "a user erased their account",
    "privacy.restricted": "a user restricted the processing of their data",
    "privacy.unrestricted": "a user lifted the restriction",
    "privacy.preferences_set": "a user set their privacy preferences (do-not-sell, e-mails)",
    "privacy.consent_given": "a user consented to a transfer of their data abroad",
    "privacy.consent_withdrawn": "a user withdrew a consent to a transfer of their data abroad",
    "legal_hold.placed": "an operator placed a legal hold on a user's or a spell's records",
    "legal_hold.released": "an operator released a legal hold",
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user (through one of their keys, or a browser session), or the platform."""

    user_id: str | None
    key_id: str | None = None
    via: str = "system"
    address_hash: str | None = None


# The platform acting on its own (a payout round, an automatic suspension).
SYSTEM = Actor(None)
# Whoever runs `spell` commands on the server's own store: its operator, who needs no key.
CONSOLE = Actor(None, via="cli")


def record(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    *,
    subject_id: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Add the event to `session`'s transaction: it is kept exactly when the action is.
    `subject_id`, the user the target belongs to, defaults to the actor."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(
        AuditEvent(
            id=f"aud_{uuid.uuid4().hex}",
            created_at=now or datetime.now(UTC),
            actor_id=actor.user_id,
            actor_key_id=actor.key_id,
            via=actor.via,
            action=action,
            target_type=target_type,
            target_id=target_id,
            subject_id=subject_id if subject_id is not None else actor.user_id,
            address_hash=actor.address_hash,
            details=details or {},
        )
    )
