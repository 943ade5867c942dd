"""Spell as the OAuth 2.1 authorization server of its own MCP endpoint, built on authlib's
(`authlib.oauth2`): its authorization code grant with PKCE (S256 only, always), RFC 7591
registration and RFC 9207's `iss` on every authorization response. What is ours: where things
are stored, RFC 8707 resource indicators (authlib has none), metadata documents as client ids,
and the grant itself, which is an API key with a budget.

authlib is synchronous and sans-IO here: a `Server` is made for one database transaction and
answers one request (`Incoming`) with an `Outgoing`; spell_mcp/accounts/oauth/service.py runs it
in the store's worker thread and the REST face turns the answer into HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import AuthorizationServer, OAuth2Error
from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc7591 import (
    ClientRegistrationEndpoint,
    InvalidClientMetadataError,
    InvalidRedirectURIError,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlalchemy.orm import Session

from spell_mcp.accounts.oauth import clients
from spell_mcp.accounts.oauth.clients import AUTH_METHODS, GRANT_TYPES, Client, digest
from spell_mcp.database.tables import OAuthCode

# At the root, where clients that find no metadata look for them (MCP 2025-03-26, "Fallbacks"),
# and where the Python SDK's client refreshes before it has read the metadata again.
AUTHORIZE_PATH = "/authorize"
TOKEN_PATH = "/token"  # noqa: S105 - a path, not a password
REGISTER_PATH = "/register"
REVOKE_PATH = "/revoke"
CODE_LIFETIME = timedelta(minutes=5)
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


class Server(AuthorizationServer):  # type: ignore[misc]
    """authlib's authorization server on one database session, for one request."""

    def __init__(self, session: Session, issuer: Issuer) -> None:
        super().__init__(scopes_supported=[*clients.GRANTABLE, clients.OFFLINE_ACCESS])
        self.session = session
        self.issuer = issuer
        self.register_grant(CodeGrant, [S256Only(), ResourceIndicator()])
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


class ResourceIndicator:
    """RFC 8707 on the code grant: an authorization request names at most one resource, one of
    this server's MCP endpoints (its default when it names none)."""

    def __call__(self, grant: grants.AuthorizationCodeGrant) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.check_request)

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
