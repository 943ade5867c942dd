"""One log line and two metrics for every HTTP request: route template, method, status,
duration, and who asked (a keyed pseudonym of the caster, never the key). (Its trace span, when
tracing, is FastAPI's own, which continues a client's `traceparent` header.)"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spell_mcp.observability import logs, metrics

log = logs.get("requests")
# Probes and scrapes: counted, never logged (a load balancer asks every few seconds).
QUIET = frozenset({"/healthz", "/metrics"})


def route_of(scope: Scope) -> str:
    """The route's template (`/v1/spells/{key}/cast`), a bounded label; "unmatched" for a path
    no route took (whatever a client typed must not become a label value)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app raises before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self._ended(scope, status, time.perf_counter() - started)

    def _ended(self, scope: Scope, status: int, elapsed: float) -> None:
        route, method = route_of(scope), str(scope.get("method", ""))
        metrics.HTTP_REQUESTS.labels(route, method, str(status)).inc()
        metrics.HTTP_DURATION.labels(route, method).observe(elapsed)
        if scope.get("path") not in QUIET:
            log.info(
                "request",
                method=method,
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 3),
                caster=_caster_pseudonym(scope),
            )


def _caster_pseudonym(scope: Scope) -> str | None:
    caster: Any = scope.get("state", {}).get("caster")
    app = scope.get("app")
    platform = getattr(getattr(app, "state", None), "platform", None)
    if caster is None or platform is None:
        return None
    pseudonym: str = platform.pseudonyms.of("user", caster.user_id)
    return pseudonym
