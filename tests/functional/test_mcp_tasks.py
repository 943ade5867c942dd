"""Long casts as MCP tasks (2025-11-25), as a client speaks them on the wire: a tools/call that
asks for a task is held, queued and answered at once with the task; tasks/get tells how it
goes, tasks/result waits for the tool's result, tasks/cancel releases it uncharged, tasks/list
lists them; nobody sees another caster's task."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from spell_mcp.mcp.protocol import PROBLEM_META
from tests.conftest import RunningServer
from tests.functional.test_mcp import ECHO_PRICE, available

SPIN_PRICE = 1000


class Wire:
    """A 2025-11-25 Streamable HTTP session, request by request (the SDK's client knows no
    tasks in this revision)."""

    def __init__(self, server: RunningServer, key: str) -> None:
        self.http = httpx.Client(
            base_url=server.url,
            timeout=60,
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"},
        )
        self.next_id = 0
        started = self.http.post(
            "/mcp",
            json=self._message(
                "initialize",
                {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "tasks", "version": "1"},
                },
            ),
        )
        self.capabilities = self._body(started)["result"]["capabilities"]
        self.http.headers["MCP-Protocol-Version"] = "2025-11-25"
        if "mcp-session-id" in started.headers:
            self.http.headers["Mcp-Session-Id"] = started.headers["mcp-session-id"]
        self.http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        return {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}

    @staticmethod
    def _body(response: httpx.Response) -> dict[str, Any]:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            data = [line[5:] for line in response.text.splitlines() if line.startswith("data:")]
            body: dict[str, Any] = json.loads(data[-1])
            return body
        return dict(response.json())

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """The JSON-RPC response: its `result` or its `error`."""
        return self._body(self.http.post("/mcp", json=self._message(method, params)))

    def result(self, method: str, **params: Any) -> dict[str, Any]:
        answer = self.call(method, **params)
        assert "result" in answer, answer
        result: dict[str, Any] = answer["result"]
        return result


def test_a_task_is_answered_at_once_and_its_result_waited_for(server: RunningServer) -> None:
    key = server.new_user(credits_usd="1")
    wire = Wire(server, key)
    assert wire.capabilities["tasks"] == {"cancel": {}, "list": {}, "requests": {"tools": {"call": {}}}}
    tools = {tool["name"]: tool for tool in wire.result("tools/list")["tools"]}
    assert tools["dev_spell_echo"]["execution"] == {"taskSupport": "optional"}

    task = wire.result(
        "tools/call", name="dev_spell_echo", arguments={"message": "as a task"}, task={"ttl": 60_000}
    )["task"]
    assert task["status"] == "working" and task["taskId"].startswith("cast_")
    assert task["pollInterval"] and task["createdAt"].endswith("Z")

    result = wire.result("tasks/result", taskId=task["taskId"])
    assert not result["isError"] and result["structuredContent"] == {"message": "as a task"}
    assert result["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task["taskId"]}
    assert result["_meta"]["dev.spell/charged_micros"] == ECHO_PRICE
    assert result["_meta"]["dev.spell/receipt"]["receipt"]["cast_id"] == task["taskId"]
    assert wire.result("tasks/get", taskId=task["taskId"])["status"] == "completed"
    assert [listed["taskId"] for listed in wire.result("tasks/list")["tasks"]] == [task["taskId"]]
    assert available(server, key) == 1_000_000 - ECHO_PRICE


def test_a_cancelled_task_is_never_charged(server: RunningServer) -> None:
    key = server.new_user(credits_usd="1")
    wire = Wire(server, key)
    task = wire.result("tools/call", name="test_spell_spin", arguments={}, task={})["task"]
    assert available(server, key) == 1_000_000 - SPIN_PRICE  # held
    cancelled = wire.result("tasks/cancel", taskId=task["taskId"])
    assert cancelled["status"] == "cancelled"
    assert available(server, key) == 1_000_000  # released at once
    result = wire.result("tasks/result", taskId=task["taskId"])
    assert result["isError"] and result["_meta"][PROBLEM_META]["code"] == "cast_cancelled"
    assert "error" in wire.call("tasks/cancel", taskId=task["taskId"])  # finished: nothing to cancel
    # The spell, stopped or run to its end, never charges the cancelled cast.
    deadline = time.monotonic() + 30
    with server.client(key) as rest:
        while rest.get("/v1/users/me/balance").json()["held"]["micros"]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        cast = rest.get(f"/v1/casts/{task['taskId']}").json()
    assert (cast["status"], cast["error_code"], cast["charged"]["micros"]) == ("failed", "cast_cancelled", 0)
    assert available(server, key) == 1_000_000


def test_refusals_come_before_any_task_and_tasks_are_the_casters_own(server: RunningServer) -> None:
    broke = Wire(server, server.new_user(credits_usd="0"))
    refused = broke.result("tools/call", name="dev_spell_echo", arguments={"message": "x"}, task={})
    assert refused["isError"] and refused["_meta"][PROBLEM_META]["code"] == "insufficient_credits"
    assert broke.result("tasks/list")["tasks"] == []

    owner = Wire(server, server.new_user(credits_usd="1"))
    task = owner.result("tools/call", name="dev_spell_echo", arguments={"message": "mine"}, task={})["task"]
    stranger = Wire(server, server.new_user(credits_usd="1"))
    for method in ("tasks/get", "tasks/result", "tasks/cancel"):
        answer = stranger.call(method, taskId=task["taskId"])
        assert "cast_not_found" in answer["error"]["message"], answer
    assert stranger.result("tasks/list")["tasks"] == []
    # A cast waited for is no task.
    waited = owner.result("tools/call", name="dev_spell_echo", arguments={"message": "now"})
    assert "error" in owner.call("tasks/get", taskId=waited["_meta"]["dev.spell/cast_id"])
