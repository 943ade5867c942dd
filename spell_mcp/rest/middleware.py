"""What every HTTP response carries: security headers and a request id (and every request is
logged and counted as it ends: spell_mcp/observability/requests.py); what every request must
respect: a size limit."""

from __future__ import annotations

import json
import re
import secrets
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spell_mcp.observability import requests
from spell_mcp.observability.logs import REQUEST_ID

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
# The API serves JSON only; the browsable docs run this server's own scripts and styles (and
# an inline bootstrap), and nothing from anywhere else.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
# nginx's status for a request whose client closed the connection before it was answered.
CLIENT_CLOSED_REQUEST = 499


class ResponseHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = Headers(scope=scope).get("x-request-id", "")
        request_id = offered if _CLIENT_ID.fullmatch(offered) else f"req_{secrets.token_hex(8)}"
        token = REQUEST_ID.set(request_id)
        path: str = scope.get("path", "")
        started, status = time.perf_counter(), 500  # 500: the app raised before answering
        body_received = hung_up = False

        async def watching_receive() -> Message:
            nonlocal body_received, hung_up
            message = await receive()
            if message["type"] == "http.request":
                body_received = not message.get("more_body", False)
            elif message["type"] == "http.disconnect" and not body_received:
                hung_up = True
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                csp = DOCS_CSP if path.startswith(DOCS_PATHS) else API_CSP
                headers.setdefault("content-security-policy", csp)
                headers["x-request-id"] = request_id
            await send(message)

        try:
            await self.app(scope, watching_receive, send_with_headers)
        except ClientDisconnect:
            hung_up = True  # nobody is left to answer
        finally:
            # A client that hung up before its request ended gets no answer: whatever the app did
            # about the missing body, it is counted and logged apart, as nginx does, never a 500.
            status = CLIENT_CLOSED_REQUEST if hung_up else status
            requests.answered(scope, status, time.perf_counter() - started)  # under its request id
            REQUEST_ID.reset(token)


class TrackedSend:
    """A response's `send` that remembers whether the response has started: until then a refusal
    can still take its place."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self.send(message)


class BodyLimit:
    """Refuses request bodies over `limit` bytes with 413, whether announced or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = Headers(scope=scope).get("content-length")
        if announced is not None and announced.isdigit() and int(announced) > self.limit:
            await self._refuse(send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _TooLarge()
            return message

        tracked = TrackedSend(send)
        try:
            await self.app(scope, counting_receive, tracked)
        except _TooLarge:
            if not tracked.started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": "https://spell.dev/errors/request_too_large",
                "title": "Request body too large",
                "status": 413,
                "code": "request_too_large",
                "detail": f"request bodies are limited to {self.limit} bytes",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(HTTPException):
    """Raised from `receive`: an HTTPException, so the framework's body parsing lets it through
    to the error handlers (which render it as `request_too_large`) instead of calling the body
    malformed."""

    def __init__(self) -> None:
        super().__init__(413, "request body too large")
