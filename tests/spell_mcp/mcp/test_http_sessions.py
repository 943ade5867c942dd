"""No caster can lock others out of MCP sessions: each holds a bounded number (Streamable HTTP and
legacy SSE together), and at a bound the session idle longest makes room (the caster's own, then
anyone's); a new session is refused only when all are in use, and idle sessions end."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spell_mcp.app import create_app
from spell_mcp.settings import Settings
from tests.conftest import RunningServer, serving_in_process
from tests.mcp_wire import ACCEPT, INITIALIZE, VERSION

PER_CASTER = 3
TOTAL = 6
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path
) -> Iterator[tuple[RunningServer, FastAPI]]:
    base = tmp_path_factory.mktemp("sessions")
    bounds = {"mcp_sessions_per_caster": PER_CASTER, "mcp_max_sessions": TOTAL}
    with serving_in_process(base, built_spells, **bounds) as running:
        yield running


class Caster:
    """A caster opening sessions by hand: idle ones, or in use (a GET stream held open, as clients
    listen for tools/list_changed), and legacy SSE streams. Everything is closed at the end."""

    def __init__(self, server: RunningServer, key: str, streams: AsyncExitStack) -> None:
        self.http = httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        self.streams = streams
        self.sessions: list[str] = []

    async def open(self) -> httpx.Response:
        """Open a session; its id is remembered when it opened."""
        opened = await self.http.post("/mcp", json=INITIALIZE, headers={"Accept": ACCEPT})
        if opened.status_code == 200:
            self.sessions.append(opened.headers["mcp-session-id"])
            await self.post(
                opened.headers["mcp-session-id"], {"jsonrpc": "2.0", "method": "notifications/initialized"}
            )
        return opened

    async def open_in_use(self) -> httpx.Response:
        """Open a session and listen on it (a GET stream held open)."""
        opened = await self.open()
        if opened.status_code == 200:
            listening = await self.streams.enter_async_context(
                self.http.stream("GET", "/mcp", headers=self.headers(self.sessions[-1], "text/event-stream"))
            )
            assert listening.status_code == 200
        return opened

    async def listen_legacy(self) -> httpx.Response:
        """Open a legacy SSE session (held open while its stream is)."""
        stream = await self.streams.enter_async_context(self.http.stream("GET", "/sse"))
        return stream

    def headers(self, session: str, accept: str = ACCEPT) -> dict[str, str]:
        return {"Mcp-Session-Id": session, "MCP-Protocol-Version": VERSION, "Accept": accept}

    async def post(self, session: str, message: dict[str, object]) -> httpx.Response:
        return await self.http.post("/mcp", json=message, headers=self.headers(session))

    async def close(self) -> None:
        for session in self.sessions:
            await self.http.delete("/mcp", headers=self.headers(session))
        await self.http.aclose()


@pytest.fixture
async def casters(served: tuple[RunningServer, FastAPI]) -> AsyncIterator[list[Caster]]:
    """Four casters (users) of their own; their sessions end with the test (before the next
    starts, the server has let go of them all)."""
    server, app = served
    async with AsyncExitStack() as streams:
        made = [Caster(server, server.new_user(credits_usd="1"), streams) for _ in range(4)]
        try:
            yield made
        finally:
            await streams.aclose()
            for caster in made:
                await caster.close()
    for _ in range(1000):  # the server (another thread) notices closed streams within moments
        if not app.state.mcp_sessions.open_sessions:
            break
        await anyio.sleep(0.01)
    else:
        pytest.fail("the server still holds sessions of a finished test")


async def test_past_its_bound_a_caster_loses_its_own_session_idle_longest(casters: list[Caster]) -> None:
    mine, other = casters[0], casters[1]
    await other.open()
    for _ in range(PER_CASTER + 1):
        assert (await mine.open()).status_code == 200, "idle sessions never keep their caster out"
    first, *rest = mine.sessions
    assert (await mine.post(first, LIST)).status_code == 404, "the one idle longest ended"
    for session in [*rest, *other.sessions]:
        assert (
            await mine.post(session, LIST) if session in rest else await other.post(session, LIST)
        ).status_code == 200


async def test_a_caster_opening_sessions_until_refused_does_not_lock_another_out(
    casters: list[Caster],
) -> None:
    """The load test: one caster opens sessions it keeps in use (and legacy SSE streams), as fast
    as it can, until refused; another caster gets in at once throughout."""
    hostile, honest = casters[0], casters[1]
    assert (await hostile.listen_legacy()).status_code == 200  # counts with its HTTP sessions
    started = time.monotonic()
    answers = [(await hostile.open_in_use()).status_code for _ in range(40)]
    hammering = time.monotonic() - started
    assert answers == [200] * (PER_CASTER - 1) + [429] * (40 - PER_CASTER + 1)
    refused = await hostile.open()
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) > 0 and "all in use" in refused.json()["detail"]
    assert (await hostile.http.get("/sse")).status_code == 429, "a legacy stream is one more session"
    started = time.monotonic()
    assert (await honest.open_in_use()).status_code == 200
    assert (await honest.post(honest.sessions[-1], LIST)).status_code == 200
    honest_s = time.monotonic() - started
    assert honest_s < 5, (
        f"the honest caster waited {honest_s:.2f} s ({len(answers)} attempts in {hammering:.2f} s)"
    )


async def test_at_the_process_bound_anyones_idle_session_makes_room_else_overloaded(
    casters: list[Caster],
) -> None:
    first, second, third, late = casters
    for _ in range(PER_CASTER):
        await first.open_in_use()
    await second.open_in_use()
    await second.open_in_use()
    await second.open()  # idle: the process's sixth and last
    assert (await third.open_in_use()).status_code == 200, "second's idle session made room"
    assert (await second.post(second.sessions[-1], LIST)).status_code == 404
    refused = await late.open()
    assert refused.status_code == 503 and refused.json()["code"] == "overloaded"
    assert int(refused.headers["retry-after"]) > 0
    await first.http.delete("/mcp", headers=first.headers(first.sessions.pop()))
    assert (await late.open()).status_code == 200, "an ended session frees its room"


def test_a_session_with_nothing_in_flight_ends_after_the_idle_time(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "home", dev_mode=True, examples_dir=tmp_path / "none", mcp_session_idle_s=1
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        key = (tmp_path / "home" / "operator.key").read_text().strip()
        client.headers.update(
            {"Authorization": f"Bearer {key}", "Accept": ACCEPT, "MCP-Protocol-Version": VERSION}
        )
        session = client.post("/mcp", json=INITIALIZE).headers["mcp-session-id"]
        assert client.post("/mcp", json=LIST, headers={"Mcp-Session-Id": session}).status_code == 200
        time.sleep(2.5)
        assert client.post("/mcp", json=LIST, headers={"Mcp-Session-Id": session}).status_code == 404
