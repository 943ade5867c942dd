"""One log line and two metrics for every HTTP request: route template, method, status,
duration, and who asked (a keyed pseudonym of the caster, never the key). (Its trace span, when
tracing, is FastAPI's own, which continues a client's `traceparent` header.)"""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

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


def answered(scope: Scope, status: int, elapsed: float) -> None:
    """Count and log an HTTP request that ended with `status` after `elapsed` seconds (called by
    the outermost middleware, spell_mcp/rest/middleware.py, which already watches the response)."""
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
