"""Proof under load and faults, short: three servers and two workers (each its own home) on
PostgreSQL, Redis, NATS JetStream and an object store (the Redis and the NATS its own) take a
mixed load (casts waited for and queued, publishes, a key revoked, budgets changed) while one
server and one worker are SIGKILLed, Redis loses its connections and its data, and NATS is
restarted. Afterwards the ledger verifies, every balance is its credits less what was charged,
every accepted cast is settled exactly once or failed uncharged, and no hold is left after the
sweep. SPELL_LOAD_SECONDS=300 runs it as a soak (6 s in `make test`)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
from pathlib import Path

import httpx
from redis import Redis

from registry import pack_directory
from tests import wasm_modules as wat
from tests.conftest import _database, make_test_spells, start_server, start_workers
from tests.functional.test_crash import query, verify_ledger
from tests.object_store import ObjectStore
from tests.private_servers import private_nats, private_redis
from tests.spellbook import write_spell

CASTERS = 6
CREDITS = 50_000  # micro-USD each: enough for some casts, not all
LOAD_S = float(os.environ.get("SPELL_LOAD_SECONDS", "6"))


def test_a_fleet_under_load_and_faults_loses_no_money(
    tmp_path: Path, built_spells: Path, probe_wasm: bytes, objects: ObjectStore
) -> None:
    spells = make_test_spells(tmp_path / "spells", built_spells, probe_wasm)
    write_spell(
        spells, "test.spell.slow", wat.spins_then_writes(100_000_000), price_usd="0.01", timeout_ms=20_000
    )
    with (
        _database("postgresql", tmp_path) as database,
        private_nats(tmp_path / "nats") as nats,
        private_redis(tmp_path / "redis") as own_redis,
    ):
        env = {
            **objects.env(objects.new_bucket()),
            "SPELL_REDIS_URL": own_redis.url,
            "SPELL_NATS_URL": nats.url,
            "SPELL_QUEUE_ACK_WAIT_S": "2",
            "SPELL_HOLD_TTL_S": "3",
            "SPELL_SWEEP_INTERVAL_S": "1",
        }
        homes = [tmp_path / f"home{n}" for n in range(3)]
        started = []
        for home in homes:
            home.mkdir()
            started.append(start_server(home, database, spells, env))
        servers = [server for _, server in started]
        workers = start_workers([tmp_path / f"worker{n}" for n in range(2)], servers[0].env)
        operator = servers[0].operator_key
        keys = [servers[0].new_user(credits_usd=str(CREDITS / 1_000_000)) for _ in range(CASTERS)]
        accepted: list[tuple[str, int]] = []  # (cast id, HTTP status) of every cast the fleet took
        lock = threading.Lock()
        stop = threading.Event()

        def caster(key: str, doomed: bool = False) -> None:
            """Casts at random servers; a doomed caster casts slow spells at the server that
            will be killed, so that casts are in flight when it dies."""
            rng = random.Random(key)
            while not stop.is_set():
                server = servers[1] if doomed else rng.choice(servers)
                spell = (
                    "test.spell.slow"
                    if doomed
                    else rng.choice(["dev.spell.echo", "dev.spell.echo", "test.spell.slow"])
                )
                body = {"input": {"message": "load"} if spell == "dev.spell.echo" else {}}
                headers = {"Authorization": f"Bearer {key}"}
                if rng.random() < 0.3:
                    headers["Prefer"] = "respond-async"
                with contextlib.suppress(httpx.HTTPError):  # a server dies under some of them
                    answer = httpx.post(
                        f"{server.url}/v1/spells/{spell}/cast", json=body, headers=headers, timeout=30
                    )
                    if answer.status_code in (200, 202):
                        with lock:
                            accepted.append((answer.json()["cast_id"], answer.status_code))

        def meddler() -> None:
            """What operators and makers do meanwhile: publish, cap a budget, revoke a key."""
            with httpx.Client(
                base_url=servers[0].url, headers={"Authorization": f"Bearer {operator}"}
            ) as admin:
                for number in range(3):
                    package = pack_directory(
                        write_spell(
                            tmp_path / f"v{number}",
                            "com.fleet.load",
                            wat.writes('{"ok":1}'),
                            version=f"1.0.{number}",
                        )
                    )
                    admin.post("/v1/spells", files={"package": ("spell.tar", package, "application/x-tar")})
                    time.sleep(0.5)
            with httpx.Client(
                base_url=servers[2].url, headers={"Authorization": f"Bearer {keys[0]}"}
            ) as first:
                first.put("/v1/users/me/budget", json={"daily_cap_micros": 20_000})
                me = first.get("/v1/keys").json()["items"][0]["id"]
                time.sleep(0.5)
                first.delete(f"/v1/keys/{me}")

        threads = [threading.Thread(target=caster, args=(key, n < 2)) for n, key in enumerate(keys)]
        threads.append(threading.Thread(target=meddler))
        for thread in threads:
            thread.start()
        time.sleep(LOAD_S / 3)
        killed_process, killed = started[1]
        os.kill(killed.pid, signal.SIGKILL)
        killed_process.wait()
        assert query(database, "SELECT COUNT(*) FROM casts WHERE status = 'running'")[0][0], (
            "nothing was in flight"
        )
        workers[0].kill()  # a worker dies mid-cast: its casts go to the other
        workers[0].wait()
        time.sleep(LOAD_S / 3)
        # Redis restarts: every connection dropped, everything it held lost.
        redis = Redis.from_url(own_redis.url)
        redis.flushdb()
        redis.client_kill_filter(_type="normal", skipme=True)
        nats.stop()  # NATS restarts, its stream kept on disk
        nats.start()
        time.sleep(LOAD_S / 3)
        stop.set()
        for thread in threads:
            thread.join()
        assert workers[1].poll() is None, "the surviving worker died of the faults"
        restarted_process, _ = start_server(homes[1], database, spells, env)
        try:
            deadline = time.monotonic() + 30
            while query(database, "SELECT COUNT(*) FROM holds WHERE status = 'pending'")[0][0]:
                assert time.monotonic() < deadline, "the sweeper left holds open"
                time.sleep(0.5)
            while query(database, "SELECT COUNT(*) FROM casts WHERE status = 'running'")[0][0]:
                assert time.monotonic() < deadline, "casts were left running"
                time.sleep(0.5)
        finally:
            for process in (restarted_process, started[0][0], started[2][0], workers[1]):
                process.terminate()
                process.wait(timeout=30)

        assert len(accepted) > 20, "the load should have been accepted in part"
        queued = [cast_id for cast_id, status in accepted if status == 202]
        assert (
            queued
            and query(
                database,
                "SELECT COUNT(*) FROM casts WHERE queued AND status = 'succeeded'",
            )[0][0]
        ), "no queued cast was run by a worker"
        casts = {
            cast_id: (status, charged, transfer, price)
            for cast_id, status, charged, transfer, price in query(
                database, "SELECT id, status, charged_micros, transfer_id, price_micros FROM casts"
            )
        }
        for cast_id, http_status in accepted:
            status, charged, transfer, price = casts[cast_id]  # every accepted cast is recorded
            if http_status == 200:  # answered as settled: settled it is
                assert (status, charged, transfer is not None) == ("succeeded", price, True), cast_id
        for cast_id, (status, charged, transfer, price) in casts.items():
            if status == "succeeded":
                assert (charged, transfer is not None) == (price, True), cast_id
            else:
                assert (status, charged, transfer) == ("failed", 0, None), cast_id
        transfers = query(
            database, "SELECT COUNT(DISTINCT transfer_id) FROM ledger_entries WHERE kind = 'cast'"
        )[0][0]
        assert transfers == sum(1 for status, *_ in casts.values() if status == "succeeded")  # each once
        spent = dict(
            query(
                database,
                "SELECT u.id, COALESCE(SUM(c.charged_micros), 0) FROM users u "
                "LEFT JOIN casts c ON c.caster_id = u.id WHERE NOT u.is_operator GROUP BY u.id",
            )
        )
        available = dict(
            query(
                database,
                "SELECT owner_id, balance - held FROM accounts WHERE kind = 'caster_credits' "
                "AND owner_id IN (SELECT id FROM users WHERE NOT is_operator)",
            )
        )
        assert len(available) == CASTERS
        for user, left in available.items():
            assert left == CREDITS - spent[user] >= 0, user
        assert verify_ledger(database) == []
