"""API keys and who is calling.

A key reads `spell_sk_<id>_<secret>`: the fixed prefix lets secret scanners recognise a leaked
key, the id finds the row, and only the SHA-256 of the secret is stored (the secret has 256 bits
of entropy, so a slow hash would add nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam
from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing import AccountKind
from billing.ledger import account_id
from spell_mcp.errors import SpellError
from spell_mcp.models import ApiKey, User

KEY_PREFIX = "spell_sk_"
_KEY_FORMAT = re.compile(r"^spell_sk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


_KEY_OWNER = (
    select(col(ApiKey.secret_sha256), col(ApiKey.revoked_at), col(User.id), col(User.is_operator))
    .join(User, col(User.id) == col(ApiKey.user_id))
    .where(col(ApiKey.id) == bindparam("key_id"))
)


@dataclass(frozen=True, slots=True)
class Caster:
    """The authenticated principal of a request."""

    user_id: str
    key_id: str | None
    is_operator: bool

    @property
    def credits_account(self) -> str:
        return account_id(AccountKind.CASTER_CREDITS, self.user_id)

    @property
    def budget_subjects(self) -> list[str]:
        """Whose budgets a cast counts against: the caster's, and the key's it came with."""
        return [f"user:{self.user_id}", *([f"key:{self.key_id}"] if self.key_id else [])]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, user_id: str, name: str) -> str:
    """Create a key for `user_id` and return it in full: the only time it is ever visible."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            id=key_id,
            user_id=user_id,
            name=name,
            secret_sha256=_digest(secret),
            created_at=datetime.now(UTC),
        )
    )
    session.flush()
    return f"{KEY_PREFIX}{key_id}_{secret}"


def authenticate(session: Session, presented: str | None) -> Caster:
    """The caster a presented key belongs to, or `SpellError('unauthenticated')`."""
    if not presented:
        raise SpellError("unauthenticated", "send an API key as 'Authorization: Bearer spell_sk_…'")
    match = _KEY_FORMAT.fullmatch(presented.strip())
    if match is None:
        raise SpellError("unauthenticated", "the API key is malformed; keys start with 'spell_sk_'")
    key_id, secret = match.groups()
    row = session.execute(_KEY_OWNER, {"key_id": key_id}).one_or_none()
    if row is None or not hmac.compare_digest(row.secret_sha256, _digest(secret)) or row.revoked_at:
        raise SpellError("unauthenticated", "the API key is unknown or revoked")
    return Caster(user_id=row.id, key_id=key_id, is_operator=row.is_operator)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
