"""Resumable SSE streams of Streamable HTTP sessions, as MCP 2025-11-25 describes them
("Resumability and Redelivery"): every event a session sends carries an id, each stream a POST
opens starts with a priming event (an id, empty data and `retry`), and a client that lost a
stream asks for what it missed with a GET and `Last-Event-ID`.

A session's events are kept in the memory of the process that holds the session: a session
lives in one process (clients are routed to it by their `Mcp-Session-Id`), so a replay can only
be answered there, and keeping its events in Redis would add a round trip per event for nothing.
They are bounded in number and bytes, oldest dropped first, and forgotten with the session. An
id this session does not keep (another session's, one dropped since, a made-up one) is refused
with 400, so a replay never crosses sessions and never hides a gap.

A resumed request stream replays what was missed, then follows the request until its response
and ends (the SDK's own replay would hold it open after the response, for nothing). The
standalone GET stream resumes through the SDK.

Elsewhere nothing can resume: the legacy HTTP+SSE transport's session is its one stream, and a
stateless request's stream ends with the request (stateless Streamable HTTP answers GET with
405: spell_mcp/mcp/http_sessions.py).
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import anyio
from mcp.server.streamable_http import (
    GET_STREAM_KEY,
    MCP_SESSION_ID_HEADER,
    EventCallback,
    EventId,
    EventMessage,
    EventStore,
    StreamableHTTPServerTransport,
    StreamId,
)
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from mcp_types import DEFAULT_NEGOTIATED_VERSION, JSONRPCError, JSONRPCMessage, JSONRPCResponse
from mcp_types.version import is_version_at_least
from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

# What a session keeps for replay: its newest events, at most this many and this many bytes.
MAX_EVENTS = 256
MAX_BYTES = 1024 * 1024
# How long a client waits before it reconnects a stream it lost (the SSE `retry` field), in ms.
RETRY_MS = 1000
# The first revision whose clients read a priming event (empty data); older ones cannot.
PRIMING_SINCE = "2025-11-25"


@dataclass(eq=False)
class Stream:
    """One SSE stream of a session: a request's (the SDK names it by the request's id, which a
    client may use again once the request is answered) or the standalone GET stream."""

    name: StreamId
    answered: bool = False
    events: deque[Event] = field(default_factory=deque)


@dataclass(frozen=True, slots=True)
class Event:
    number: int
    stream: Stream
    message: JSONRPCMessage | None  # None: a priming event
    size: int


class SessionEvents(EventStore):
    """The events one session sent, kept for replay (the SDK's `EventStore`). Past its bounds it
    first forgets whole answered streams, oldest answer first (a client resumes a broken stream
    within moments, or not at all); then the oldest events of streams still open. So a client
    listening on the GET stream keeps its place however many calls it makes meanwhile."""

    def __init__(self, max_events: int = MAX_EVENTS, max_bytes: int = MAX_BYTES) -> None:
        # Ids are "<this store's tag>-<number>": another session's ids are not this one's.
        self.tag = secrets.token_hex(4)
        self.max_events = max_events
        self.max_bytes = max_bytes
        self._events: dict[int, Event] = {}  # by number, oldest first
        self._bytes = 0
        self._numbered = 0
        self._streams: dict[StreamId, Stream] = {}  # the newest stream of each name
        self._answered: deque[Stream] = deque()
        self._stored = anyio.Event()
        self.closed = False

    def event_id(self, number: int) -> EventId:
        return f"{self.tag}-{number}"

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        stream = self._streams.get(stream_id)
        if stream is None or stream.answered:
            stream = self._streams[stream_id] = Stream(stream_id)
        size = len(message.model_dump_json(by_alias=True, exclude_unset=True)) if message is not None else 0
        self._numbered += 1
        event = self._events[self._numbered] = Event(self._numbered, stream, message, size)
        stream.events.append(event)
        self._bytes += size
        if isinstance(message, JSONRPCResponse | JSONRPCError) and stream_id != GET_STREAM_KEY:
            stream.answered = True
            self._answered.append(stream)
        while len(self._events) > self.max_events or (self._bytes > self.max_bytes and len(self._events) > 1):
            self._forget()
        self._wake()
        return self.event_id(self._numbered)

    def _forget(self) -> None:
        """Forget the oldest answered stream, or else the oldest event."""
        if self._answered and self._answered[0].events[-1].number != self._numbered:
            stream = self._answered.popleft()
            while stream.events:
                self._drop(stream.events.popleft())
        else:
            oldest = self._events[next(iter(self._events))]
            self._drop(oldest.stream.events.popleft())

    def _drop(self, event: Event) -> None:
        del self._events[event.number]
        self._bytes -= event.size
        stream = event.stream
        if not stream.events and self._streams.get(stream.name) is stream:
            del self._streams[stream.name]
        if not stream.events and stream.answered and stream in self._answered:
            self._answered.remove(stream)

    def _wake(self) -> None:
        self._stored.set()
        self._stored = anyio.Event()

    def close(self) -> None:
        """The session ended: streams following it end too."""
        self.closed = True
        self._wake()

    def after(self, event_id: str) -> tuple[Stream, list[Event]] | None:
        """The stream of `event_id` and its events since, or None when this session keeps no such
        event (so what came after it may be lost)."""
        tag, _, number = event_id.partition("-")
        known = tag == self.tag and number.isascii() and number.isdigit() and len(number) <= 18
        event = self._events.get(int(number)) if known else None
        if event is None:
            return None
        return event.stream, [later for later in event.stream.events if later.number > event.number]

    async def replay_events_after(
        self, last_event_id: EventId, send_callback: EventCallback
    ) -> StreamId | None:
        found = self.after(last_event_id)
        if found is None:
            return None
        stream, missed = found
        for event in missed:
            if event.message is not None:
                await send_callback(EventMessage(event.message, self.event_id(event.number)))
        return stream.name

    async def following(self, last_event_id: str) -> AsyncIterator[Event]:
        """The events of `last_event_id`'s stream after it, as they come, until the stream's
        response (or the session's end)."""
        cursor = last_event_id
        while not self.closed:
            stored = self._stored
            found = self.after(cursor)
            if found is None:
                return  # dropped meanwhile: the client's next resumption is told so
            stream, missed = found
            for event in missed:
                yield event
                cursor = self.event_id(event.number)
            if stream.answered:
                return
            await stored.wait()


class ResumableTransport(StreamableHTTPServerTransport):
    """A session's transport: its events kept for replay, and how busy it is (requests in flight,
    an open GET stream included), for spell_mcp/mcp/http_sessions.py to pick an idle one."""

    def __init__(self, session_id: str, events: SessionEvents, **kwargs: Any) -> None:
        super().__init__(session_id, event_store=events, retry_interval=RETRY_MS, **kwargs)
        self.events = events
        self.busy = 0
        self.last_active = time.monotonic()

    async def handle_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.busy += 1
        try:
            await super().handle_request(scope, receive, send)
        finally:
            self.busy -= 1
            self.last_active = time.monotonic()

    async def terminate(self) -> None:
        self.events.close()
        await super().terminate()

    async def _replay_events(self, last_event_id: str, request: Request, send: Send) -> None:
        found = self.events.after(last_event_id)
        if found is None:
            refusal = self._create_error_response(
                "Bad Request: Last-Event-ID names no event this session still keeps; "
                "what followed it cannot be replayed",
                HTTPStatus.BAD_REQUEST,
            )
            await refusal(request.scope, request.receive, send)
        elif found[0].name == GET_STREAM_KEY:
            await super()._replay_events(last_event_id, request, send)
        else:
            await self._resume_request_stream(last_event_id, request, send)

    async def _resume_request_stream(self, last_event_id: str, request: Request, send: Send) -> None:
        version = request.headers.get(MCP_PROTOCOL_VERSION_HEADER, DEFAULT_NEGOTIATED_VERSION)

        async def events() -> AsyncIterator[dict[str, Any]]:
            if is_version_at_least(version, PRIMING_SINCE):
                # Primed again, so that a client that loses this stream too still has its place.
                yield {"id": last_event_id, "data": "", "retry": RETRY_MS}
            async for event in self.events.following(last_event_id):
                if event.message is not None:
                    numbered = EventMessage(event.message, self.events.event_id(event.number))
                    yield self._create_event_data(numbered)

        assert self.mcp_session_id is not None
        response = EventSourceResponse(
            events(),
            headers={"Cache-Control": "no-cache, no-transform", MCP_SESSION_ID_HEADER: self.mcp_session_id},
        )
        await response(request.scope, request.receive, send)
