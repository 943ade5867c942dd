"""The error catalog: every refusal the platform gives, with a stable code.

REST renders a `SpellError` as RFC 9457 problem+json; MCP as an `isError` tool result whose
`_meta` carries the same document (spell_mcp/mcp/protocol.py). docs/errors.md documents every
entry; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROBLEM_BASE = "https://spell.dev/errors/"


@dataclass(frozen=True, slots=True)
class ErrorKind:
    code: str
    status: int
    title: str


CATALOG: dict[str, ErrorKind] = {
    kind.code: kind
    for kind in [
        ErrorKind("unauthenticated", 401, "Missing or invalid API key"),
        ErrorKind("spell_not_found", 404, "No such spell"),
        ErrorKind("cast_not_found", 404, "No such cast"),
        ErrorKind("input_invalid", 422, "Input does not match the spell's schema"),
        ErrorKind("input_too_large", 413, "Input too large"),
        ErrorKind("request_invalid", 400, "Malformed request"),
        ErrorKind("request_too_large", 413, "Request body too large"),
        ErrorKind("unsupported_media_type", 415, "The body must be sent as application/json"),
        ErrorKind("idempotency_key_reused", 422, "The Idempotency-Key was used for a different request"),
        ErrorKind("idempotency_in_progress", 409, "A request with this Idempotency-Key is still running"),
        ErrorKind("insufficient_credits", 402, "Not enough credits"),
        ErrorKind("budget_exceeded", 402, "A budget cap would be exceeded"),
        ErrorKind("account_in_debt", 402, "The account owes money; top up to repay it"),
        ErrorKind("spell_timeout", 504, "The spell ran out of time"),
        ErrorKind("spell_cpu_exhausted", 422, "The spell ran out of CPU budget"),
        ErrorKind("spell_memory_exceeded", 422, "The spell exceeded its memory limit"),
        ErrorKind("spell_output_too_large", 422, "The spell's output was too large"),
        ErrorKind("spell_artifacts_too_large", 422, "The spell wrote too many files or bytes"),
        ErrorKind("spell_output_invalid", 502, "The spell returned no valid JSON"),
        ErrorKind("spell_failed", 502, "The spell failed"),
        ErrorKind("spell_crashed", 502, "The spell crashed"),
        ErrorKind("package_invalid", 422, "The package is not a valid canonical spell package"),
        ErrorKind("package_too_large", 413, "The package is too large"),
        ErrorKind("manifest_invalid", 422, "manifest.toml is invalid"),
        ErrorKind("schema_invalid", 422, "The input or output schema is invalid"),
        ErrorKind("sbom_invalid", 422, "The SBOM is missing, empty or invalid"),
        ErrorKind("sbom_mismatch", 422, "The SBOM describes another spell, version or module"),
        ErrorKind("module_invalid", 422, "The WebAssembly module cannot run here"),
        ErrorKind("vulnerable_dependency", 422, "A dependency has a known high or critical vulnerability"),
        ErrorKind("signature_required", 422, "The package must be signed"),
        ErrorKind("signature_invalid", 422, "The signature does not verify"),
        ErrorKind("version_conflict", 409, "That version is already published with other contents"),
        ErrorKind("spell_owned_by_other", 403, "The spell key belongs to another maker"),
        ErrorKind("namespace_reserved", 403, "The spell key is in a namespace reserved for operators"),
        ErrorKind("namespace_owned_by_other", 403, "The spell key is in another maker's namespace"),
        ErrorKind("forbidden", 403, "Not allowed"),
        ErrorKind("key_secret_replaced", 403, "A rotation replaced this secret: it may only cast and read"),
        ErrorKind("csrf_failed", 403, "Missing or wrong CSRF token"),
        ErrorKind("account_restricted", 403, "You restricted the processing of your data"),
        ErrorKind("erasure_on_hold", 409, "Your records are under a legal hold"),
        ErrorKind("sign_in_failed", 400, "Signing in did not complete"),
        ErrorKind("authorization_request_invalid", 400, "The agent's sign-in request cannot be approved"),
        ErrorKind("not_found", 404, "Not found"),
        ErrorKind("method_not_allowed", 405, "Method not allowed"),
        ErrorKind("rate_limited", 429, "Too many requests"),
        ErrorKind("overloaded", 503, "The server is at capacity"),
        ErrorKind("cast_interrupted", 503, "The cast was interrupted"),
        ErrorKind("cast_cancelled", 499, "The caller cancelled the cast"),
        ErrorKind("replay_unavailable", 409, "This cast cannot be replayed"),
        ErrorKind("input_mismatch", 422, "The input is not the one the receipt names"),
        ErrorKind("consent_required", 409, "The version asks for more than you accepted"),
        ErrorKind("confirmation_required", 428, "The person must confirm this cast first"),
        ErrorKind("confirmation_declined", 403, "The person declined the cast"),
        ErrorKind("webhook_signature_invalid", 400, "The webhook's signature does not verify"),
        ErrorKind("payment_provider_unavailable", 503, "The payment provider cannot be reached"),
        ErrorKind("payment_provider_misconfigured", 502, "The platform's payment set-up is wrong"),
        ErrorKind("internal_error", 500, "Internal error"),
    ]
}


class SpellError(Exception):
    """A refusal the caller can act on. `detail` is shown to the caller; keep internals out."""

    def __init__(
        self, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        if code not in CATALOG:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(detail)
        self.kind = CATALOG[code]
        self.detail = detail
        self.extra = extra
        # HTTP headers the refusal carries on REST (Retry-After, RateLimit…).
        self.headers = headers or {}

    @property
    def code(self) -> str:
        return self.kind.code

    @property
    def status(self) -> int:
        return self.kind.status

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 problem document (also in the `_meta` of an MCP tool's refusal)."""
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.kind.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


# The refusals of a cast for money (each names the limit and what it would take).
MONEY_REFUSALS = ("budget_exceeded", "insufficient_credits", "account_in_debt")
