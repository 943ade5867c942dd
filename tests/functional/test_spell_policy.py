"""A spell's grants, through the real server: package resources, artifacts, makers' secrets."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from tests.conftest import RunningServer

PROBE = "/v1/spells/test.spell.probe/cast"


def cast(client: httpx.Client, command: str) -> dict[str, object]:
    response = client.post(PROBE, json={"input": {"c": command}})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_spell_reads_its_own_package_resources_and_nothing_else(server: RunningServer) -> None:
    with server.client() as client:
        assert cast(client, "read /resources/words.txt")["output"] == {"ok": True, "bytes": 11}
        assert cast(client, "read /etc/passwd")["output"]["ok"] is False  # type: ignore[index]
        assert cast(client, "read /resources/../../spell.db")["output"]["ok"] is False  # type: ignore[index]


def test_files_written_to_scratch_are_kept_as_artifacts_of_the_cast(server: RunningServer) -> None:
    with server.client() as client:
        result = cast(client, "write /scratch/report.txt")
        [artifact] = result["artifacts"]  # type: ignore[misc]
        assert (artifact["name"], artifact["size"]) == ("report.txt", 17)
        download = client.get(artifact["url"])
        assert download.status_code == 200
        assert download.content == b"written by probe\n"
        listed = client.get(f"/v1/casts/{result['cast_id']}").json()["artifacts"]
        assert listed == [artifact]
    with server.client(server.new_user()) as stranger:
        assert stranger.get(artifact["url"]).status_code == 404


def test_a_makers_secret_reaches_the_spell_and_is_encrypted_at_rest(server: RunningServer) -> None:
    with server.client() as client:
        assert cast(client, "env API_TOKEN")["output"] == {"ok": False}
        server.spell("secrets", "set", "test.spell.probe", "API_TOKEN", stdin="s3cr3t-value\n")
        assert cast(client, "env API_TOKEN")["output"] == {"ok": True, "value": "s3cr3t-value"}
        # Only the names the manifest lists are ever set.
        server.spell("secrets", "set", "test.spell.probe", "OTHER", stdin="nope")
        assert cast(client, "env OTHER")["output"] == {"ok": False}
    stored = b"".join(stored_ciphertexts(server))
    assert stored and b"s3cr3t-value" not in stored


def stored_ciphertexts(server: RunningServer) -> list[bytes]:
    query = "SELECT ciphertext FROM spell_secrets"
    if server.database.backend == "sqlite":
        with sqlite3.connect(server.database.url.removeprefix("sqlite:///")) as db:
            return [row[0] for row in db.execute(query)]

    async def fetch() -> list[bytes]:
        connection = await asyncpg.connect(
            make_url(server.database.url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        try:
            return [bytes(row[0]) for row in await connection.fetch(query)]
        finally:
            await connection.close()

    return asyncio.run(fetch())


def test_the_server_stays_responsive_while_a_spell_loops(server: RunningServer) -> None:
    def spin() -> None:
        with server.client() as client:
            client.post("/v1/spells/test.spell.spin/cast", json={"input": {}})

    # Spells that run for seconds (until their CPU budget is spent): a server whose event loop
    # they blocked would answer only after them.
    spinners = [threading.Thread(target=spin) for _ in range(2)]
    for thread in spinners:
        thread.start()
    time.sleep(0.3)
    slowest = 0.0
    for _ in range(5):
        started = time.perf_counter()
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        slowest = max(slowest, time.perf_counter() - started)
    still_spinning = all(thread.is_alive() for thread in spinners)
    for thread in spinners:
        thread.join()
    assert still_spinning, "the spells ended before the server was asked: nothing was measured"
    assert slowest < 1.0
