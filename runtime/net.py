"""The network gate: the only way out of the sandbox, an HTTPS request checked against policy.

Every request is checked before any packet leaves: https only; the host must be an allowed
domain or a subdomain of one; every address the name resolves to must be public (no loopback,
private, link-local, multicast, metadata or otherwise reserved address). The connection then goes
to the vetted address itself, with the name kept for SNI and certificate checks, so a second DNS
answer cannot redirect it (no DNS rebinding). Redirects are not followed: the spell sees the 3xx
and may make a new request, which is checked again. Sizes, counts and time are bounded.

A refusal is returned to the spell as an error and recorded as a policy violation; it never
raises into the sandbox.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpcore

from runtime.policy import Policy
from runtime.usage import PolicyViolation

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]
_HOP_BY_HOP = {
    "connection",
    "host",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


@dataclass(frozen=True, slots=True)
class NetLimits:
    max_requests: int = 16
    max_request_bytes: int = 1024 * 1024
    max_response_bytes: int = 4 * 1024 * 1024
    timeout_s: float = 10.0
    max_headers: int = 64


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_public(address: IPAddress) -> bool:
    """Only globally routable unicast addresses: never loopback, private, link-local (cloud
    metadata lives there), shared, multicast or reserved ones, nor IPv4 hidden inside IPv6."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not address.is_multicast


@dataclass
class CastNetwork:
    """One cast's use of the network: what it may do and what it did."""

    policy: Policy
    deadline: float
    requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    violations: list[PolicyViolation] = field(default_factory=list)
    # A response too large for the guest's buffer, waiting to be fetched with http_response.
    pending: bytes | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """An answer from outside: its status, headers (names in lower case) and body."""

    status: int
    headers: dict[str, str]
    body: bytes


class Refused(Exception):
    """A request not made: `code` for the guest; a policy violation also says its `kind`
    (runtime/usage.py: VIOLATION_KINDS)."""

    def __init__(self, code: str, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind


def _violation(kind: str, message: str) -> Refused:
    return Refused("policy_violation", message, kind)


class NetworkGate:
    def __init__(
        self,
        *,
        limits: NetLimits | None = None,
        resolver: Resolver = system_resolver,
        ssl_context: ssl.SSLContext | None = None,
        exempt: Sequence[IPNetwork] = (),
    ) -> None:
        """`exempt` lists networks allowed despite not being public: for tests on loopback only."""
        self.limits = limits or NetLimits()
        self.resolver = resolver
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.exempt = tuple(exempt)

    def request(self, cast: CastNetwork, raw_request: bytes) -> bytes:
        """Perform one request for a cast; always returns a JSON document for the guest."""
        try:
            response = self._request(cast, raw_request)
        except Refused as refusal:
            if refusal.kind is not None:
                cast.violations.append(PolicyViolation(refusal.kind, refusal.message))
            response = {"error": {"code": refusal.code, "message": refusal.message}}
        return json.dumps(response, separators=(",", ":")).encode()

    def post(self, url: str, body: bytes, headers: list[tuple[str, str]], timeout_s: float) -> int:
        """POST to a URL a user gave the platform (a webhook), under the same rules as a spell's
        request except the allowlist: https, a name (no IP literal) whose every address is
        public, the connection pinned to the vetted address, no redirects. Returns the status;
        raises `Refused`."""
        return self._outside("POST", url, headers, body, timeout_s, self.limits.max_response_bytes).status

    def get(self, url: str, headers: list[tuple[str, str]], timeout_s: float, max_bytes: int) -> Fetched:
        """GET a URL a user gave the platform (a client's metadata document), under `post`'s
        rules, reading at most `max_bytes` of the answer. Raises `Refused`."""
        return self._outside("GET", url, headers, b"", timeout_s, max_bytes)

    def _outside(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        timeout_s: float,
        max_bytes: int,
    ) -> Fetched:
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise _violation("scheme", f"{parts.scheme or 'no'} scheme: only https is allowed")
        host = (parts.hostname or "").lower()
        if not host:
            raise _violation("domain", "the URL has no host")
        port = parts.port or 443
        address = self._vetted_address(host, port)
        host_header = f"{host}:{parts.port}" if parts.port else host
        sink = CastNetwork(policy=Policy(), deadline=time.monotonic() + timeout_s)
        return self._send(
            sink, method, url, host, address, [("Host", host_header), *headers], body, timeout_s, max_bytes
        )

    def _request(self, cast: CastNetwork, raw_request: bytes) -> dict[str, Any]:
        if cast.requests >= self.limits.max_requests:
            raise _violation("request_limit", f"more than {self.limits.max_requests} requests in one cast")
        cast.requests += 1
        if len(raw_request) > self.limits.max_request_bytes:
            raise _violation("request_limit", f"request larger than {self.limits.max_request_bytes} bytes")
        method, url, headers, body = _parse_request(raw_request, self.limits.max_headers)
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise _violation("scheme", f"{parts.scheme or 'no'} scheme: only https is allowed")
        host = (parts.hostname or "").lower()
        if not host or not cast.policy.allows_host(host):
            raise _violation("domain", f"host {host or '(none)'} is not in the spell's net_allow")
        port = parts.port or 443
        address = self._vetted_address(host, port)
        remaining = cast.deadline - time.monotonic()
        if remaining <= 0:
            raise Refused("timeout", "the cast has no time left for a request")
        timeout = min(self.limits.timeout_s, remaining)
        cast.bytes_sent += len(body)
        fetched = self._send(
            cast, method, url, host, address, headers, body, timeout, self.limits.max_response_bytes
        )
        answer: dict[str, Any] = {"status": fetched.status, "headers": fetched.headers}
        try:
            answer["body"] = fetched.body.decode("utf-8")
        except UnicodeDecodeError:
            answer["body_base64"] = base64.b64encode(fetched.body).decode("ascii")
        return answer

    def _vetted_address(self, host: str, port: int) -> str:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            raise _violation("ip_literal", "IP literals are not allowed; use a domain in net_allow")
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in self.resolver(host, port)]
        except (OSError, ValueError, UnicodeError):
            raise Refused("network_error", f"could not resolve {host}") from None
        if not addresses:
            raise Refused("network_error", f"could not resolve {host}")
        for address in addresses:
            if not is_public(address) and not any(address in net for net in self.exempt):
                raise _violation("private_address", f"{host} resolves to a non-public address ({address})")
        return str(addresses[0])

    def _send(
        self,
        cast: CastNetwork,
        method: str,
        url: str,
        host: str,
        address: str,
        headers: list[tuple[str, str]],
        body: bytes,
        timeout: float,
        limit: int,
    ) -> Fetched:
        extensions = {
            "timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout},
            "sni_hostname": host,
        }
        try:
            with (
                httpcore.ConnectionPool(
                    ssl_context=self.ssl_context,
                    network_backend=_PinnedBackend(address, time.monotonic() + timeout),
                    retries=0,
                ) as pool,
                pool.stream(method, url, headers=headers, content=body, extensions=extensions) as response,
            ):
                received = bytearray()
                for chunk in response.iter_stream():
                    received += chunk
                    if len(received) > limit:
                        cast.bytes_received += len(received)
                        raise Refused("response_too_large", f"response larger than {limit} bytes")
                cast.bytes_received += len(received)
                status = response.status
                response_headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers
                }
        except httpcore.TimeoutException:
            raise Refused("timeout", f"no response from {host} in time") from None
        except (httpcore.NetworkError, httpcore.ProtocolError, ssl.SSLError, OSError) as exc:
            raise Refused("network_error", f"request to {host} failed: {type(exc).__name__}") from None
        return Fetched(status, response_headers, bytes(received))


class _PinnedBackend(httpcore.SyncBackend):
    """Connects to the address vetted before the request, whatever the name resolves to now; the
    connection gives up at `deadline`."""

    def __init__(self, address: str, deadline: float) -> None:
        self.address = address
        self.deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = super().connect_tcp(self.address, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self.deadline)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection that ends at a fixed moment however slowly the other end trickles bytes:
    httpcore's timeouts bound each read and write, not the exchange, so a hostile server sending
    a byte a second would hold a cast (inside a host call, where the watchdog cannot stop it) or
    a webhook delivery for as long as it liked."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def _left(self, timeout: float | None, late: type[httpcore.TimeoutException]) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise late("the request ran out of time")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        secured = self._stream.start_tls(
            ssl_context, server_hostname, self._left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(secured, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def _parse_request(raw: bytes, max_headers: int) -> tuple[str, str, list[tuple[str, str]], bytes]:
    try:
        request = json.loads(raw)
    except (ValueError, RecursionError):  # not UTF-8 or not JSON; nested past the parser's limit
        raise Refused("bad_request", "the request is not a JSON object") from None
    if not isinstance(request, dict) or not isinstance(request.get("url"), str):
        raise Refused("bad_request", 'the request needs at least {"url": "https://…"}')
    method = str(request.get("method", "GET")).upper()
    if method not in _METHODS:
        raise Refused("bad_request", f"method {method} is not supported")
    raw_headers = request.get("headers") or {}
    if not isinstance(raw_headers, dict) or len(raw_headers) > max_headers:
        raise Refused("bad_request", f"headers must be an object of at most {max_headers} strings")
    headers = []
    for name, value in raw_headers.items():
        if not isinstance(value, str) or "\n" in name + value or "\r" in name + value:
            raise Refused("bad_request", f"header {name!r} is not a single-line string")
        if name.lower() not in _HOP_BY_HOP:
            headers.append((name, value))
    if "body_base64" in request:
        try:
            body = base64.b64decode(request["body_base64"], validate=True)
        except (ValueError, TypeError):
            raise Refused("bad_request", "body_base64 is not valid base64") from None
    else:
        text = request.get("body", "")
        if not isinstance(text, str):
            raise Refused("bad_request", "body must be a string (or use body_base64)")
        body = text.encode()
    parts = urlsplit(request["url"])
    headers.append(("Host", f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname or ""))
    return method, request["url"], headers, body
