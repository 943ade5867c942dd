"""The tokens an agent gets when a person signs it in, and what they authenticate.

A grant is an API key (spell_mcp/accounts/keys.py) with the scopes, budget and expiry the person
chose; its access and refresh tokens refer to it, so whatever ends the key (revoked on the keys
page, expired, its owner erased) ends them. Tokens read `spell_at_…` (access) and `spell_rt_…`
(refresh), so that secret scanners know them and a request's credential says what it is; only
their SHA-256 is stored. An access token is accepted only by the MCP endpoint it was issued for
(its RFC 8707 resource), never by the REST API or another server's name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from registry.models import table_of
from spell_mcp import audit
from spell_mcp.accounts.keys import LAST_USED_PRECISION, ApiKey, Caster
from spell_mcp.accounts.oauth.clients import digest
from spell_mcp.database.tables import OAuthClient, OAuthCode, OAuthToken, User
from spell_mcp.errors import SpellError

ACCESS_PREFIX = "spell_at_"
REFRESH_PREFIX = "spell_rt_"
_tokens, _keys, _users = table_of(OAuthToken), table_of(ApiKey), table_of(User)
_ACCESS = (
    select(
        _tokens.c.kind,
        _tokens.c.scopes,
        _tokens.c.resource,
        _tokens.c.expires_at,
        _tokens.c.revoked_at,
        _keys.c.id.label("key_id"),
        _keys.c.scopes.label("key_scopes"),
        _keys.c.expires_at.label("key_expires_at"),
        _keys.c.revoked_at.label("key_revoked_at"),
        _keys.c.last_used_at,
        _users.c.id.label("user_id"),
        _users.c.is_operator,
        _users.c.status,
    )
    .join(_keys, _keys.c.id == _tokens.c.key_id)
    .join(_users, _users.c.id == _keys.c.user_id)
)


def is_access_token(presented: str | None) -> bool:
    return bool(presented) and str(presented).startswith(ACCESS_PREFIX)


def authenticate_access_token(session: Session, presented: str) -> tuple[Caster, datetime | None]:
    """The caster an access token authenticates, and when it stops doing so; or
    `SpellError('unauthenticated')`. The caster's `resource` says where it may be used."""
    row = session.execute(_ACCESS.where(_tokens.c.token_sha256 == digest(presented.strip()))).one_or_none()
    now = datetime.now(UTC)
    if row is None or row.kind != "access" or row.revoked_at is not None or row.key_revoked_at is not None:
        raise SpellError("unauthenticated", "the access token is unknown or revoked; sign the agent in again")
    ends = [end for end in (row.expires_at, row.key_expires_at) if end is not None]
    if min(ends) <= now:
        raise SpellError(
            "unauthenticated", "the access token has expired; the agent refreshes it or signs in again"
        )
    caster = Caster(
        user_id=row.user_id,
        key_id=row.key_id,
        is_operator=row.is_operator,
        scopes=frozenset(row.scopes) & frozenset(row.key_scopes),
        last_used_stale=row.last_used_at is None or row.last_used_at < now - LAST_USED_PRECISION,
        restricted=row.status == "restricted",
        resource=row.resource,
    )
    return caster, min(ends)


def revoke_grant(session: Session, key_id: str, reason: str, now: datetime) -> bool:
    """End a grant: its key is revoked, and every token of it with the key. Whether it was live."""
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = now
    actor = audit.Actor(key.user_id, key.id, via="oauth")
    audit.record(session, actor, "key.revoked", "key", key.id, details={"reason": reason}, now=now)
    return True


UNUSED_CLIENT_DAYS = 1


def forget_spent(session: Session, now: datetime) -> int:
    """Forget what can no longer be used: expired codes and tokens (a used one is kept until it
    expires, so that a second use is recognised), and agents that registered or were looked up
    a day ago and were never granted anything (anyone may register one). How many rows."""
    forgotten = 0
    for table, ends in ((OAuthCode, OAuthCode.expires_at), (OAuthToken, OAuthToken.expires_at)):
        forgotten += session.execute(delete(table).where(col(ends) <= now)).rowcount  # type: ignore[attr-defined]
    granted = select(col(ApiKey.oauth_client_id)).where(col(ApiKey.oauth_client_id).is_not(None))
    unused = delete(OAuthClient).where(
        col(OAuthClient.created_at) <= now - timedelta(days=UNUSED_CLIENT_DAYS),
        col(OAuthClient.client_id).not_in(granted),
    )
    forgotten += session.execute(unused).rowcount  # type: ignore[attr-defined]
    return int(forgotten)
