"""API keys and who is calling; and a caster managing their keys (create, list, rotate, revoke),
each change audited.

A key reads `spell_sk_<id>_<secret>`: the fixed prefix lets secret scanners recognise a leaked
key, the id finds the row, and only the SHA-256 of the secret is stored (the secret has 256 bits
of entropy, so a slow hash would add nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from billing import AccountKind, Budgets
from billing.ledger import account_id
from registry.models import table_of
from spell_mcp import audit
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import ApiKey as ApiKey  # the row the services below hand back
from spell_mcp.database.tables import User
from spell_mcp.errors import SpellError

KEY_PREFIX = "spell_sk_"
_KEY_FORMAT = re.compile(r"^spell_sk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


SCOPES = ("cast", "publish", "read", "billing", "admin")
DEFAULT_SCOPES = ("cast", "publish", "read", "billing")
# What a secret replaced by a rotation may still do until its grace period ends: the work of the
# agents that have not picked up the new secret yet, never managing the key, the account or its
# money (else whoever holds the old secret could rotate again and keep the only valid one).
GRACE_SCOPES = frozenset({"cast", "read"})
LAST_USED_PRECISION = timedelta(minutes=1)
_keys, _users = table_of(ApiKey), table_of(User)
_KEY_OWNER = (
    select(
        _keys.c.secret_sha256,
        _keys.c.previous_secret_sha256,
        _keys.c.previous_valid_until,
        _keys.c.revoked_at,
        _keys.c.expires_at,
        _keys.c.scopes,
        _keys.c.last_used_at,
        _users.c.id,
        _users.c.is_operator,
        _users.c.status,
    )
    .join(_users, _users.c.id == _keys.c.user_id)
    .where(_keys.c.id == bindparam("key_id"))
)


@dataclass(frozen=True, slots=True)
class Caster:
    """The authenticated principal of a request."""

    user_id: str
    key_id: str | None
    is_operator: bool
    # What the key may do; the local operator over stdio (no key) may do everything.
    scopes: frozenset[str] = frozenset(SCOPES)
    # The key's last-used time is older than LAST_USED_PRECISION: worth recording again.
    last_used_stale: bool = False
    # The user restricted the processing of their data (spell_mcp/privacy): until they lift it,
    # only their privacy requests are served.
    restricted: bool = False
    # Authenticated by the key's previous secret, in the grace period of a rotation: its scopes are
    # narrowed to GRACE_SCOPES.
    replaced: bool = False
    # Where an OAuth access token may be used: the MCP endpoint it was issued for (RFC 8707,
    # spell_mcp/accounts/oauth/); None for an API key, which works everywhere.
    resource: str | None = None

    def require(self, scope: str) -> None:
        if self.restricted:
            raise SpellError(
                "account_restricted",
                "you restricted the processing of your data; lift it with DELETE /v1/users/me/suspend",
            )
        if scope not in self.scopes:
            self.require_current()
            raise SpellError("forbidden", f"this API key lacks the {scope!r} scope")

    def require_current(self) -> None:
        """Refuse a secret that a rotation replaced: in its grace period it may only cast and read."""
        if self.replaced:
            raise SpellError(
                "key_secret_replaced",
                f"this secret of key {self.key_id} was replaced by a rotation: until its grace period "
                f"ends it may only {' and '.join(sorted(GRACE_SCOPES))}; use the key's new secret",
            )

    @property
    def credits_account(self) -> str:
        return account_id(AccountKind.CASTER_CREDITS, self.user_id)

    @property
    def budget_subjects(self) -> list[str]:
        """Whose budgets a cast counts against: the caster's, and the key's it came with."""
        return [f"user:{self.user_id}", *([f"key:{self.key_id}"] if self.key_id else [])]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session,
    user_id: str,
    name: str,
    scopes: tuple[str, ...] = DEFAULT_SCOPES,
    expires_at: datetime | None = None,
) -> str:
    """Create a key for `user_id` and return it in full: the only time it is ever visible."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise SpellError("request_invalid", f"scopes must be some of {', '.join(SCOPES)}")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            id=key_id,
            user_id=user_id,
            name=name,
            secret_sha256=_digest(secret),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
            created_at=datetime.now(UTC),
        )
    )
    session.flush()
    return f"{KEY_PREFIX}{key_id}_{secret}"


def rotate_key(session: Session, key: ApiKey, grace: timedelta) -> str:
    """A new secret for the key; the old one keeps working for `grace`. Returns the new key."""
    secret = secrets.token_urlsafe(32)
    key.previous_secret_sha256 = key.secret_sha256
    key.previous_valid_until = datetime.now(UTC) + grace
    key.secret_sha256 = _digest(secret)
    session.flush()
    return f"{KEY_PREFIX}{key.id}_{secret}"


def authenticate(session: Session, presented: str | None) -> Caster:
    """The caster a presented key belongs to, or `SpellError('unauthenticated')`."""
    return authenticate_until(session, presented)[0]


def authenticate_until(session: Session, presented: str | None) -> tuple[Caster, datetime | None]:
    """`authenticate`, and the moment the presented secret stops being valid by itself (the key
    expires, or its rotation grace ends), if it does."""
    if not presented:
        raise SpellError("unauthenticated", "send an API key as 'Authorization: Bearer spell_sk_…'")
    match = _KEY_FORMAT.fullmatch(presented.strip())
    if match is None:
        raise SpellError("unauthenticated", "the API key is malformed; keys start with 'spell_sk_'")
    key_id, secret = match.groups()
    row = session.execute(_KEY_OWNER, {"key_id": key_id}).one_or_none()
    now = datetime.now(UTC)
    digest = _digest(secret)
    current = row is not None and hmac.compare_digest(row.secret_sha256, digest)
    previous = (
        row is not None
        and row.previous_secret_sha256 is not None
        and hmac.compare_digest(row.previous_secret_sha256, digest)
        and row.previous_valid_until is not None
        and row.previous_valid_until > now
    )
    if row is None or not (current or previous) or row.revoked_at:
        raise SpellError("unauthenticated", "the API key is unknown, revoked or replaced")
    if row.expires_at is not None and row.expires_at <= now:
        raise SpellError("unauthenticated", "the API key has expired; create a new one")
    stale = row.last_used_at is None or row.last_used_at < now - LAST_USED_PRECISION
    scopes = frozenset(row.scopes or DEFAULT_SCOPES)
    caster = Caster(
        user_id=row.id,
        key_id=key_id,
        is_operator=row.is_operator,
        scopes=scopes if current else scopes & GRACE_SCOPES,
        last_used_stale=stale,
        restricted=row.status == "restricted",
        replaced=not current,
    )
    ends = [row.expires_at, None if current else row.previous_valid_until]
    return caster, min((end for end in ends if end is not None), default=None)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def touch_key(key_id: str, session: Session) -> None:
    """Record that a key was used (at most once per LAST_USED_PRECISION, by the callers)."""
    session.execute(update(_keys).where(_keys.c.id == key_id).values(last_used_at=datetime.now(UTC)))


class KeyWatchers(Protocol):
    """Whoever remembers keys (every server process: spell_mcp/catalog/announcements.py), told
    when one is rotated or revoked."""

    async def key_changed(self, key_id: str) -> None: ...


def own_key(session: Session, caster: Caster, key_id: str) -> ApiKey:
    """One of the caster's keys."""
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != caster.user_id:
        raise SpellError("not_found", f"you have no API key {key_id}")
    return key


def scopes_for_new_key(caster: Caster, scopes: Iterable[str], expires_at: datetime | None) -> tuple[str, ...]:
    """The scopes a new key of the caster's may have (at most their own), sorted; refused when
    unknown, wider than the caster's, or when the key would expire in the past."""
    wanted = set(scopes)
    if unknown := sorted(wanted - set(SCOPES)):
        raise SpellError(
            "request_invalid",
            f"no such scope: {', '.join(unknown)[:200]}; scopes are {', '.join(sorted(SCOPES))}",
        )
    if not wanted <= caster.scopes:
        raise SpellError(
            "forbidden",
            f"a key cannot grant scopes its maker lacks: {', '.join(sorted(wanted - caster.scopes))}",
        )
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= datetime.now(UTC)):
        raise SpellError("request_invalid", "expires_at must be in the future, with a time zone")
    return tuple(sorted(wanted))


async def new_key(
    db: Database,
    caster: Caster,
    actor: audit.Actor,
    name: str,
    scopes: tuple[str, ...],
    expires_at: datetime | None = None,
    budget: dict[str, int | None] | None = None,
) -> tuple[ApiKey, str]:
    """A new key of the caster's with `scopes` (from `scopes_for_new_key`) and, given caps, a
    budget of its own: the key and its secret, shown this once."""

    def work(session: Session) -> tuple[ApiKey, str]:
        secret = create_key(session, caster.user_id, name, scopes, expires_at)
        key = own_key(session, caster, secret.split("_")[2])
        if budget is not None:
            Budgets(session).set(f"key:{key.id}", **budget)
        details = {"scopes": key.scopes, "budget": budget is not None}
        audit.record(session, actor, "key.created", "key", key.id, details=details)
        return key, secret

    return await db.write(work)


async def keys_of(db: Database, user_id: str) -> list[ApiKey]:
    """The user's keys, newest first."""
    query = (
        select(ApiKey)
        .where(col(ApiKey.user_id) == user_id)
        .order_by(col(ApiKey.created_at).desc(), col(ApiKey.id).desc())
    )
    return await db.read(lambda session: list(session.execute(query).scalars()))


async def rotate(
    db: Database, watchers: KeyWatchers, caster: Caster, key_id: str, grace: timedelta, actor: audit.Actor
) -> tuple[ApiKey, str]:
    """A new secret for one of the caster's keys; the old one keeps working for `grace`."""

    def work(session: Session) -> tuple[ApiKey, str]:
        key = own_key(session, caster, key_id)
        if key.revoked_at is not None:
            raise SpellError("not_found", f"API key {key_id} is revoked")
        if key.oauth_client_id is not None:
            raise SpellError(
                "request_invalid",
                "this key was granted to an agent you signed in: it renews its own tokens; "
                "revoke it to end them",
            )
        secret = rotate_key(session, key, grace)
        details = {"grace_s": int(grace.total_seconds())}
        audit.record(session, actor, "key.rotated", "key", key.id, details=details)
        return key, secret

    rotated = await db.write(work)
    await watchers.key_changed(key_id)
    return rotated


async def revoke(
    db: Database, watchers: KeyWatchers, caster: Caster, key_id: str, actor: audit.Actor
) -> None:
    """Revoke one of the caster's keys at once, on every server process."""

    def work(session: Session) -> None:
        key = own_key(session, caster, key_id)
        if key.revoked_at is None:
            key.revoked_at = datetime.now(UTC)
            audit.record(session, actor, "key.revoked", "key", key.id)

    await db.write(work)
    await watchers.key_changed(key_id)
