"""MCP over HTTP by hand, to see the wire: a 2025-11-25 session's opening, the Accept a POST
needs, and the messages an answer carries."""

from __future__ import annotations

import json
from typing import Any

VERSION = "2025-11-25"
ACCEPT = "application/json, text/event-stream"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def sse_events(body: str) -> list[dict[str, str]]:
    """The events of an SSE body, each as its fields."""
    events = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            if name:
                fields[name] = value.removeprefix(" ")
        if fields:
            events.append(fields)
    return events


def answer(response: Any) -> dict[str, Any]:
    """The JSON-RPC message an answer carries: an SSE stream's last event, or its JSON body."""
    if response.headers["content-type"].startswith("text/event-stream"):
        return dict(json.loads(sse_events(response.text)[-1]["data"]))
    return dict(response.json())
