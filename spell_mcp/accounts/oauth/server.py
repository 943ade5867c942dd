"""Spell as the OAuth 2.1 authorization server of its own MCP endpoint, built on authlib's
(`authlib.oauth2`): its authorization code grant with PKCE (S256 only, always), its refresh
grant (every refresh replaces the refresh token), RFC 7591 registration, RFC 7009 revocation and
RFC 9207's `iss` on every authorization response. What is ours: where things are stored, RFC
8707 resource indicators (authlib has none), metadata documents as client ids, and the grant
itself, which is an API key with a budget (spell_mcp/accounts/oauth/tokens.py).

authlib is synchronous and sans-IO here: a `Server` is made for one database transaction and
answers one request (`Incoming`) with an `Outgoing`; spell_mcp/accounts/oauth/service.py runs it
in the store's worker thread and the REST face turns the answer into HTTP.

Authorization codes and refresh tokens are used up by a conditional update before anything is
issued for them, so two requests racing with one code (or one refresh token) cannot both win;
the loser's attempt is a replay, and a replay ends the whole grant (OAuth 2.1 §4.1.3, §4.3.1).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import AuthorizationServer, OAuth2Error
from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    InvalidScopeError,
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import (
    ClientRegistrationEndpoint,
    InvalidClientMetadataError,
    InvalidRedirectURIError,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlalchemy import update
from sqlalchemy.orm import Session

from registry.models import table_of
from spell_mcp.accounts.keys import ApiKey
from spell_mcp.accounts.oauth import clients
from spell_mcp.accounts.oauth.clients import AUTH_METHODS, GRANT_TYPES, Client, digest
from spell_mcp.accounts.oauth.tokens import ACCESS_PREFIX, REFRESH_PREFIX, revoke_grant
from spell_mcp.database.tables import OAuthCode, OAuthToken, User

# At the root, where clients that find no metadata look for them (MCP 2025-03-26, "Fallbacks"),
# and where the Python SDK's client refreshes before it has read the metadata again.
AUTHORIZE_PATH = "/authorize"
TOKEN_PATH = "/token"  # noqa: S105 - a path, not a password
REGISTER_PATH = "/register"
REVOKE_PATH = "/revoke"
CODE_LIFETIME = timedelta(minutes=5)
# What is used once: a code, a refresh token (its digest's column, and the moment it was used).
_USED = {OAuthCode: ("code_sha256", "used_at"), OAuthToken: ("token_sha256", "replaced_at")}
# RFC 6749 error descriptions are restricted to printable ASCII without '"' and '\'.
_SAFE = {chr(c) for c in range(0x20, 0x7F)} - {'"', "\\"}


def safe(text: str, limit: int = 200) -> str:
    """`text` as an error description may carry it."""
    return "".join(c if c in _SAFE else "?" for c in text[:limit])


class InvalidTargetError(OAuth2Error):  # type: ignore[misc]
    """RFC 8707 §2: the resource a token is asked for is not served here."""

    error = "invalid_target"


@dataclass(frozen=True)
class Issuer:
    """This authorization server as one request reaches it: its issuer identifier (the public
    base URL), the resources its tokens may be bound to (the MCP endpoints), and its lifetimes."""

    url: str
    resources: frozenset[str]
    default_resource: str
    access_token_lifetime: timedelta
    refresh_token_lifetime: timedelta
    now: datetime

    def endpoint(self, path: str) -> str:
        return f"{self.url}{path}"


def canonical_resource(resource: str) -> str | None:
    """A resource indicator as stored and compared: scheme and host in lower case, no trailing
    slash; None when it is no absolute URI or has a fragment (RFC 8707 §2)."""
    try:
        parts = urlsplit(resource)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc or "#" in resource:
        return None
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}{query}"


def metadata(issuer: Issuer) -> dict[str, Any]:
    """RFC 8414 authorization server metadata."""
    methods = list(AUTH_METHODS)
    return {
        "issuer": issuer.url,
        "authorization_endpoint": issuer.endpoint(AUTHORIZE_PATH),
        "token_endpoint": issuer.endpoint(TOKEN_PATH),
        "registration_endpoint": issuer.endpoint(REGISTER_PATH),
        "revocation_endpoint": issuer.endpoint(REVOKE_PATH),
        "scopes_supported": [*clients.GRANTABLE, clients.OFFLINE_ACCESS],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": methods,
        "revocation_endpoint_auth_methods_supported": methods,
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": True,
        "authorization_response_iss_parameter_supported": True,
        "service_documentation": issuer.endpoint("/docs"),
    }


@dataclass(frozen=True)
class Incoming:
    """One request to the authorization server: `params` are the query's (GET) or the form's
    (POST), in order, repeated names kept; `json` is a registration's body."""

    method: str
    url: str
    headers: Mapping[str, str]
    params: list[tuple[str, str]] = field(default_factory=list)
    json: dict[str, Any] | None = None


@dataclass
class Outgoing:
    """The answer: a status, a JSON body (or none) and headers."""

    status: int
    body: dict[str, Any] | None
    headers: list[tuple[str, str]]

    @property
    def location(self) -> str | None:
        return next((value for name, value in self.headers if name.lower() == "location"), None)

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(n, v) for n, v in self.headers if n.lower() != "location"] + [("Location", value)]


@dataclass(frozen=True)
class Approval:
    """What a person granted an agent: the key made for it, with these scopes."""

    key_id: str
    scopes: list[str]


@dataclass(frozen=True)
class Grant:
    """A live grant, as a code or refresh token leads to it."""

    key_id: str
    user_id: str
    resource: str
    key_expires_at: datetime | None


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, params: list[tuple[str, str]]) -> None:
        self._datalist: dict[str, list[str]] = {}
        for name, value in params:
            self._datalist.setdefault(name, []).append(value)
        self._data = {name: values[0] for name, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, incoming: Incoming) -> None:
        super().__init__(incoming.method, incoming.url, headers=incoming.headers)
        self.payload = _Payload(incoming.params)
        self.resource: str | None = None

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data if self.method == "POST" else {}


class _JsonPayload(JsonPayload):  # type: ignore[misc]
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        return self._data


@dataclass
class _Code:
    """A used-up authorization code, as authlib's code grant asks about it."""

    row: OAuthCode

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return " ".join(self.row.scopes)


@dataclass
class _Token(TokenMixin):  # type: ignore[misc]
    row: OAuthToken

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.client_id

    def get_scope(self) -> str:
        return " ".join(self.row.scopes)


class Server(AuthorizationServer):  # type: ignore[misc]
    """authlib's authorization server on one database session, for one request."""

    def __init__(self, session: Session, issuer: Issuer) -> None:
        super().__init__(scopes_supported=[*clients.GRANTABLE, clients.OFFLINE_ACCESS])
        self.session = session
        self.issuer = issuer
        # Keys whose grants ended or whose tokens were revoked during this request: every server
        # process must forget what it remembers of them.
        self.changed: list[str] = []
        self.register_token_generator("default", self._generate_token)
        self.register_grant(CodeGrant, [S256Only(), ResourceIndicator()])
        self.register_grant(RefreshGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Registration)

    # -- what authlib asks of a framework ------------------------------------------------------

    def query_client(self, client_id: str) -> Client | None:
        return clients.find(self.session, client_id)

    def create_oauth2_request(self, request: Incoming | _Request) -> _Request:
        return request if isinstance(request, _Request) else _Request(request)

    def create_json_request(self, request: Incoming) -> JsonRequest:
        json_request = JsonRequest(request.method, request.url, request.headers)
        json_request.payload = _JsonPayload(request.json or {})
        return json_request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Outgoing:
        return Outgoing(status, body if isinstance(body, dict) else None, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    # -- responses -----------------------------------------------------------------------------

    def with_issuer(self, response: Outgoing) -> Outgoing:
        """RFC 9207 §2: every authorization response names its issuer, errors included."""
        if response.location is not None:
            response.location = add_params_to_uri(response.location, [("iss", self.issuer.url)])
        return response

    def refusal(self, request: _Request, error: OAuth2Error) -> Outgoing:
        """An authorization request's error: sent back to the client when its redirect URI was
        checked, else for the person to read (`location` None)."""
        error.state = request.payload.state
        return self.with_issuer(self.handle_error_response(request, error))

    # -- tokens --------------------------------------------------------------------------------

    def _generate_token(
        self,
        grant_type: str,
        client: Client,
        user: Grant | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        assert user is not None  # both grants authenticate a user first
        lifetime = self._lifetime(user, self.issuer.access_token_lifetime)
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": ACCESS_PREFIX + secrets.token_urlsafe(32),
            "expires_in": max(1, int(lifetime.total_seconds())),
            "scope": scope or "",
        }
        if include_refresh_token:
            token["refresh_token"] = REFRESH_PREFIX + secrets.token_urlsafe(32)
        return token

    def _lifetime(self, grant: Grant, wanted: timedelta) -> timedelta:
        """`wanted`, or less when the grant's key expires sooner."""
        if grant.key_expires_at is None:
            return wanted
        return min(wanted, grant.key_expires_at - self.issuer.now)

    def save_token(self, token: dict[str, Any], request: _Request) -> None:
        grant: Grant = request.user
        now = self.issuer.now
        issued = [("access", token["access_token"], now + timedelta(seconds=token["expires_in"]))]
        if "refresh_token" in token:
            until = now + self._lifetime(grant, self.issuer.refresh_token_lifetime)
            issued.append(("refresh", token["refresh_token"], until))
        for kind, value, expires_at in issued:
            self.session.add(
                OAuthToken(
                    token_sha256=digest(value),
                    kind=kind,
                    key_id=grant.key_id,
                    client_id=request.client.client_id,
                    scopes=token["scope"].split(),
                    resource=grant.resource,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    def grant_of(self, key_id: str, resource: str) -> Grant | None:
        """The grant a key is, while it is live (neither revoked, expired nor erased)."""
        key = self.session.get(ApiKey, key_id)
        if key is None or key.revoked_at is not None:
            return None
        if key.expires_at is not None and key.expires_at <= self.issuer.now:
            return None
        user = self.session.get(User, key.user_id)
        if user is None or user.status == "erased":
            return None
        return Grant(key.id, key.user_id, resource, key.expires_at)

    def use_up(self, table: type[OAuthCode | OAuthToken], sha256: str, key_id: str) -> bool:
        """Mark a code or refresh token used, unless it already was: then this is its second
        use, which ends the grant it belongs to. Whether this use is the first."""
        key, used_at = (table_of(table).c[name] for name in _USED[table])
        unused = (key == sha256) & used_at.is_(None)
        used = self.session.execute(
            update(table_of(table)).where(unused).values({used_at.name: self.issuer.now})
        )
        if used.rowcount == 1:  # type: ignore[attr-defined]
            return True
        self.end_grant(key_id, f"a {'code' if table is OAuthCode else 'refresh token'} was used twice")
        return False

    def end_grant(self, key_id: str, reason: str) -> None:
        if revoke_grant(self.session, key_id, reason, self.issuer.now):
            self.changed.append(key_id)


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE on every authorization request, with S256 only: a request without a challenge, or
    with the plain method (also what an absent method means, RFC 7636 §4.3), is refused."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: grants.AuthorizationCodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("only code_challenge_method=S256 is supported")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: _Code) -> str:
        return authorization_code.row.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: _Code) -> str:
        return "S256"


class ResourceIndicator:
    """RFC 8707 on the code grant: an authorization request names at most one resource, one of
    this server's MCP endpoints (its default when it names none); a token request naming one must
    name the code's."""

    def __call__(self, grant: grants.AuthorizationCodeGrant) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.check_request)
        grant.register_hook("after_validate_token_request", self.check_token_request)

    @staticmethod
    def check_request(grant: grants.AuthorizationCodeGrant, result: Any) -> None:
        server: Server = grant.server
        named = grant.request.payload.datalist.get("resource", [])
        if len(named) > 1:
            raise InvalidTargetError("name one resource: tokens here are for one MCP endpoint")
        resource = canonical_resource(named[0]) if named else server.issuer.default_resource
        if resource not in server.issuer.resources:
            raise InvalidTargetError(f"tokens here are only for {server.issuer.default_resource}")
        grant.request.resource = resource

    @staticmethod
    def check_token_request(grant: grants.AuthorizationCodeGrant, result: Any) -> None:
        named = grant.request.form.get("resource")
        code: _Code = grant.request.authorization_code
        if named is not None and canonical_resource(named) != code.row.resource:
            raise InvalidTargetError(f"this code was granted for {code.row.resource}")


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)
    server: Server

    @staticmethod
    def validate_authorization_redirect_uri(request: _Request, client: Client) -> str:
        named = request.payload.redirect_uri
        if named:
            if not client.check_redirect_uri(named):
                raise InvalidRequestError(f"the redirect URI {safe(named)} is not registered for this client")
            return str(named)
        default = client.get_default_redirect_uri()
        if not default:
            raise InvalidRequestError("name the redirect_uri: the client has several")
        return default

    def save_authorization_code(self, code: str, request: _Request) -> None:
        approval: Approval = request.user
        assert request.resource is not None  # ResourceIndicator checked it
        self.server.session.add(
            OAuthCode(
                code_sha256=digest(code),
                client_id=request.client.client_id,
                key_id=approval.key_id,
                redirect_uri=request.payload.redirect_uri,
                scopes=approval.scopes,
                resource=request.resource,
                code_challenge=request.payload.data["code_challenge"],
                expires_at=self.server.issuer.now + CODE_LIFETIME,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> _Code | None:
        server, sha256 = self.server, digest(code)
        row = server.session.get(OAuthCode, sha256)
        if row is None or row.client_id != client.client_id or row.expires_at <= server.issuer.now:
            return None
        if not server.use_up(OAuthCode, sha256, row.key_id):
            return None
        return _Code(row)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        """Nothing left to do: the code was used up when it was looked up, and is kept until it
        expires so that a second use is recognised."""

    def authenticate_user(self, authorization_code: _Code) -> Grant | None:
        return self.server.grant_of(authorization_code.row.key_id, authorization_code.row.resource)


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: Server

    def authenticate_refresh_token(self, refresh_token: str) -> _Token | None:
        server, sha256 = self.server, digest(refresh_token)
        row = server.session.get(OAuthToken, sha256)
        client: Client = self.request.client
        if row is None or row.kind != "refresh" or row.client_id != client.client_id:
            return None
        if row.revoked_at is not None or row.expires_at <= server.issuer.now:
            return None
        if server.grant_of(row.key_id, row.resource) is None:  # revoked or expired with its key
            return None
        # Checked before the token is used up: a request the server refuses costs the agent nothing.
        wanted = set((self.request.payload.scope or "").split()) - {clients.OFFLINE_ACCESS}
        if not wanted <= set(row.scopes):
            raise InvalidScopeError("a refresh cannot widen the scopes the person granted")
        named = self.request.form.get("resource")
        if named is not None and canonical_resource(named) != row.resource:
            raise InvalidTargetError(f"this grant is for {row.resource}")
        if not server.use_up(OAuthToken, sha256, row.key_id):
            return None
        return _Token(row)

    def _validate_token_scope(self, token: _Token) -> None:
        """Checked in `authenticate_refresh_token`, before the token is used up."""

    def issue_token(self, user: Grant, refresh_token: _Token) -> dict[str, Any]:
        wanted = [s for s in (self.request.payload.scope or "").split() if s != clients.OFFLINE_ACCESS]
        scope = " ".join(wanted) or refresh_token.get_scope()
        return self.generate_token(user=user, scope=scope, include_refresh_token=True)  # type: ignore[no-any-return]

    def authenticate_user(self, refresh_token: _Token) -> Grant | None:
        return self.server.grant_of(refresh_token.row.key_id, refresh_token.row.resource)

    def revoke_old_credential(self, refresh_token: _Token) -> None:
        """Nothing left to do: the refresh token was used up when it was looked up."""


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009. Revoking a refresh token ends the whole grant (the agent signed out);
    revoking an access token ends that token."""

    CLIENT_AUTH_METHODS = list(AUTH_METHODS)
    server: Server

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        row = self.server.session.get(OAuthToken, digest(token_string))
        return _Token(row) if row is not None else None

    def revoke_token(self, token: _Token, request: _Request) -> None:
        if token.row.kind == "refresh":
            self.server.end_grant(token.row.key_id, "the agent signed out")
        elif token.row.revoked_at is None:
            token.row.revoked_at = self.server.issuer.now
            self.server.changed.append(token.row.key_id)


class Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    """RFC 7591, open to anyone (MCP clients register themselves before a person is involved):
    what a client says of itself is shown to the person as its claim, never trusted."""

    server: Server

    def authenticate_token(self, request: JsonRequest) -> bool:
        return True

    def get_server_metadata(self) -> dict[str, Any]:
        return metadata(self.server.issuer)

    def extract_client_metadata(self, request: JsonRequest) -> dict[str, Any]:
        uris = request.payload.data.get("redirect_uris")
        if not isinstance(uris, list) or not uris or not all(isinstance(uri, str) for uri in uris):
            raise InvalidRedirectURIError("register at least one redirect URI, as a list of strings")
        for uri in uris:
            if (problem := clients.redirect_uri_problem(uri)) is not None:
                raise InvalidRedirectURIError(f"the redirect URI {safe(uri)} {problem}")
        document: dict[str, Any] = super().extract_client_metadata(request)
        document.setdefault("grant_types", ["authorization_code"])
        if "authorization_code" not in document["grant_types"]:
            raise InvalidClientMetadataError("grant_types must include authorization_code")
        if len(str(document.get("client_name", ""))) > 200:
            raise InvalidClientMetadataError("client_name is longer than 200 characters")
        return document

    def generate_client_info(self, request: JsonRequest) -> dict[str, Any]:
        info: dict[str, Any] = super().generate_client_info(request)
        if request.payload.data.get("token_endpoint_auth_method") == "none":
            del info["client_secret"], info["client_secret_expires_at"]  # a public client
        return info

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: JsonRequest
    ) -> None:
        secret = client_info.get("client_secret")
        clients.register(
            self.server.session, client_info["client_id"], secret, client_metadata, self.server.issuer.now
        )
