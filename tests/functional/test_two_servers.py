"""Two server processes sharing one database never let a caster overspend between them."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKENDS, RunningServer, _database, make_test_spells, start_server

ECHO_PRICE = 100


@pytest.fixture(params=BACKENDS)
def two_servers(
    request: pytest.FixtureRequest, tmp_path: Path, built_spells: Path, probe_wasm: bytes
) -> Iterator[tuple[RunningServer, RunningServer]]:
    spells = make_test_spells(tmp_path / "spells", built_spells, probe_wasm)
    home = tmp_path / "home"
    home.mkdir()
    with _database(request.param, tmp_path) as database:
        processes: list[subprocess.Popen[bytes]] = []
        try:
            first_process, first = start_server(home, database, spells)
            processes.append(first_process)
            second_process, second = start_server(home, database, spells)
            processes.append(second_process)
            yield first, second
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=15)


def test_racing_casts_on_two_servers_spend_exactly_the_credits(
    two_servers: tuple[RunningServer, RunningServer],
) -> None:
    first, second = two_servers
    affordable, attempts = 37, 200
    key = first.new_user(credits_usd=f"{affordable * ECHO_PRICE / 1_000_000:.6f}")

    async def storm() -> list[int]:
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(headers=headers, timeout=60) as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        f"{(first if n % 2 else second).url}/v1/spells/dev.spell.echo/cast",
                        json={"input": {"message": str(n)}},
                    )
                    for n in range(attempts)
                )
            )
        return [response.status_code for response in responses]

    statuses = asyncio.run(storm())
    assert statuses.count(200) == affordable
    assert statuses.count(402) == attempts - affordable
    for server in (first, second):
        with server.client(key) as client:
            assert client.get("/v1/users/me/balance").json()["available"]["micros"] == 0
