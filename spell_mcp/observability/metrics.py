"""The server's Prometheus metrics, in one place: what each counts, and the labels it takes.

Labels are bounded sets: a spell key, a transport, an error code from the catalog, a violation
kind, a route template; never a caster, a key or an input. With several server processes
(`spell serve --workers N`) prometheus-client's multiprocess mode keeps each process's values in
files under PROMETHEUS_MULTIPROC_DIR, summed at each scrape (exposition.py).

MCP operations are named after OpenTelemetry's semantic conventions for MCP servers
(`mcp.server.operation.duration`, with `mcp.method.name`, `gen_ai.tool.name`, `error.type`).
A tool that fails answers with `isError` inside a successful JSON-RPC response: those failures
are counted apart, in `mcp_server_tool_failures_total`.
"""

from __future__ import annotations

from typing import get_args

from prometheus_client import Counter, Histogram

from runtime.errors import RunErrorCode
from spell_mcp import errors

# Seconds: from a fraction of a millisecond (a cached lookup) to a minute (the longest cast).
_SECONDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

CASTS = Counter(
    "spell_casts",
    "Casts that ended, by spell, transport and outcome (succeeded, or the error code).",
    ["spell", "transport", "outcome"],
)
CAST_DURATION = Histogram(
    "spell_cast_duration_seconds",
    "Duration of casts that ran: the whole cast, its sandbox run, and its money transactions.",
    ["phase"],
    buckets=_SECONDS,
)
FUEL = Counter("spell_cast_fuel", "WebAssembly fuel consumed by casts that ran, by spell.", ["spell"])
MONEY_REFUSALS = Counter(
    "spell_money_refusals",
    "Casts refused for money, by reason (insufficient_credits, budget_exceeded, account_in_debt, "
    "confirmation_required).",
    ["reason"],
)
RATE_LIMITED = Counter(
    "spell_rate_limited",
    "Requests refused by a limit: per-key, per-user, in-flight (casts of one key at once), sessions "
    "(MCP sessions of one caster in use at once) or sessions-total (of the process).",
    ["limit"],
)
SHED = Counter("spell_shed", "Casts refused with 503 overloaded: the cast queue was full.")
SANDBOX_TRAPS = Counter(
    "spell_sandbox_traps",
    "Casts the sandbox stopped, by kind (spell_timeout, spell_memory_exceeded, spell_crashed, …).",
    ["kind"],
)
POLICY_VIOLATIONS = Counter(
    "spell_policy_violations",
    "What casts tried that their policy forbids, by kind (domain, private_address, …).",
    ["kind"],
)
PUBLISHES = Counter(
    "spell_publishes",
    "Publish requests, by outcome (created, unchanged, or the refusal's code).",
    ["outcome"],
)
WEBHOOK_DELIVERIES = Counter(
    "spell_webhook_deliveries",
    "Budget-alert webhook attempts, by outcome (delivered, retry, failed).",
    ["outcome"],
)
PAYMENT_EVENTS = Counter(
    "spell_payment_events",
    "Payment provider events received, by outcome (handled, duplicate, refused).",
    ["outcome"],
)
PAYMENT_PROVIDER_ERRORS = Counter(
    "spell_payment_provider_errors",
    "Calls to the payment provider that failed, by outcome (unavailable, misconfigured, declined).",
    ["outcome"],
)
STORAGE_ERRORS = Counter(
    "spell_storage_errors", "Requests that failed on a database or Redis error, by backend.", ["backend"]
)
HTTP_REQUESTS = Counter(
    "spell_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "spell_http_request_duration_seconds",
    "HTTP request duration (to the response's start), by route template.",
    ["route", "method"],
    buckets=_SECONDS,
)
MCP_OPERATION_DURATION = Histogram(
    "mcp_server_operation_duration_seconds",
    "MCP requests handled (OpenTelemetry mcp.server.operation.duration), by method, tool and error type.",
    ["mcp_method_name", "gen_ai_tool_name", "error_type"],
    buckets=_SECONDS,
)
MCP_TOOL_FAILURES = Counter(
    "mcp_server_tool_failures",
    "tools/call answered with isError (the call succeeded, the tool failed), by tool and error code.",
    ["gen_ai_tool_name", "error_type"],
)

# Error codes that mean the sandbox stopped the spell: the runtime's, but for those that are not
# the spell's doing.
TRAP_CODES = frozenset(get_args(RunErrorCode)) - {"input_too_large", "cast_cancelled"}
MONEY_CODES = frozenset({*errors.MONEY_REFUSALS, "confirmation_required"})


def cast_ended(spell: str, transport: str, outcome: str) -> None:
    CASTS.labels(spell, transport, outcome).inc()
    if outcome in TRAP_CODES:
        SANDBOX_TRAPS.labels(outcome).inc()
    elif outcome in MONEY_CODES:
        MONEY_REFUSALS.labels(outcome).inc()
