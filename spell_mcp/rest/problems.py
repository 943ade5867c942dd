"""Every REST refusal rendered once: a `SpellError` (or a framework's own refusal, or an
unexpected failure) becomes RFC 9457 `application/problem+json` with its catalog code."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from spell_mcp.accounts.keys import bearer_token
from spell_mcp.errors import SpellError
from spell_mcp.observability.storage_errors import count_if_storage
from spell_mcp.rest.deps import public_base_url
from spell_mcp.rest.middleware import TrackedSend

log = logging.getLogger("spell")
PROBLEM_JSON = "application/problem+json"
# RFC 9728 §3.1: a resource's metadata is at this prefix followed by the resource's path.
METADATA_PREFIX = "/.well-known/oauth-protected-resource"
RESOURCE_METADATA_PATH = f"{METADATA_PREFIX}/mcp"
SSE_METADATA_PATH = f"{METADATA_PREFIX}/sse"


def problem_response(
    error: SpellError,
    instance: str | None = None,
    base_url: str | None = None,
    *,
    resource: str = "/mcp",
    token_sent: bool = False,
) -> JSONResponse:
    """`resource` is the protected resource refused (its path); `token_sent`, whether the request
    carried a bearer token, which a 401 then rejected."""
    headers = dict(error.headers)
    if error.status == 401:
        # RFC 6750 §3.1: a token that was sent and refused is an invalid_token; RFC 9728 §5.1:
        # point clients at the metadata of the resource they asked for.
        invalid = ', error="invalid_token"' if token_sent else ""
        metadata = f', resource_metadata="{base_url}{METADATA_PREFIX}{resource}"' if base_url else ""
        headers["WWW-Authenticate"] = f'Bearer realm="spell"{invalid}{metadata}'
    return JSONResponse(
        error.problem(instance), status_code=error.status, media_type=PROBLEM_JSON, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SpellError)
    async def spell_error(request: Request, error: SpellError) -> JSONResponse:
        token_sent = bool(bearer_token(request.headers.get("authorization")))
        return problem_response(error, request.url.path, public_base_url(request), token_sent=token_sent)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [f"{'/'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in error.errors()[:10]]
        return problem_response(
            SpellError("request_invalid", "the request is malformed", problems=problems), request.url.path
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(
            error.status_code, "request_invalid"
        )
        return problem_response(SpellError(code, str(error.detail)), request.url.path)


class NoNulInTheUrl:
    """Refuses a URL whose path or query holds a NUL character (%00) with `request_invalid`: no
    key, id or name here has one, and PostgreSQL cannot even compare text that has."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"")
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in query or b"\x00" in query):
            error = SpellError("request_invalid", "the URL holds a NUL character (%00)")
            await problem_response(error, None)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class InternalErrors:
    """The last resort: an exception nothing else handled becomes a 500 problem document, logged
    once with its traceback. (An exception handler for `Exception` would log it, and Starlette
    would raise it on to the server, which logs it again.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except ClientDisconnect:
            raise  # not an error of ours: nobody is left to answer (spell_mcp/rest/middleware.py)
        except Exception as error:
            count_if_storage(error)
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if tracked.started:
                return  # the response is under way: the client sees the connection end
            error = SpellError("internal_error", "the server could not complete the request")
            await problem_response(error, scope.get("path"))(scope, receive, send)
