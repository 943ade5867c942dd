"""A copy of everything the platform holds about a user (GDPR art. 15 and 20), as one JSON
document, and optionally a zip with the files their casts produced."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col, select

from billing import AccountKind, Ledger, account_id
from registry import BlobStore
from registry.models import SignerIdentityRecord, Spell
from spell_mcp.database.tables import (
    AcceptedGrants,
    AlertWebhook,
    ApiKey,
    AuditEvent,
    Cast,
    Consent,
    Payment,
    PaymentCustomer,
    Payout,
    PayoutAccount,
    TopUp,
    User,
    UserPreferences,
)

# Never exported, even to their owner: what only proves a secret, or opens one.
SECRET_COLUMNS = {"secret_sha256", "previous_secret_sha256", "secret_ciphertext"}


def _rows(session: Session, model: type[SQLModel], *conditions: Any) -> list[dict[str, Any]]:
    rows = session.execute(select(model).where(*conditions)).scalars()
    return [
        {name: value for name, value in row.model_dump().items() if name not in SECRET_COLUMNS}
        for row in rows
    ]


def collect(session: Session, user_id: str) -> dict[str, Any]:
    """Everything about the user, grouped by what it is."""
    user = session.get(User, user_id)
    assert user is not None
    ledger = Ledger(session)
    balances = {
        kind.value: ledger.balance(account_id(kind, user_id))[0]
        for kind in (AccountKind.CASTER_CREDITS, AccountKind.MAKER_EARNINGS)
    }
    return {
        "exported_at": datetime.now(UTC),
        "user": _rows(session, User, col(User.id) == user_id)[0],
        "preferences": _rows(session, UserPreferences, col(UserPreferences.user_id) == user_id),
        "consents": _rows(session, Consent, col(Consent.user_id) == user_id),
        "spells_accepted": _rows(session, AcceptedGrants, col(AcceptedGrants.caster_id) == user_id),
        "api_keys": _rows(session, ApiKey, col(ApiKey.user_id) == user_id),
        "balances_micros": balances,
        "casts": _rows(session, Cast, col(Cast.caster_id) == user_id),
        "payments": _rows(session, Payment, col(Payment.user_id) == user_id),
        "top_ups": _rows(session, TopUp, col(TopUp.user_id) == user_id),
        "payment_customer": _rows(session, PaymentCustomer, col(PaymentCustomer.user_id) == user_id),
        "alert_webhook": _rows(session, AlertWebhook, col(AlertWebhook.user_id) == user_id),
        "spells_published": _rows(session, Spell, col(Spell.maker_id) == user_id),
        "signer_identities": _rows(
            session, SignerIdentityRecord, col(SignerIdentityRecord.maker_id) == user_id
        ),
        "payout_account": _rows(session, PayoutAccount, col(PayoutAccount.user_id) == user_id),
        "payouts": _rows(session, Payout, col(Payout.maker_id) == user_id),
        "audit_trail": _rows(
            session,
            AuditEvent,
            or_(col(AuditEvent.actor_id) == user_id, col(AuditEvent.subject_id) == user_id),
        ),
    }


def as_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, default=_encode, indent=2, sort_keys=True).encode()


def as_zip(data: dict[str, Any], blobs: BlobStore) -> bytes:
    """data.json, and under artifacts/<cast id>/ the files of the casts still kept."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", as_json(data))
        for cast in data["casts"]:
            for index, artifact in enumerate(cast.get("artifacts") or []):
                try:
                    content = blobs.get(str(artifact["sha256"]))
                except KeyError:
                    continue  # past its retention period
                # The name is the spell's choice: only its last part, numbered, goes in the path.
                name = str(artifact.get("name", "file")).replace("\\", "/").rsplit("/", 1)[-1] or "file"
                archive.writestr(f"artifacts/{cast['id']}/{index}-{name[:100]}", content)
    return out.getvalue()


def _encode(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(type(value).__name__)
