"""Rate limits, in-flight caps and load shedding — in one process, and shared through Redis."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spell_mcp.accounts.keys import Caster
from spell_mcp.app import create_app
from spell_mcp.casting.limits import RequestLimits
from spell_mcp.errors import SpellError
from spell_mcp.settings import Settings
from tests.conftest import redis_url
from tests.mcp_wire import ACCEPT, INITIALIZE, INITIALIZED, VERSION, answer

TIGHT = {
    "rate_per_key_per_min": 60,
    "rate_per_user_per_min": 600,
    "rate_burst": 3,
    "max_in_flight_per_key": 2,
}


def caster() -> Caster:
    return Caster(user_id=f"usr_{secrets.token_hex(4)}", key_id=secrets.token_hex(8), is_operator=False)


async def test_a_key_past_its_burst_is_told_when_to_retry() -> None:
    limits = RequestLimits(Settings(**TIGHT))
    who = caster()
    verdicts = [await limits.check(who) for _ in range(3)]
    assert verdicts[0].headers()["RateLimit-Policy"] == '"per-key";q=60;w=60'
    assert [v.remaining for v in verdicts] == [2, 1, 0]
    with pytest.raises(SpellError) as limited:
        await limits.check(who)
    assert limited.value.code == "rate_limited"
    assert int(limited.value.headers["Retry-After"]) >= 1
    assert limited.value.headers["RateLimit"].startswith('"per-key";r=0;t=')
    await limits.check(caster())  # another key is not affected


async def test_casts_in_flight_per_key_are_capped_and_the_queue_is_bounded() -> None:
    limits = RequestLimits(Settings(**TIGHT, max_queued_casts=5))
    who = caster()
    async with limits.casting(who, queued=0), limits.casting(who, queued=0):
        with pytest.raises(SpellError) as third:
            async with limits.casting(who, queued=0):
                pass
        assert third.value.code == "rate_limited"
    async with limits.casting(who, queued=0):  # released: room again
        pass
    with pytest.raises(SpellError) as shed:
        async with limits.casting(caster(), queued=5):
            pass
    assert (shed.value.code, shed.value.status, shed.value.headers["Retry-After"]) == ("overloaded", 503, "1")


async def test_limits_hold_across_processes_through_redis() -> None:
    url = redis_url()
    first, second = (
        RequestLimits(Settings(**TIGHT, redis_url=url)),
        RequestLimits(Settings(**TIGHT, redis_url=url)),
    )
    who = caster()
    try:
        for limits in (first, second, first):
            await limits.check(who)
        with pytest.raises(SpellError):
            await second.check(who)
        async with first.casting(who, queued=0), second.casting(who, queued=0):
            with pytest.raises(SpellError):
                async with first.casting(who, queued=0):
                    pass
    finally:
        await first.close()
        await second.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path / "home", dev_mode=True, examples_dir=tmp_path / "none", **TIGHT)
    with TestClient(create_app(settings)) as test_client:
        key = (tmp_path / "home" / "operator.key").read_text().strip()
        test_client.headers["Authorization"] = f"Bearer {key}"
        yield test_client


def test_rest_answers_carry_ratelimit_headers_and_429_past_the_limit(client: TestClient) -> None:
    answers = [client.get("/v1/spells") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["ratelimit"] == '"per-key";r=2;t=1'
    assert answers[0].headers["ratelimit-policy"] == '"per-key";q=60;w=60'
    assert answers[3].json()["code"] == "rate_limited"
    assert int(answers[3].headers["retry-after"]) >= 1


@pytest.fixture
def mcp_client(client: TestClient) -> TestClient:
    """The same server, reached at the loopback name MCP's DNS-rebinding guard accepts."""
    client.base_url = "http://127.0.0.1:8000"
    client.headers.update({"Accept": ACCEPT, "MCP-Protocol-Version": VERSION})
    return client


def test_every_mcp_method_counts_against_the_keys_rate(mcp_client: TestClient) -> None:
    """Not only casts: the session's opening, tools/list, resources/list… (notifications are free)."""
    opened = mcp_client.post("/mcp", json=INITIALIZE)
    session = {"Mcp-Session-Id": opened.headers["mcp-session-id"]}
    assert mcp_client.post("/mcp", json=INITIALIZED, headers=session).status_code == 202
    listed = mcp_client.post(
        "/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=session
    )
    assert "tools" in answer(listed)["result"]
    resources = {"jsonrpc": "2.0", "id": 3, "method": "resources/list"}
    assert "resources" in answer(mcp_client.post("/mcp", json=resources, headers=session))["result"]
    past = mcp_client.post("/mcp", json={"jsonrpc": "2.0", "id": 4, "method": "tools/list"}, headers=session)
    error = answer(past)["error"]
    assert error["message"].startswith("rate_limited: too many requests (per key limit 60/min)")
    assert error["data"]["code"] == "rate_limited" and error["data"]["retry_after"] >= 1


def test_opening_mcp_sessions_past_the_rate_is_refused_with_429(mcp_client: TestClient) -> None:
    answers = [mcp_client.post("/mcp", json=INITIALIZE) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[3].json()["code"] == "rate_limited"
    assert int(answers[3].headers["retry-after"]) >= 1
    assert "mcp-session-id" not in answers[3].headers, "no session was opened"
