"""OpenTelemetry traces, sent over OTLP when the operator sets OTEL_EXPORTER_OTLP_ENDPOINT (the
SDK reads that and its companions, OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME…, itself).
Unset, nothing is traced and nothing costs: the spans below are not even made.

A trace a client started continues here, through the libraries' own instrumentation: FastAPI
makes a span per HTTP request from its `traceparent` header, and the MCP SDK a span per message
from the `traceparent` in its `_meta` (how MCP carries W3C trace context: one HTTP request may
carry many JSON-RPC messages, or none at all over stdio). A cast's span (the pipeline's, below)
is a child of whichever is current, and says what the cast's log line says."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

_tracer: trace.Tracer | None = None


def configure() -> bool:
    """Start exporting spans if an OTLP endpoint is configured; whether it is."""
    global _tracer
    if _tracer is not None:
        return True
    if not (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "spell")})
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _tracer = trace.get_tracer("spell")
    return True


def shutdown() -> None:
    provider = trace.get_tracer_provider()
    flush = getattr(provider, "shutdown", None)
    if _tracer is not None and callable(flush):
        flush()


def span(
    name: str, *, kind: SpanKind = SpanKind.INTERNAL, attributes: Mapping[str, Any] | None = None
) -> AbstractContextManager[Span | None]:
    """A span around the block, child of the current one; when tracing is off, nothing (the
    block gets None) and nothing made: a cast pays for no span it does not send."""
    if _tracer is None:
        return nullcontext()
    return _tracer.start_as_current_span(name, kind=kind, attributes=dict(attributes or {}))


def failed(current: Span | None, error_type: str) -> None:
    """Mark the span as failed with `error_type` (OpenTelemetry's error.type)."""
    if current is not None:
        current.set_attribute("error.type", error_type)
        current.set_status(Status(StatusCode.ERROR, error_type))
