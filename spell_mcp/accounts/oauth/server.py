"""Spell as the OAuth 2.1 authorization server of its own MCP endpoint, built on authlib's
(`authlib.oauth2`): its metadata (RFC 8414) and RFC 7591 registration, so far. What is ours:
where things are stored, and which clients and redirect URIs are accepted
(spell_mcp/accounts/oauth/clients.py).

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

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
)
from authlib.oauth2.rfc7591 import (
    ClientRegistrationEndpoint,
    InvalidClientMetadataError,
    InvalidRedirectURIError,
)
from sqlalchemy.orm import Session

from spell_mcp.accounts.oauth import clients
from spell_mcp.accounts.oauth.clients import AUTH_METHODS, GRANT_TYPES, Client

# At the root, where clients that find no metadata look for them (MCP 2025-03-26, "Fallbacks"),
# and where the Python SDK's client refreshes before it has read the metadata again.
AUTHORIZE_PATH = "/authorize"
TOKEN_PATH = "/token"  # noqa: S105 - a path, not a password
REGISTER_PATH = "/register"
REVOKE_PATH = "/revoke"
# RFC 6749 error descriptions are restricted to printable ASCII without '"' and '\'.
_SAFE = {chr(c) for c in range(0x20, 0x7F)} - {'"', "\\"}


def safe(text: str, limit: int = 200) -> str:
    """`text` as an error description may carry it."""
    return "".join(c if c in _SAFE else "?" for c in text[:limit])


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
