"""What one cast did, gathered as it goes through the pipeline, then counted in the metrics and
written as the cast's log line when it ends."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from opentelemetry.trace import Span

from runtime import ResourceUsage
from spell_mcp.observability import logs, metrics, traces

log = logs.get("casts")


@dataclass(slots=True)
class CastTrace:
    transport: str
    started: float = field(default_factory=time.perf_counter)
    # Known once the spell is found (until then a refusal is not labelled with what the caller
    # typed: that would let anyone add label values).
    spell_key: str = ""
    version: str = ""
    price_micros: int = 0
    cast_id: str | None = None
    # Seconds in the cast's money transactions (the hold, the settlement or the release).
    money_s: float = 0.0
    # What the run consumed, once it ran.
    usage: ResourceUsage | None = None

    def ended(self, outcome: str, charged_micros: int = 0, *, span: Span | None = None) -> None:
        """The cast is over: `outcome` is "succeeded" or the error code it ended with. `span`,
        when tracing, gets what the log line says."""
        whole = time.perf_counter() - self.started
        metrics.cast_ended(self.spell_key, self.transport, outcome)
        usage = self.usage
        if self.cast_id is not None:
            metrics.CAST_DURATION.labels("whole").observe(whole)
            metrics.CAST_DURATION.labels("money").observe(self.money_s)
        if usage is not None:
            metrics.CAST_DURATION.labels("sandbox").observe(usage.duration_ms / 1000)
            metrics.FUEL.labels(self.spell_key).inc(usage.fuel_consumed)
            for violation in usage.policy_violations:
                metrics.POLICY_VIOLATIONS.labels(violation.kind).inc()
        if span is not None:
            span.set_attributes(
                {
                    "spell.cast.id": self.cast_id or "",
                    "spell.key": self.spell_key,
                    "spell.version": self.version,
                    "spell.outcome": outcome,
                    "spell.charged_micros": charged_micros,
                }
            )
            if outcome != "succeeded":
                traces.failed(span, outcome)
        log.info(
            "cast",
            cast_id=self.cast_id,
            spell=self.spell_key or None,
            version=self.version or None,
            transport=self.transport,
            outcome=outcome,
            fuel=usage.fuel_consumed if usage is not None else None,
            price_micros=self.price_micros,
            charged_micros=charged_micros,
            duration_ms=round(whole * 1000, 3),
        )
