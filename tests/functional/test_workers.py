"""Queued casts on NATS JetStream, run by `spell worker` processes on other hosts: the servers
only hold and queue them; a message delivered again, or left by a worker that died mid-cast,
is run by another and charged once; a worker asked to stop finishes what it runs; a cast
cancelled on a server is stopped on the worker running it; when NATS cannot be reached, queued
casts are refused at once and nothing is held."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from billing.receipts import verify_receipt
from tests import wasm_modules as wat
from tests.conftest import RunningServer, free_port, nats_url, redis_url, running_servers, start_worker
from tests.functional.test_crash import query, verify_ledger
from tests.object_store import ObjectStore
from tests.private_servers import private_nats
from tests.spellbook import write_spell

ASYNC = {"Prefer": "respond-async"}
ECHO = "/v1/spells/dev.spell.echo/cast"
ECHO_PRICE = 100
SLOW = "/v1/spells/test.spell.slow/cast"
SLOW_PRICE = 10_000
ACK_WAIT_S = 2


def slow_spell(spells: Path) -> None:
    # About four seconds of CPU, then {"done": true}.
    write_spell(
        spells, "test.spell.slow", wat.spins_then_writes(4_000_000_000, '{"done":true}'), timeout_ms=30_000
    )


def shared_settings(objects: ObjectStore, nats: str, stream: str) -> dict[str, str]:
    """What every host of the fleet shares: the services and the keys."""
    receipt_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        **objects.env(objects.new_bucket(), "spell"),
        "SPELL_REDIS_URL": redis_url(),
        "SPELL_RECEIPT_KEY": receipt_key.decode(),
        "SPELL_SECRETS_KEY": Fernet.generate_key().decode(),
        "SPELL_NATS_URL": nats,
        "SPELL_NATS_STREAM": stream,
        "SPELL_QUEUE_ACK_WAIT_S": str(ACK_WAIT_S),
        "SPELL_FUEL_PER_CAST": "60000000000",
    }


def nats_call(url: str, call: Any) -> Any:
    """`call(jetstream)` on a connection of the test's own."""

    async def run() -> Any:
        client = await nats.connect(url)
        try:
            return await call(client.jetstream())
        finally:
            await client.close()

    return asyncio.run(run())


@dataclass
class Fleet:
    servers: list[RunningServer]
    base: Path
    nats: str
    stream: str
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    started: int = 0

    def worker(self, **settings: str) -> subprocess.Popen[bytes]:
        """A worker on a host of its own (its own home), with the fleet's settings and these."""
        self.started += 1
        process = start_worker(self.base / f"worker{self.started}", {**self.servers[0].env, **settings})
        self.workers.append(process)
        return process

    def consumer(self) -> Any:
        return nats_call(self.nats, lambda js: js.consumer_info(self.stream, "workers"))

    def idle(self) -> None:
        """Until the stream has nothing left to deliver or to acknowledge."""
        deadline = time.monotonic() + 30
        while True:
            info = self.consumer()
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return
            assert time.monotonic() < deadline, info
            time.sleep(0.2)


@pytest.fixture(scope="module")
def fleet(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes, objects: ObjectStore
) -> Iterator[Fleet]:
    url, stream = nats_url(), f"spell_test_{uuid.uuid4().hex[:12]}"
    base = tmp_path_factory.mktemp("workers")
    with running_servers(
        base,
        built_spells,
        probe_wasm,
        count=2,
        backend="postgresql",
        extra_env=shared_settings(objects, url, stream),
        extra_spells=slow_spell,
        separate_homes=True,
    ) as servers:
        fleet = Fleet(servers, base, url, stream)
        try:
            yield fleet
        finally:
            for process in fleet.workers:
                process.kill()
                process.wait()
            nats_call(url, lambda js: js.delete_stream(stream))


@pytest.fixture
def no_workers(fleet: Fleet) -> Iterator[Fleet]:
    """The fleet, its workers stopped after the test (none run before it)."""
    yield fleet
    for process in fleet.workers:
        if process.poll() is None:
            process.kill()
            process.wait()
    fleet.workers.clear()


def outcome(client: httpx.Client, cast_id: str, within_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    while True:
        cast: dict[str, Any] = client.get(f"/v1/casts/{cast_id}").json()
        if cast["status"] != "running":
            return cast
        assert time.monotonic() < deadline, f"{cast_id} still running"
        time.sleep(0.1)


def available(client: httpx.Client) -> int:
    micros: int = client.get("/v1/users/me/balance").json()["available"]["micros"]
    return micros


def queue(client: httpx.Client, path: str, data: dict[str, Any]) -> str:
    answer = client.post(path, json={"input": data}, headers=ASYNC)
    assert answer.status_code == 202, answer.text
    cast_id: str = answer.json()["cast_id"]
    return cast_id


def transfers_of(fleet: Fleet, cast_id: str) -> int:
    sql = f"SELECT COUNT(DISTINCT transfer_id) FROM ledger_entries WHERE reference = '{cast_id}'"
    count: int = query(fleet.servers[0].database, sql)[0][0]
    return count


def test_servers_only_queue_and_a_worker_on_another_host_runs(no_workers: Fleet) -> None:
    fleet = no_workers
    first, second = fleet.servers
    key = first.new_user(credits_usd="1")
    with first.client(key) as client:
        cast_id = queue(client, ECHO, {"message": "by a worker"})
        time.sleep(1)
        assert client.get(f"/v1/casts/{cast_id}").json()["status"] == "running"  # no server ran it
        assert available(client) == 1_000_000 - ECHO_PRICE  # held
    metrics_port = free_port()
    fleet.worker(SPELL_WORKER_METRICS_PORT=str(metrics_port))
    with second.client(key) as client:
        cast = outcome(client, cast_id)
        assert (cast["status"], cast["output"], cast["charged"]["micros"]) == (
            "succeeded",
            {"message": "by a worker"},
            ECHO_PRICE,
        )
        assert available(client) == 1_000_000 - ECHO_PRICE
        receipt = client.get(f"/v1/casts/{cast_id}/receipt").json()
        keys = client.get("/v1/.well-known/spell-keys").json()["keys"]
    assert verify_receipt(receipt, keys)["cast_id"] == cast_id  # signed by the worker, with the fleet's key
    scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text  # the worker's own metrics
    assert 'spell_casts_total{outcome="succeeded",spell="dev.spell.echo",transport="rest"} 1.0' in scraped


def test_a_cast_delivered_three_times_is_charged_once(no_workers: Fleet) -> None:
    fleet = no_workers
    key = fleet.servers[0].new_user(credits_usd="1")
    with fleet.servers[0].client(key) as client:
        cast_id = queue(client, ECHO, {"message": "once"})

    async def deliver_again(js: Any) -> None:
        message = await js.get_last_msg(fleet.stream, f"{fleet.stream}.queued")
        for copy in ("again", "and again"):  # new message ids: not taken for retried publishes
            await js.publish(
                f"{fleet.stream}.queued", message.data, headers={"Nats-Msg-Id": f"{cast_id} {copy}"}
            )

    nats_call(fleet.nats, deliver_again)
    fleet.worker()
    fleet.worker()
    fleet.idle()
    with fleet.servers[1].client(key) as client:
        assert outcome(client, cast_id)["charged"]["micros"] == ECHO_PRICE
        assert available(client) == 1_000_000 - ECHO_PRICE
    assert transfers_of(fleet, cast_id) == 1
    assert verify_ledger(fleet.servers[0].database) == []


def test_a_worker_killed_mid_cast_leaves_it_to_another(no_workers: Fleet) -> None:
    fleet = no_workers
    key = fleet.servers[0].new_user(credits_usd="1")
    with fleet.servers[0].client(key) as client:
        cast_id = queue(client, SLOW, {})
    doomed = fleet.worker()
    deadline = time.monotonic() + 20
    while fleet.consumer().num_ack_pending == 0:  # until the doomed worker has it
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()
    fleet.worker()
    with fleet.servers[1].client(key) as client:
        cast = outcome(client, cast_id)
        assert (cast["status"], cast["output"], cast["charged"]["micros"]) == (
            "succeeded",
            {"done": True},
            SLOW_PRICE,
        )
        assert available(client) == 1_000_000 - SLOW_PRICE
    assert fleet.consumer().delivered.consumer_seq >= 2  # it was given again
    assert transfers_of(fleet, cast_id) == 1


def test_a_worker_asked_to_stop_finishes_what_it_runs(no_workers: Fleet) -> None:
    fleet = no_workers
    key = fleet.servers[0].new_user(credits_usd="1")
    with fleet.servers[0].client(key) as client:
        cast_id = queue(client, SLOW, {})
        worker = fleet.worker()
        while fleet.consumer().num_ack_pending == 0:
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        assert client.get(f"/v1/casts/{cast_id}").json()["status"] == "succeeded"


def test_a_cast_cancelled_while_a_worker_runs_it_is_stopped_there_and_never_charged(
    no_workers: Fleet,
) -> None:
    fleet = no_workers
    key = fleet.servers[0].new_user(credits_usd="1")
    fleet.worker()
    with fleet.servers[0].client(key) as client:
        cast_id = queue(client, SLOW, {})
        while fleet.consumer().num_ack_pending == 0:  # the worker has it
            time.sleep(0.05)
        time.sleep(0.5)
        cancelled = client.post(f"/v1/casts/{cast_id}/cancel").json()  # on a server, not the worker
        assert (cancelled["status"], cancelled["error_code"]) == ("failed", "cast_cancelled")
        assert available(client) == 1_000_000
    fleet.idle()
    log = (fleet.base / f"worker{fleet.started}.log").read_text()
    ended = [line for line in log.splitlines() if cast_id in line and "outcome=" in line]
    assert ended and "outcome=cast_cancelled" in ended[-1], ended  # stopped, not run to its end
    assert transfers_of(fleet, cast_id) == 0


def test_queued_casts_are_refused_uncharged_while_nats_is_down(
    tmp_path: Path, built_spells: Path, probe_wasm: bytes, objects: ObjectStore
) -> None:
    with (
        private_nats(tmp_path / "nats") as own_nats,
        running_servers(
            tmp_path,
            built_spells,
            probe_wasm,
            backend="postgresql",
            extra_env=shared_settings(objects, own_nats.url, "SPELL_CASTS"),
        ) as (server,),
    ):
        key = server.new_user(credits_usd="1")
        worker = start_worker(tmp_path / "worker", server.env)  # there before, and after
        try:
            with server.client(key) as client:
                first = queue(client, ECHO, {"message": "before"})
                assert outcome(client, first)["status"] == "succeeded"
                own_nats.stop()
                refused = client.post(ECHO, json={"input": {"message": "x"}}, headers=ASYNC)
                assert refused.status_code == 503 and refused.json()["code"] == "overloaded"
                assert refused.headers["retry-after"]
                assert available(client) == 1_000_000 - ECHO_PRICE  # nothing more held
                waited = client.post(ECHO, json={"input": {"message": "now"}})
                assert waited.status_code == 200  # casts waited for do not need the queue
                own_nats.start()  # NATS is back (its stream kept on disk): both reconnect
                deadline = time.monotonic() + 30
                while (
                    again := client.post(ECHO, json={"input": {"message": "y"}}, headers=ASYNC)
                ).status_code != 202:
                    assert time.monotonic() < deadline, again.text
                    time.sleep(0.5)
                assert outcome(client, again.json()["cast_id"])["output"] == {"message": "y"}
                assert available(client) == 1_000_000 - 3 * ECHO_PRICE
        finally:
            worker.kill()
            worker.wait()
