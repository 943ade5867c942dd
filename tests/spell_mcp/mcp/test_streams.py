"""A Streamable HTTP session's SSE streams can be resumed (MCP 2025-11-25, "Resumability and
Redelivery"): every event carries an id, a POST's stream starts with a priming event and `retry`,
and a GET with `Last-Event-ID` replays what the client missed, on that stream only, then ends with
the response. An id the session does not keep is refused with 400, never a 500."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import JSONRPCNotification, JSONRPCRequest, JSONRPCResponse

from spell_mcp.app import create_app
from spell_mcp.mcp.streams import MAX_EVENTS, RETRY_MS, SessionEvents
from spell_mcp.settings import Settings
from tests.conftest import RunningServer, serving_in_process
from tests.mcp_wire import ACCEPT, INITIALIZED, VERSION, sse_events


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, built_spells: Path) -> Iterator[RunningServer]:
    with serving_in_process(tmp_path_factory.mktemp("streams"), built_spells) as (running, _):
        yield running


class Session:
    """A 2025-11-25 session opened by hand, to see the wire."""

    def __init__(self, server: RunningServer, key: str | None = None) -> None:
        self.http = httpx.Client(
            base_url=server.url,
            headers={
                "Authorization": f"Bearer {key or server.operator_key}",
                "MCP-Protocol-Version": VERSION,
            },
            timeout=10,
        )
        opened = self.post(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            }
        )
        self.id = opened.headers["mcp-session-id"]
        self.http.headers["Mcp-Session-Id"] = self.id
        self.opening = sse_events(opened.text)
        self.post(INITIALIZED)

    def post(self, message: dict[str, Any]) -> httpx.Response:
        return self.http.post("/mcp", json=message, headers={"Accept": ACCEPT})

    def resume(self, last_event_id: str | bytes) -> httpx.Response:  # bytes: not only ASCII
        return self.http.get("/mcp", headers={"Accept": "text/event-stream", "Last-Event-ID": last_event_id})


def test_each_post_stream_is_primed_with_an_id_and_retry_and_every_event_has_an_id(
    server: RunningServer,
) -> None:
    session = Session(server)
    priming, answer = session.opening
    assert priming["data"] == "" and priming["id"] and priming["retry"] == str(RETRY_MS)
    assert answer["id"] and json.loads(answer["data"])["id"] == 1
    listed = sse_events(session.post({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).text)
    assert [event["data"] == "" for event in listed] == [True, False]
    ids = [event["id"] for event in [*session.opening, *listed]]
    assert len(set(ids)) == len(ids), "ids are unique within the session"


def test_a_resumed_stream_replays_what_followed_and_ends_with_the_response(server: RunningServer) -> None:
    session = Session(server)
    call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call"}
    call["params"] = {"name": "dev_spell_echo", "arguments": {"message": "again"}}
    priming, answer = sse_events(session.post(call).text)
    replay = session.resume(priming["id"])  # returns: the stream ends after the response
    assert replay.status_code == 200 and replay.headers["content-type"].startswith("text/event-stream")
    primed_again, replayed = sse_events(replay.text)
    assert primed_again == {"id": priming["id"], "data": "", "retry": str(RETRY_MS)}
    assert replayed == answer
    assert json.loads(replayed["data"])["result"]["structuredContent"] == {"message": "again"}
    # From the response on, nothing is missing.
    assert sse_events(session.resume(answer["id"]).text) == [primed_again | {"id": answer["id"]}]


@pytest.mark.parametrize(
    "last_event_id",
    [
        "0",
        "nonsense",
        "-1",
        "1-1-1",
        "{tag}",
        "{tag}-",
        "{tag}-0",
        "{tag}-99",
        "{tag}-²",
        "{tag}-" + "9" * 5000,
    ],
)
def test_an_id_the_session_never_sent_is_refused_with_400(server: RunningServer, last_event_id: str) -> None:
    session = Session(server)
    tag = session.opening[0]["id"].split("-")[0]
    refused = session.resume(last_event_id.format(tag=tag).encode())
    assert refused.status_code == 400
    assert "Last-Event-ID" in refused.json()["error"]["message"]


def test_another_sessions_event_ids_replay_nothing(server: RunningServer) -> None:
    mine, theirs = Session(server), Session(server, server.new_user(credits_usd="1"))
    for priming_or_answer in theirs.opening:
        assert mine.resume(priming_or_answer["id"]).status_code == 400


class CutsTheFirstCast(httpx2.AsyncBaseTransport):
    """The network between client and server: the first tools/call's stream is cut just before
    the event that carries its result."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.cut = False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        if self.cut or request.method != "POST" or b'"tools/call"' not in request.content:
            return response
        self.cut = True
        return httpx2.Response(response.status_code, headers=response.headers, stream=UntilResult(response))

    async def aclose(self) -> None:
        await self.inner.aclose()


class UntilResult(httpx2.AsyncByteStream):
    def __init__(self, response: httpx2.Response) -> None:
        self.response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = b""
        async for chunk in self.response.stream:
            seen += chunk
            while b"\r\n\r\n" in seen:
                event, seen = seen.split(b"\r\n\r\n", 1)
                if b'"result"' in event:
                    await self.response.aclose()
                    return
                yield event + b"\r\n\r\n"
        await self.response.aclose()


async def test_a_client_whose_stream_breaks_mid_cast_resumes_it_and_gets_the_result_once(
    server: RunningServer,
) -> None:
    """The official Python client reconnects with Last-Event-ID after `retry`; the cast ran and
    was charged once."""
    key = server.new_user(credits_usd="1")
    network = CutsTheFirstCast()
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        httpx2.AsyncClient(transport=network, headers=headers, timeout=30) as http,
        Client(streamable_http_client(f"{server.url}/mcp", http_client=http), mode="legacy") as client,
    ):
        result = await client.call_tool("dev_spell_echo", {"message": "through a broken stream"})
    assert network.cut
    assert not result.is_error and result.structured_content == {"message": "through a broken stream"}
    with server.client(key) as rest:
        casts = rest.get("/v1/casts").json()["items"]
    assert [cast["status"] for cast in casts] == ["succeeded"]


async def test_a_session_keeps_its_newest_events_within_its_bounds() -> None:
    events = SessionEvents(max_bytes=10_000)
    ids = [await events.store_event("1", None)]
    for number in range(MAX_EVENTS + 10):
        ping = JSONRPCRequest(jsonrpc="2.0", id=number, method="ping")
        ids.append(await events.store_event("_GET_stream", ping))
    assert events.after(ids[0]) is None and events.after(ids[10]) is None, "the oldest are dropped"
    stream, missed = events.after(ids[-3]) or (None, [])
    assert stream is not None and stream.name == "_GET_stream" and len(missed) == 2
    big = JSONRPCResponse(jsonrpc="2.0", id="2", result={"text": "x" * 9_000})
    answered = await events.store_event("2", big)
    assert events.after(ids[-40]) is None, "bytes are bounded too"
    assert events.after(answered) is not None, "the newest event is kept, however large"


async def test_a_listener_keeps_its_place_however_many_calls_are_answered_meanwhile() -> None:
    events = SessionEvents()
    changed = JSONRPCNotification(jsonrpc="2.0", method="notifications/tools/list_changed")
    listening = await events.store_event("_GET_stream", changed)
    for number in range(MAX_EVENTS * 2):
        await events.store_event(str(number), None)
        await events.store_event(str(number), JSONRPCResponse(jsonrpc="2.0", id=number, result={}))
    found = events.after(listening)
    assert found is not None and found[1] == [], "the GET stream's place is kept, nothing missed"
    still_open = await events.store_event("late", None)
    for number in range(MAX_EVENTS):
        await events.store_event(str(number), None)
        await events.store_event(str(number), JSONRPCResponse(jsonrpc="2.0", id=number, result={}))
    assert events.after(still_open) is not None, "answered streams go before open ones"


async def test_a_request_id_used_again_starts_a_new_stream() -> None:
    events = SessionEvents()
    first = await events.store_event("1", None)
    await events.store_event("1", JSONRPCResponse(jsonrpc="2.0", id="1", result={}))
    again = await events.store_event("1", None)
    reply = JSONRPCResponse(jsonrpc="2.0", id="1", result={"second": True})
    await events.store_event("1", reply)
    found_first, found_again = events.after(first), events.after(again)
    assert found_first is not None and found_again is not None
    assert len(found_first[1]) == 1, "the first request's stream ends with its own response"
    assert [event.message for event in found_again[1]] == [reply]


def test_without_sessions_get_is_405_with_or_without_last_event_id(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "home", dev_mode=True, examples_dir=tmp_path / "none", mcp_sessions=False
    )
    with TestClient(create_app(settings)) as client:
        key = (tmp_path / "home" / "operator.key").read_text().strip()
        headers = {"Authorization": f"Bearer {key}", "Accept": "text/event-stream"}
        for extra in ({}, {"Last-Event-ID": "1"}):
            answered = client.get("/mcp", headers=headers | extra)
            assert (answered.status_code, answered.headers["allow"]) == (405, "POST")
