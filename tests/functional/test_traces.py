"""OpenTelemetry traces over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (here a local stand-in
collector, the SDK's own exporter doing the talking): a trace the client started continues in
the server, from the `traceparent` in an MCP request's `_meta` and from an HTTP request's
`traceparent` header, down to the cast."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import RunningServer, free_port, running_servers
from tests.local_server import local_server
from tests.otlp_standin import CollectorStandIn, ReceivedSpan

MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


@pytest.fixture(scope="module")
def traced(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes
) -> Iterator[tuple[RunningServer, CollectorStandIn]]:
    collector, port = CollectorStandIn(), free_port()
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # export every 0.1 s, not every 5
        "SPELL_MCP_SESSIONS": "0",
    }
    with local_server(collector.app(), port):
        base = tmp_path_factory.mktemp("traces")
        with running_servers(base, built_spells, probe_wasm, extra_env=env) as (server,):
            yield server, collector


def spans_of(collector: CollectorStandIn, trace_id: str, count: int) -> list[ReceivedSpan]:
    deadline = time.monotonic() + 20  # exported every 0.1 s: seconds against milliseconds
    while time.monotonic() < deadline:
        found = [span for span in collector.spans if span.trace_id == trace_id]
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"spans of trace {trace_id}: {collector.spans}")


def test_an_mcp_call_continues_the_trace_in_its_meta(traced: tuple[RunningServer, CollectorStandIn]) -> None:
    server, collector = traced
    trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {
            "name": "dev_spell_echo",
            "arguments": {"message": "traced"},
            "_meta": {"traceparent": f"00-{trace_id}-{parent}-01"},
        },
    }
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {server.operator_key}"}
    answered = httpx.post(f"{server.url}/mcp", json=body, headers=headers, timeout=30)
    assert answered.status_code == 200 and '"isError":false' in answered.text
    spans = {span.name: span for span in spans_of(collector, trace_id, 2)}
    call, cast = spans["tools/call dev_spell_echo"], spans["cast"]
    assert call.parent_span_id == parent, "the client's span is the call's parent (the MCP SDK's span)"
    assert call.attributes["mcp.method.name"] == "tools/call"
    assert call.attributes["gen_ai.tool.name"] == "dev_spell_echo"
    assert cast.parent_span_id == call.span_id
    assert (
        cast.attributes["spell.key"] == "dev.spell.echo" and cast.attributes["spell.outcome"] == "succeeded"
    )


def test_a_rest_cast_continues_the_trace_in_its_header(
    traced: tuple[RunningServer, CollectorStandIn],
) -> None:
    server, collector = traced
    trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
    with server.client() as client:
        refused = client.post(
            "/v1/spells/test.spell.loop/cast",
            json={"input": {}},
            headers={"traceparent": f"00-{trace_id}-{parent}-01"},
        )
    assert refused.json()["code"] == "spell_timeout"
    spans = {span.name: span for span in spans_of(collector, trace_id, 3)}
    request, endpoint, cast = spans["POST /v1/spells/{key}/cast"], spans["fastapi.endpoint"], spans["cast"]
    assert request.parent_span_id == parent, "the client's span is the request's parent (FastAPI's span)"
    assert (cast.parent_span_id, endpoint.parent_span_id) == (endpoint.span_id, request.span_id)
    assert request.attributes["http.response.status_code"] == 504
    assert cast.attributes["error.type"] == "spell_timeout"
