"""The HTTP server: REST under /v1, MCP Streamable HTTP at /mcp, one process-wide platform."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.context import ServerRequestContext
from mcp.server.sse import SseServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.subscriptions import InMemorySubscriptionBus
from starlette.datastructures import Headers
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry import json_schema
from runtime.net import NetworkGate
from spell_mcp.accounts.keys import Caster, bearer_token
from spell_mcp.accounts.oauth.clients import DEFAULT_SCOPES
from spell_mcp.accounts.oauth.service import mcp_resources
from spell_mcp.bootstrap import dev_bootstrap
from spell_mcp.casting.budget_alerts import deliver_forever
from spell_mcp.catalog.scans import rescan_forever
from spell_mcp.dashboard.files import Dashboard
from spell_mcp.errors import SpellError
from spell_mcp.housekeeping import sweep_forever
from spell_mcp.mcp.http_sessions import SessionManager
from spell_mcp.mcp.server import SSE_MESSAGES_PATH, build_mcp_server
from spell_mcp.mcp.sessions import LASTING, LastingSessions
from spell_mcp.mcp.strict_bodies import DuplicateNames
from spell_mcp.observability import exposition, logs, traces
from spell_mcp.operations.incidents import Pager
from spell_mcp.operations.ledger_watch import verify_forever
from spell_mcp.operations.retention_job import retention_forever
from spell_mcp.payments.payouts import pay_forever
from spell_mcp.payments.reloads import reload_forever
from spell_mcp.platform import Platform
from spell_mcp.queueing import open_queue
from spell_mcp.rest.audit import router as audit_router
from spell_mcp.rest.billing import router as billing_router
from spell_mcp.rest.casts import router as casts_router
from spell_mcp.rest.catalog import router as catalog_router
from spell_mcp.rest.deps import public_base_url
from spell_mcp.rest.discovery import router as discovery_router
from spell_mcp.rest.keys import router as keys_router
from spell_mcp.rest.middleware import BodyLimit, ResponseHeaders, TrackedSend
from spell_mcp.rest.oauth import protocol as oauth_protocol
from spell_mcp.rest.oauth import router as oauth_router
from spell_mcp.rest.payments import router as payments_router
from spell_mcp.rest.privacy import router as privacy_router
from spell_mcp.rest.problems import (
    RESOURCE_METADATA_PATH,
    SSE_METADATA_PATH,
    InternalErrors,
    NoNulInTheUrl,
    install_error_handlers,
    problem_response,
)
from spell_mcp.rest.sign_in import router as sign_in_router
from spell_mcp.rest.spell_activity import router as spell_activity_router
from spell_mcp.settings import Settings

log = logging.getLogger("spell")


class McpAuthentication:
    """Refuses MCP requests without a valid API key (401, so clients can tell, naming the
    metadata of `resource`, the transport's own endpoint) and hands the authenticated caster to
    the tool handlers through the request state."""

    def __init__(self, app: ASGIApp, platform: FastAPI, resource: str) -> None:
        self.app = app
        self.fastapi = platform
        self.resource = resource

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        platform: Platform = self.fastapi.state.platform
        token = bearer_token(Headers(scope=scope).get("authorization"))
        base = public_base_url(Request(scope))
        try:
            caster = await platform.authenticate(token, mcp_resources(base))
        except SpellError as error:
            refusal = problem_response(
                error, scope.get("path"), base, resource=self.resource, token_sent=bool(token)
            )
            await refusal(scope, receive, send)
            return
        scope.setdefault("state", {})["caster"] = caster
        # The SDK's SSE transport binds a session to the principal that opened it: another
        # caster's messages to it are answered as if it did not exist.
        principal = AccessToken(
            token=caster.key_id or caster.user_id,
            client_id=caster.key_id or caster.user_id,
            scopes=sorted(caster.scopes),
            subject=caster.user_id,
        )
        scope["user"] = AuthenticatedUser(principal)
        # A field's value excludes the whitespace around it (RFC 9110 §5.5), and the SDK compares
        # the routing headers (Mcp-Method, Mcp-Name) with the body as they come.
        scope["headers"] = [(name, value.strip(b" \t")) for name, value in scope["headers"]]
        if scope["method"] == "POST":
            receive = await whole_body(scope, receive)
        tracked = TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except SpellError as error:  # refused before any answer: a session or stream not opened
            if tracked.started:
                raise
            base = public_base_url(Request(scope))
            await problem_response(error, scope.get("path"), base)(scope, receive, send)


async def whole_body(scope: Scope, receive: Receive) -> Receive:
    """A `receive` that gives the request's whole body, read first: a client that hangs up
    before it is sent raises ClientDisconnect here (answered by nobody, counted as 499), where
    the MCP SDK would log an error and answer 500."""
    body = await Request(scope, receive).body()
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def caster_from_request(ctx: ServerRequestContext[Any, Any]) -> Caster:
    caster: Caster | None = getattr(ctx.request.state, "caster", None) if ctx.request is not None else None
    if caster is None:
        raise SpellError("unauthenticated", "send an API key as 'Authorization: Bearer spell_sk_…'")
    return caster


def worker_app() -> FastAPI:
    """One of `spell serve --workers N`'s processes: its settings from the environment, the first
    start already done by the supervisor."""
    settings = Settings()
    logs.configure(settings.log_format)
    return create_app(settings, first_start=False)


def create_app(
    settings: Settings, *, first_start: bool = True, network: NetworkGate | None = None
) -> FastAPI:
    """The server. `first_start` runs dev mode's start (operator, example spells) as it opens;
    `network` is the gate of every outbound request (Platform.open: tests give their own)."""
    holder: dict[str, Platform] = {}
    bus = InMemorySubscriptionBus()
    lasting = LastingSessions(bus)
    mcp_server = build_mcp_server(
        lambda: holder["platform"], caster_from_request, bus, lasting, http_sessions=settings.http_sessions
    )
    # Stateless by default: any server process can answer any request, so several can sit behind
    # one address. With sessions, 2025-era clients also hear list_changed and can be asked mid-call.
    session_manager = SessionManager(mcp_server, settings, lambda: holder["platform"].limits)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        traces.configure()
        platform = await Platform.open(settings, bus, network=network)
        # Loaded now rather than at the first publish: a bad SPELL_TRUST_ROOT stops the start.
        await anyio.to_thread.run_sync(platform.publishing.trust.verifier)
        # Schemas are validated from the first cast: jsonschema is loaded now, not in a request.
        json_schema.load()
        holder["platform"] = platform
        app.state.platform = platform
        try:
            if settings.dev_mode and first_start:
                await dev_bootstrap(platform, lambda line: print(line, flush=True))
            async with session_manager.run(), anyio.create_task_group() as jobs:
                platform.queue = await open_queue(settings, platform.casts, jobs)
                jobs.start_soon(rescan_forever, platform)
                jobs.start_soon(sweep_forever, platform)
                jobs.start_soon(
                    deliver_forever,
                    platform.db,
                    platform.secrets,
                    platform.sandbox.network,
                    settings.webhook_interval_s,
                )
                jobs.start_soon(pay_forever, platform.db, platform.stripe, settings)
                jobs.start_soon(reload_forever, platform.db, platform.stripe, settings)
                jobs.start_soon(verify_forever, platform.db, settings, Pager(settings, socket.gethostname()))
                jobs.start_soon(retention_forever, platform.db, platform.blobs)
                await jobs.start(platform.announcer.relay_forever)  # hears every change from here on
                jobs.start_soon(lasting.forward_forever)
                print(
                    f"Spell is serving REST on http://{settings.host}:{settings.port}/v1 "
                    f"and MCP on http://{settings.host}:{settings.port}/mcp",
                    flush=True,
                )
                yield
                jobs.cancel_scope.cancel()
        finally:
            await platform.close()
            traces.shutdown()

    # The browsable docs (/docs, /redoc) with their scripts served from this server: they work
    # offline and load nothing from a CDN.
    app = FastAPIOffline(
        static_url="/docs/assets",
        title="Spell",
        summary="Cast sandboxed WebAssembly spells, pay per use.",
        version=mcp_server.version,
        lifespan=lifespan,
        # Operation ids are the routes' own names (cast_spell, list_keys): what generated clients
        # (the Python SDK in spell_client/, the dashboard's types) call them.
        generate_unique_id_function=lambda route: route.name,
    )
    app.include_router(casts_router)
    app.include_router(catalog_router)
    app.include_router(billing_router)
    app.include_router(keys_router)
    app.include_router(payments_router)
    app.include_router(sign_in_router)
    app.include_router(audit_router)
    app.include_router(spell_activity_router)
    app.include_router(privacy_router)
    app.include_router(discovery_router)
    app.include_router(oauth_router)
    app.include_router(oauth_protocol)

    @app.get("/.well-known/oauth-protected-resource", include_in_schema=False)
    @app.get(RESOURCE_METADATA_PATH, include_in_schema=False)
    @app.get(SSE_METADATA_PATH, include_in_schema=False)
    async def protected_resource_metadata(request: Request) -> dict[str, Any]:
        """OAuth 2.0 Protected Resource Metadata (RFC 9728) of an MCP endpoint (Streamable HTTP,
        or legacy SSE): this platform is its authorization server (a person signs an agent in on
        the dashboard: spell_mcp/rest/oauth.py); API keys (REST /v1/keys, `spell users create`)
        work beside it, sent as Bearer tokens too. The scopes are the ones MCP's tools need."""
        base = public_base_url(request)
        endpoint = "/sse" if request.url.path == SSE_METADATA_PATH else "/mcp"
        return {
            "resource": f"{base}{endpoint}",
            "authorization_servers": [base],
            "resource_name": "Spell",
            "bearer_methods_supported": ["header"],
            "scopes_supported": list(DEFAULT_SCOPES),
            "resource_documentation": f"{base}/docs",
        }

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics, for an operator's scraper (docs/operations.md)."""
        platform: Platform = app.state.platform
        bearer = bearer_token(request.headers.get("authorization"))
        operator = False
        if bearer and bearer != platform.settings.metrics_token:
            operator = (await platform.authenticate(bearer)).is_operator
        client = request.client.host if request.client else None
        if not exposition.allowed(platform.settings, bearer, client, operator):
            if bearer is None:
                raise SpellError("unauthenticated", "send the metrics token or an operator's API key")
            raise SpellError("forbidden", "only the platform's operators and its scraper read the metrics")
        body = await exposition.exposition(lambda: platform.db.read(exposition.store_state))
        return Response(body, media_type=exposition.CONTENT_TYPE)

    # First in line: every REST route is tried before a route appended at the end (≈0.14 ms a
    # tools/call here); no REST path starts with /mcp.
    mcp_endpoint = McpAuthentication(DuplicateNames(StreamableHTTPASGIApp(session_manager)), app, "/mcp")
    app.router.routes.insert(0, Route("/mcp", endpoint=mcp_endpoint, methods=None))
    # The legacy HTTP+SSE transport (2024-11-05) for older clients: a session lives on the
    # process that holds its GET /sse stream, so behind a balancer these need sticky routing.
    sse = SseServerTransport(SSE_MESSAGES_PATH)

    async def sse_stream(scope: Scope, receive: Receive, send: Send) -> None:
        async with (
            session_manager.legacy_stream(scope),
            sse.connect_sse(scope, receive, send) as (read, write),
        ):
            await mcp_server.run(read, write, mcp_server.create_initialization_options(LASTING))

    app.router.routes.append(
        Route("/sse", endpoint=McpAuthentication(sse_stream, app, "/sse"), methods=["GET"])
    )
    app.router.routes.append(
        Mount(
            SSE_MESSAGES_PATH.rstrip("/"),
            app=McpAuthentication(DuplicateNames(sse.handle_post_message), app, "/sse"),
        )
    )
    if settings.web_dir is not None and settings.serves_dashboard:
        # Last in line: every API route, /mcp, /sse and /docs are tried first.
        app.router.routes.append(Mount("/", app=Dashboard(settings.web_dir), name="dashboard"))
    app.state.mcp_sessions = session_manager
    install_error_handlers(app)
    # Innermost of the middleware: a 500 still gets the security headers and the request id.
    app.add_middleware(InternalErrors)
    app.add_middleware(NoNulInTheUrl)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "X-CSRF-Token",
                "Mcp-Session-Id",
                "MCP-Protocol-Version",
            ],
            expose_headers=["RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-ID", "Mcp-Session-Id"],
        )
    app.add_middleware(BodyLimit, limit=settings.max_request_mb * 1024 * 1024)
    app.add_middleware(ResponseHeaders)
    return app
