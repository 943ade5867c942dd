"""People in a browser: sign in with GitHub, stay signed in with a cookie, and prove every change
came from the page (CSRF).

Sign-in is OAuth 2.0's authorization code flow with PKCE (S256) and a `state`, both kept in a
short-lived cookie sealed with the platform's key, so the flow can only finish in the browser
that started it and on any server process. The GitHub account (by its numeric id, which never
changes) finds or creates the user. The session cookie's secret is stored only as a SHA-256;
its CSRF token must come back in `X-CSRF-Token` with every request the cookie authenticates
that is not GET, HEAD or OPTIONS (a page reads it from the `spell_csrf` cookie). Requests with
a Bearer API key carry no ambient credentials and need none of this.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from sqlalchemy import delete
from sqlalchemy.orm import Session
from sqlmodel import col, select

from spell_mcp import audit
from spell_mcp.accounts.keys import SCOPES, Caster
from spell_mcp.accounts.secrets import SecretBox
from spell_mcp.accounts.users import create_account, first_free_name
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import User, WebSession
from spell_mcp.errors import SpellError
from spell_mcp.settings import Settings

SESSION_COOKIE = "spell_session"
CSRF_COOKIE = "spell_csrf"
CSRF_HEADER = "X-CSRF-Token"
FLOW_COOKIE = "spell_sign_in"
FLOW_MAX_AGE_S = 600
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
GITHUB_SCOPE = "read:user"


@dataclass(frozen=True, slots=True)
class GitHubAccount:
    id: int
    login: str
    name: str | None


@dataclass(frozen=True, slots=True)
class NewSession:
    secret: str
    csrf_token: str


def enabled(settings: Settings) -> bool:
    return bool(settings.github_client_id and settings.github_client_secret)


def _client(settings: Settings, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.github_client_id,
        client_secret=settings.github_client_secret,
        redirect_uri=redirect_uri,
        scope=GITHUB_SCOPE,
        code_challenge_method="S256",
        timeout=15,
    )


def local_path(path: str | None) -> str | None:
    """`path` if it is a path on this site (where a browser may be sent once signed in), else
    None: never another site (`//evil.example`, `https://…`), nor anything odd."""
    if not path or len(path) > 2000 or not path.startswith("/") or path.startswith("//"):
        return None
    if "\\" in path or any(ord(c) < 0x21 or ord(c) == 0x7F for c in path):
        return None
    parts = urlsplit(path)
    return path if not parts.scheme and not parts.netloc else None


def start(settings: Settings, box: SecretBox, redirect_uri: str, then: str | None = None) -> tuple[str, str]:
    """The GitHub URL to send the browser to, and the sealed flow cookie to set meanwhile (with
    the local path to go on to once signed in, `then`, if any)."""
    state, verifier = generate_token(32), generate_token(64)
    url, _ = _client(settings, redirect_uri).create_authorization_url(
        settings.github_authorize_url, state=state, code_verifier=verifier
    )
    sealed = box.seal(json.dumps({"state": state, "verifier": verifier, "then": local_path(then)})).decode()
    return url, sealed


async def finish(
    settings: Settings, box: SecretBox, redirect_uri: str, flow_cookie: str | None, code: str, state: str
) -> tuple[GitHubAccount, str | None]:
    """Check the flow, trade the code for a token (with the PKCE verifier), and ask GitHub whose
    account it is; and where the browser goes on to, if the flow said."""
    opened = box.open(flow_cookie.encode(), max_age_s=FLOW_MAX_AGE_S) if flow_cookie else None
    flow = json.loads(opened) if opened else None
    if not flow or not hmac.compare_digest(str(flow["state"]), state):
        raise SpellError(
            "sign_in_failed", "this sign-in was started elsewhere or expired; start again at /v1/auth/github"
        )
    async with _client(settings, redirect_uri) as client:
        try:
            token = await client.fetch_token(
                settings.github_token_url,
                code=code,
                code_verifier=flow["verifier"],
                headers={"Accept": "application/json"},
            )
            if "access_token" not in token:
                raise ValueError(token.get("error", "no access token"))
            response = await client.get(f"{settings.github_api_url.rstrip('/')}/user")
            response.raise_for_status()
            profile: dict[str, Any] = response.json()
        except Exception:
            raise SpellError("sign_in_failed", "GitHub did not confirm the sign-in; start again") from None
    if not isinstance(profile.get("id"), int) or not isinstance(profile.get("login"), str):
        raise SpellError("sign_in_failed", "GitHub answered without an account id")
    account = GitHubAccount(id=profile["id"], login=profile["login"], name=profile.get("name"))
    return account, local_path(flow.get("then"))


def user_for(session: Session, account: GitHubAccount) -> str:
    """The user this GitHub account signs in as, created on its first sign-in (no API key until
    it makes one), named as on GitHub; where that name may not be theirs (taken, kept for the
    operators, or holding invisible characters), by the GitHub login, then the login and id."""
    query = select(col(User.id)).where(col(User.github_id) == account.id)
    found = session.execute(query).scalar_one_or_none()
    if found is not None:
        return str(found)
    login = account.login
    name = first_free_name(session, [account.name or login, login, f"{login}-{account.id}"])
    return create_account(
        session, name or f"{login}-{account.id}-{secrets.token_hex(3)}", github_id=account.id
    )


def open_session(session: Session, user_id: str, lifetime: timedelta) -> NewSession:
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.add(
        WebSession(
            secret_sha256=_digest(secret),
            user_id=user_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return NewSession(secret=secret, csrf_token=csrf)


def close_session(session: Session, secret: str) -> None:
    session.execute(delete(WebSession).where(col(WebSession.secret_sha256) == _digest(secret)))


def session_caster(session: Session, secret: str, method: str, csrf_header: str | None) -> Caster:
    """The user a session cookie signs in, checking the CSRF token on unsafe methods."""
    row = session.get(WebSession, _digest(secret))
    if row is None or row.expires_at <= datetime.now(UTC):
        raise SpellError("unauthenticated", "the sign-in has expired; sign in again at /v1/auth/github")
    if method.upper() not in SAFE_METHODS and not (
        csrf_header and hmac.compare_digest(csrf_header, row.csrf_token)
    ):
        raise SpellError("csrf_failed", f"send the session's CSRF token in {CSRF_HEADER}")
    user = session.get(User, row.user_id)
    if user is None:
        raise SpellError("unauthenticated", "the signed-in account no longer exists")
    return Caster(
        user_id=user.id,
        key_id=None,
        is_operator=user.is_operator,
        scopes=frozenset(SCOPES),
        restricted=user.status == "restricted",
    )


async def browser_caster(db: Database, secret: str, method: str, csrf_header: str | None) -> Caster:
    """The caster a session cookie authenticates (`session_caster`)."""
    return await db.read(lambda session: session_caster(session, secret, method, csrf_header))


async def sign_in_with_github(
    db: Database, account: GitHubAccount, lifetime: timedelta, address_hash: str | None
) -> NewSession:
    """A session for the user this GitHub account signs in as (made on its first sign-in), audited."""

    def work(session: Session) -> NewSession:
        actor = audit.Actor(user_for(session, account), via="web", address_hash=address_hash)
        return _signed_in(session, actor, "github", lifetime)

    return await db.write(work)


async def sign_in_with_key(
    db: Database, caster: Caster, lifetime: timedelta, address_hash: str | None
) -> NewSession:
    """A session for the owner of an API key that may do everything (a caster's first key, with
    the admin scope), audited: a narrow key handed to an agent, or a secret a rotation replaced,
    never becomes a full session."""
    caster.require_current()
    if "admin" not in caster.scopes or caster.key_id is None:
        raise SpellError("forbidden", "only a key with the admin scope (your first key) signs a browser in")
    actor = audit.Actor(caster.user_id, caster.key_id, via="web", address_hash=address_hash)
    return await db.write(lambda session: _signed_in(session, actor, "api_key", lifetime))


def _signed_in(session: Session, actor: audit.Actor, how: str, lifetime: timedelta) -> NewSession:
    user_id = actor.user_id
    assert user_id is not None
    audit.record(session, actor, "user.signed_in", "user", user_id, details={"with": how})
    return open_session(session, user_id, lifetime)


async def sign_out(db: Database, secret: str, actor: audit.Actor) -> None:
    """Close the session the cookie holds, audited as its user's."""
    user_id = actor.user_id
    assert user_id is not None

    def work(session: Session) -> None:
        close_session(session, secret)
        audit.record(session, actor, "user.signed_out", "user", user_id)

    await db.write(work)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
