"""The agents that may ask a person to sign them in: who they are, where they may send the person
back to, and how they prove themselves at the token endpoint.

An agent is known one of two ways (MCP authorization, 2025-11-25, "Client Registration"):

- by the URL of its Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document):
  its `client_id` is an https URL, fetched through the platform's network gate (runtime/net.py:
  https only, every address the name resolves to public, the connection pinned to it, no
  redirects, a few kilobytes at most) and kept until its Cache-Control says to fetch it again;
- or registered here (RFC 7591), for clients that predate those documents: anyone may register,
  so nothing a registration says is trusted beyond being shown to the person as the agent's
  claim. A registered client's secret, when it has one, is kept only as a SHA-256.

Redirect URIs: https; http only back to this machine (a loopback address, any port, as RFC 8252
§7.3 asks); or an app's own private-use scheme (RFC 8252 §7.1: Cursor's `cursor://…`). Never a
scheme the browser acts on itself (javascript:, data:, file:…), a fragment or credentials.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin
from sqlalchemy.orm import Session

from runtime.net import NetworkGate, Refused
from spell_mcp.database.tables import OAuthClient

# What an agent may be granted: never `admin` (that makes keys and opens browser sessions).
GRANTABLE = ("cast", "read", "publish", "billing")
# Asked for when an agent names no scope: what MCP's tools need.
DEFAULT_SCOPES = ("cast", "read")
# Asked for by clients that want a refresh token (MCP 2026-07-28 "Refresh Tokens"); every grant
# whose client may refresh gets one, so it adds nothing to what is granted.
OFFLINE_ACCESS = "offline_access"
AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
GRANT_TYPES = ("authorization_code", "refresh_token")
MAX_CLIENT_ID = 512
MAX_DOCUMENT_BYTES = 5 * 1024  # the draft's suggested bound on a metadata document
FETCH_TIMEOUT_S = 5.0
# How long a fetched document is kept: its Cache-Control max-age, within these bounds.
MIN_KEEP = timedelta(minutes=1)
MAX_KEEP = timedelta(days=1)
DEFAULT_KEEP = timedelta(hours=1)
# Schemes a browser handles itself: never a place to send a person back to with a code.
BROWSER_SCHEMES = frozenset(
    [
        "javascript",
        "data",
        "vbscript",
        "file",
        "blob",
        "about",
        "filesystem",
        "view-source",
        "ftp",
        "ws",
        "wss",
        "mailto",
        "tel",
        "sms",
        "intent",
    ]
)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")


class ClientProblem(Exception):
    """An agent that cannot be used: unknown, or its metadata document is unusable (`message`
    says why, in words the person and the agent's developer can act on, in plain ASCII)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def digest(secret: str) -> str:
    """How a client's secret, a code or a token is kept: its SHA-256 (each has 256 bits of
    entropy, so a slow hash would add nothing)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_problem(uri: str) -> str | None:
    """Why `uri` may not be a redirect URI (see the module's docstring), or None."""
    if not uri or len(uri) > 2000 or any(not 0x21 <= ord(c) <= 0x7E for c in uri):
        return "is not a plain URL"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return "is not a URL"
    scheme = parts.scheme.lower()
    if "#" in uri:
        return "has a fragment"
    if "@" in parts.netloc:
        return "carries credentials"
    if scheme == "https":
        return None if parts.hostname else "has no host"
    if scheme == "http":
        return None if _is_loopback(parts.hostname) else "uses http to another machine (only https may)"
    if not _SCHEME.fullmatch(scheme) or scheme in BROWSER_SCHEMES:
        return f"uses the {scheme or 'empty'} scheme, which cannot take a person back to an app"
    return None


def redirect_matches(registered: list[str], requested: str) -> bool:
    """Exact match, except that a loopback http URI matches on any port (RFC 8252 §7.3)."""
    if requested in registered:
        return True
    asked = urlsplit(requested)
    if asked.scheme != "http" or not _is_loopback(asked.hostname):
        return False
    return any(
        (known.scheme, known.hostname, known.path, known.query)
        == (asked.scheme, asked.hostname, asked.path, asked.query)
        for known in map(urlsplit, registered)
    )


def is_metadata_url(client_id: str) -> bool:
    """Whether `client_id` names a metadata document: an https URL with a path."""
    parts = urlsplit(client_id)
    return parts.scheme == "https" and bool(parts.hostname) and parts.path not in ("", "/")


@dataclass(frozen=True)
class Client(ClientMixin):  # type: ignore[misc]
    """A known agent, as authlib asks about it."""

    client_id: str
    document: dict[str, Any]
    secret_sha256: str | None = None

    @classmethod
    def of(cls, row: OAuthClient) -> Client:
        return cls(row.client_id, row.document, row.secret_sha256)

    @property
    def name(self) -> str:
        return str(self.document.get("client_name") or self.client_id)

    @property
    def from_document(self) -> bool:
        """Known by its metadata document, whose host vouches for its name (a registered client's
        id is never a URL)."""
        return is_metadata_url(self.client_id)

    @property
    def redirect_uris(self) -> list[str]:
        return [str(uri) for uri in self.document.get("redirect_uris", [])]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The scopes asked for that this client may have (the default ones when it asks for
        none); None, refused as invalid_scope, when that leaves nothing."""
        wanted = [s for s in (scope or "").split() if s != OFFLINE_ACCESS] or list(DEFAULT_SCOPES)
        allowed = set((self.document.get("scope") or " ".join(GRANTABLE)).split())
        return " ".join(s for s in dict.fromkeys(wanted) if s in allowed) or None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_matches(self.redirect_uris, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret_sha256 is not None and hmac.compare_digest(
            self.secret_sha256, digest(client_secret)
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == str(self.document.get("token_endpoint_auth_method", "client_secret_basic"))

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in list(self.document.get("grant_types", ["authorization_code"]))


def find(session: Session, client_id: str) -> Client | None:
    row = session.get(OAuthClient, client_id) if len(client_id) <= MAX_CLIENT_ID else None
    return Client.of(row) if row is not None else None


def register(
    session: Session, client_id: str, secret: str | None, document: dict[str, Any], now: datetime
) -> None:
    """Keep a client registered here (RFC 7591), with its secret's digest if it has one."""
    secret_sha256 = digest(secret) if secret else None
    session.add(
        OAuthClient(client_id=client_id, secret_sha256=secret_sha256, document=document, created_at=now)
    )


def metadata_url_problem(client_id: str) -> str | None:
    """Why `client_id` cannot be the URL of a metadata document (the draft's section 3), or None."""
    if len(client_id) > MAX_CLIENT_ID:
        return f"is longer than {MAX_CLIENT_ID} characters"
    parts = urlsplit(client_id)
    if parts.fragment or "#" in client_id:
        return "has a fragment"
    if "@" in parts.netloc:
        return "carries credentials"
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return "has dot segments in its path"
    return None


def document_problem(client_id: str, document: Any) -> str | None:
    """Why a fetched metadata document cannot be used, or None."""
    if not isinstance(document, dict):
        return "is not a JSON object"
    if document.get("client_id") != client_id:
        return "names another client_id than its own URL"
    if not isinstance(document.get("client_name"), str) or not document["client_name"].strip():
        return "has no client_name"
    uris = document.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(uri, str) for uri in uris):
        return "lists no redirect_uris"
    for uri in uris:
        if (problem := redirect_uri_problem(uri)) is not None:
            return f"lists a redirect URI that {problem}"
    if "client_secret" in document or "client_secret_expires_at" in document:
        return "carries a client secret (a metadata document is public)"
    if document.get("token_endpoint_auth_method", "none") != "none":
        return "asks for a token endpoint authentication other than none"
    grant_types = document.get("grant_types", ["authorization_code"])
    if not isinstance(grant_types, list) or not set(grant_types) <= set(GRANT_TYPES):
        return "asks for grant types other than authorization_code and refresh_token"
    if document.get("response_types", ["code"]) != ["code"]:
        return "asks for response types other than code"
    return None


def _keep_for(cache_control: str | None) -> timedelta:
    directives = [part.strip().lower() for part in (cache_control or "").split(",")]
    if "no-store" in directives or "no-cache" in directives:
        return MIN_KEEP
    for directive in directives:
        name, _, value = directive.partition("=")
        if name == "max-age" and value.strip().isdigit():
            return min(max(timedelta(seconds=int(value.strip())), MIN_KEEP), MAX_KEEP)
    return DEFAULT_KEEP


def fetch_document(gate: NetworkGate, client_id: str) -> tuple[dict[str, Any], timedelta]:
    """Fetch and check an agent's metadata document through the network gate (blocking: run it
    in a worker thread); the document and how long it may be kept. Raises `ClientProblem`."""
    if (problem := metadata_url_problem(client_id)) is not None:
        raise ClientProblem(f"the client_id {problem}")
    try:
        fetched = gate.get(client_id, [("Accept", "application/json")], FETCH_TIMEOUT_S, MAX_DOCUMENT_BYTES)
    except Refused as refusal:
        reason = refusal.message.encode("ascii", "replace").decode().replace('"', "'").replace("\\", "/")
        raise ClientProblem(f"the client's metadata document could not be fetched: {reason}") from None
    if fetched.status != 200:
        raise ClientProblem(f"the client's metadata document answered HTTP {fetched.status}, not 200")
    try:
        document = json.loads(fetched.body)
    except ValueError:
        raise ClientProblem("the client's metadata document is not JSON") from None
    if (problem := document_problem(client_id, document)) is not None:
        raise ClientProblem(f"the client's metadata document {problem}")
    # A public client: it proves itself with PKCE alone.
    return {**document, "token_endpoint_auth_method": "none"}, _keep_for(fetched.headers.get("cache-control"))


def cached_document(session: Session, client_id: str, now: datetime) -> bool:
    """Whether a metadata document of `client_id` is kept and fresh."""
    row = session.get(OAuthClient, client_id)
    return row is not None and row.refresh_after is not None and row.refresh_after > now


def keep_document(
    session: Session, client_id: str, document: dict[str, Any], keep: timedelta, now: datetime
) -> None:
    """Keep (or replace) the copy of a fetched metadata document."""
    row = session.get(OAuthClient, client_id)
    if row is None:
        session.add(
            OAuthClient(client_id=client_id, document=document, created_at=now, refresh_after=now + keep)
        )
    elif row.refresh_after is not None:  # a document kept before, never a registered client
        row.document, row.refresh_after = document, now + keep
