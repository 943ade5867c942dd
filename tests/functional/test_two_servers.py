"""Two server processes sharing one database (and Redis, when configured) never let a caster
overspend credits or a budget between them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import ElicitResult
from redis import Redis

from spell_mcp.casting.lookups import KEY_TTL_S
from tests.conftest import (
    RunningServer,
    redis_url,
    running_servers,
)
from tests.functional.test_mcp import problem

ECHO_PRICE = 100
AFFORDABLE, ATTEMPTS = 37, 200
# The database alone on each backend, PostgreSQL with the Redis fast path in front of it, and one
# `spell serve --workers 2` (two processes on one port: requests land on either).
SETUPS = ["sqlite", "postgresql", "postgresql+redis", "sqlite workers", "postgresql workers"]


@pytest.fixture(scope="module", params=SETUPS)
def two_servers(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    built_spells: Path,
    probe_wasm: bytes,
) -> Iterator[tuple[RunningServer, RunningServer]]:
    setup, _, workers = request.param.partition(" ")
    backend, _, with_redis = setup.partition("+")
    extra_env = {"SPELL_REDIS_URL": redis_url()} if with_redis else {}
    base = tmp_path_factory.mktemp("two-servers")
    if workers:
        with running_servers(
            base, built_spells, probe_wasm, backend=backend, extra_env={"SPELL_WORKERS": "2"}
        ) as (server,):
            assert len(worker_processes(server)) == 2
            yield server, server
        return
    with running_servers(
        base, built_spells, probe_wasm, count=2, backend=backend, extra_env=extra_env
    ) as servers:
        yield servers[0], servers[1]


def worker_processes(server: RunningServer) -> list[int]:
    """The processes serving `server`'s port: the children of its supervisor that serve (not
    multiprocessing's resource tracker)."""
    supervisor = server.pid
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def storm(servers: tuple[RunningServer, RunningServer], key: str) -> list[httpx.Response]:
    """ATTEMPTS casts at once, alternating between the two servers."""

    async def send() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(headers=headers, timeout=60) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        f"{servers[n % 2].url}/v1/spells/dev.spell.echo/cast",
                        json={"input": {"message": str(n)}},
                    )
                    for n in range(ATTEMPTS)
                )
            )

    return asyncio.run(send())


def test_racing_casts_on_two_servers_spend_exactly_the_credits(
    two_servers: tuple[RunningServer, RunningServer],
) -> None:
    first, _ = two_servers
    key = first.new_user(credits_usd=f"{AFFORDABLE * ECHO_PRICE / 1_000_000:.6f}")
    responses = storm(two_servers, key)
    codes = [response.json().get("code") for response in responses if response.status_code != 200]
    assert len(responses) - len(codes) == AFFORDABLE
    assert codes == ["insufficient_credits"] * (ATTEMPTS - AFFORDABLE)
    for server in two_servers:
        with server.client(key) as client:
            assert client.get("/v1/users/me/balance").json()["available"]["micros"] == 0


def test_a_key_revoked_on_one_server_stops_on_the_other(
    two_servers: tuple[RunningServer, RunningServer],
) -> None:
    first, second = two_servers
    owner = first.new_user(credits_usd="1")
    with first.client(owner) as client:
        created = client.post("/v1/keys", json={"name": "agent", "scopes": ["cast", "read"]}).json()
    cast = ("/v1/spells/dev.spell.echo/cast", {"input": {"message": "hi"}})
    with second.client(str(created["key"])) as agent:
        assert agent.post(*cast[:1], json=cast[1]).status_code == 200  # the second server knows it
        with first.client(owner) as client:
            assert client.delete(f"/v1/keys/{created['id']}").status_code == 204
        # At once, Redis or not: the cast's own transaction checks the key where money moves.
        refused = agent.post(*cast[:1], json=cast[1])
        assert (refused.status_code, refused.json()["code"]) == (401, "unauthenticated")
        # Anything else, at once with Redis (it tells every process), within seconds without.
        deadline = time.monotonic() + (0.5 if "SPELL_REDIS_URL" in first.env else KEY_TTL_S + 1)
        while agent.get("/v1/spells").status_code != 401:
            assert time.monotonic() < deadline, "the revoked key still reads on the other server"
            time.sleep(0.05)
    with first.client(owner) as client:
        assert client.get("/v1/users/me/balance").json()["available"]["micros"] == 1_000_000 - ECHO_PRICE


def test_racing_casts_on_two_servers_stop_exactly_at_the_budget(
    two_servers: tuple[RunningServer, RunningServer],
) -> None:
    first, second = two_servers
    key = first.new_user(credits_usd="10")
    with first.client(key) as client:
        budget = client.put("/v1/users/me/budget", json={"daily_cap_micros": AFFORDABLE * ECHO_PRICE})
        subject = budget.json()["subject"]
    responses = storm(two_servers, key)
    codes = [response.json().get("code") for response in responses if response.status_code != 200]
    assert len(responses) - len(codes) == AFFORDABLE
    assert codes == ["budget_exceeded"] * (ATTEMPTS - AFFORDABLE)
    with second.client(key) as client:
        (day,) = client.get("/v1/users/me/budget").json()["windows"]
        assert (day["spent_micros"], day["held_micros"]) == (AFFORDABLE * ECHO_PRICE, 0)
        balance = client.get("/v1/users/me/balance").json()
        assert balance["available"]["micros"] == 10_000_000 - AFFORDABLE * ECHO_PRICE
    if "SPELL_REDIS_URL" in first.env:
        # Redis counted the same: every hold it admitted was settled there too.
        with Redis.from_url(first.env["SPELL_REDIS_URL"]) as redis:
            (window,) = redis.keys(f"spell:money:win:{subject}:day:*")
            assert redis.hgetall(window) == {b"spent": str(AFFORDABLE * ECHO_PRICE).encode(), b"held": b"0"}


@pytest.fixture(scope="module")
def two_limited_servers(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes
) -> Iterator[tuple[RunningServer, RunningServer]]:
    """Two processes on one database and one Redis, with a burst of 4 requests per key (then one
    a minute: no test here lasts long enough to earn another) and at most 2 casts in flight per
    key."""
    limits = {
        "SPELL_REDIS_URL": redis_url(),
        "SPELL_RATE_PER_KEY_PER_MIN": "1",
        "SPELL_RATE_BURST": "4",
        "SPELL_MAX_IN_FLIGHT_PER_KEY": "2",
    }
    base = tmp_path_factory.mktemp("limited")
    with running_servers(base, built_spells, probe_wasm, count=2, extra_env=limits) as servers:
        yield servers[0], servers[1]


def test_a_keys_rate_limit_holds_across_two_processes(
    two_limited_servers: tuple[RunningServer, RunningServer],
) -> None:
    first, second = two_limited_servers
    key = first.new_user(credits_usd="1")
    headers = {"Authorization": f"Bearer {key}"}
    statuses = [
        httpx.get(f"{server.url}/v1/spells", headers=headers, timeout=30).status_code
        for server in (first, second) * 5
    ]
    # One burst of 4 for the key, wherever its requests land; then 429 from either process.
    assert statuses[:4] == [200] * 4 and set(statuses[4:]) == {429}
    refused = httpx.get(f"{second.url}/v1/spells", headers=headers, timeout=30)
    assert refused.json()["code"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit"].startswith('"per-key";r=0')


def test_casts_in_flight_per_key_are_capped_across_two_processes(
    two_limited_servers: tuple[RunningServer, RunningServer],
) -> None:
    first, second = two_limited_servers
    key = first.new_user(credits_usd="1")

    async def three_slow_casts() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(headers=headers, timeout=60) as client:
            return await asyncio.gather(
                *(
                    client.post(f"{server.url}/v1/spells/test.spell.loop/cast", json={"input": {}})
                    for server in (first, second, first)
                )
            )

    responses = asyncio.run(three_slow_casts())
    codes = sorted(response.json()["code"] for response in responses)
    # Two run (to their 200 ms timeout); the third, on whichever process, is refused at once.
    assert codes == ["rate_limited", "spell_timeout", "spell_timeout"]


def test_a_costly_cast_is_confirmed_where_a_session_can_carry_the_question(
    two_servers: tuple[RunningServer, RunningServer],
) -> None:
    """With Redis, or several workers on one port, the processes are stateless: a 2025-era HTTP
    client cannot be asked mid-call even if it could answer, and is told how to proceed; otherwise
    a session asks it."""
    first, _ = two_servers
    key = first.new_user(credits_usd="1")
    with first.client(key) as rest:
        assert rest.put("/v1/users/me/budget", json={"confirm_above_micros": 50}).is_success
    asked: list[str] = []

    async def answer(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    async def call() -> Any:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http,
            Client(
                streamable_http_client(f"{first.url}/mcp", http_client=http),
                elicitation_callback=answer,
                mode="legacy",
            ) as client,
        ):
            return await client.call_tool("dev_spell_echo", {"message": "costly"})

    result = asyncio.run(call())
    if "SPELL_REDIS_URL" in first.env or "SPELL_WORKERS" in first.env:
        assert result.is_error and problem(result)["code"] == "confirmation_required"
        assert asked == []
    else:
        assert not result.is_error and len(asked) == 1
