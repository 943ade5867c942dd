"""Casts a fleet takes, and what it keeps, with 1, 2 and 3 servers.

Each fleet is fresh: its own PostgreSQL database, Redis (flushed), an S3-compatible store (moto's
server), a NATS JetStream stream (on a nats-server of this run's) and keys shared as settings;
every server and every `spell worker` has its own empty home, as on its own host.
`--concurrency` clients cast the echo spell at the servers in turn for `--seconds`, one cast in
ten queued (`Prefer: respond-async`) for the `--workers` (0: each server runs its own). With
`--faults`, a third of the way in the last server is SIGKILLed (with two or more) and so is the
last worker (with two or more); at two thirds Redis loses its data and connections and NATS is
restarted. Then the fleet is left to sweep, and its books are checked: no hold pending, no cast
running, every cast succeeded at its price or failed uncharged, one ledger transfer per settled
cast, and `spell ledger verify`. Prints one row per fleet: accepted casts a second, p50 and p99
of the casts waited for, refusals, queued casts that a worker settled, and whether the books
balance.

    python bench/load.py [--servers 1,2,3] [--workers 2] [--seconds 10] [--concurrency 16]
                         [--faults] [--postgres URL] [--redis URL]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from moto.server import ThreadedMotoServer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cast_latency import BIN, ROOT, database_url, free_port, reachable, wait_ready

ECHO = "/v1/spells/dev.spell.echo/cast"


def psql(admin: str, name: str, sql: str) -> list[list[str]]:
    url = re.sub(r"/[^/]*$", f"/{name}", admin)
    done = subprocess.run(["psql", url, "-qAtF", "\t", "-c", sql], capture_output=True, text=True, check=True)
    return [line.split("\t") for line in done.stdout.splitlines() if line]


class Nats:
    """A nats-server with JetStream of this run's, which the faults restart."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("nats-server") or shutil.which("nats-server", path="/usr/sbin:/usr/local/sbin")
        if binary is None:
            sys.exit("bench/load.py needs nats-server (Debian: nats-server) for --workers")
        self.port = free_port()
        self.command = [binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(directory)]
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process = self.start()

    def start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not reachable_port(self.port):
            if time.monotonic() > deadline:
                sys.exit("nats-server did not start")
            time.sleep(0.05)
        return process

    def restart(self) -> None:
        self.process.terminate()
        self.process.wait()
        self.process = self.start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def reachable_port(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def fleet_env(args: argparse.Namespace, database: str, store: str, bucket: str) -> dict[str, str]:
    receipt = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        **os.environ,
        "SPELL_DEV_MODE": "1",
        "SPELL_EXAMPLES_DIR": str(ROOT / "build" / "spells"),
        "SPELL_DEV_CREDITS_MICROS": str(10**12),
        "SPELL_DATABASE_URL": database_url(args.postgres, database),
        "SPELL_REDIS_URL": args.redis,
        "SPELL_BLOB_URL": f"s3://{bucket}/blobs",
        "SPELL_S3_ENDPOINT_URL": store,
        "SPELL_S3_REGION": "us-east-1",
        "SPELL_S3_ACCESS_KEY_ID": "bench",
        "SPELL_S3_SECRET_ACCESS_KEY": "bench-secret",
        "SPELL_RECEIPT_KEY": receipt.decode(),
        "SPELL_SECRETS_KEY": Fernet.generate_key().decode(),
        "SPELL_RATE_PER_KEY_PER_MIN": "100000000",
        "SPELL_RATE_PER_USER_PER_MIN": "100000000",
        "SPELL_RATE_BURST": "1000000",
        "SPELL_MAX_IN_FLIGHT_PER_KEY": "100000",
        "SPELL_HOLD_TTL_S": "3",
        "SPELL_SWEEP_INTERVAL_S": "1",
        "SPELL_LOG_FORMAT": "json",
        "SPELL_QUEUE_ACK_WAIT_S": "2",
        "SPELL_MAX_QUEUED_PER_CASTER": "100000",
    }


async def load(urls: list[str], key: str, seconds: float, concurrency: int) -> tuple[int, int, list[float]]:
    """Accepted casts, refusals, and the latencies (s) of the casts waited for."""
    accepted = refused = 0
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def client(number: int) -> None:
        nonlocal accepted, refused
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            sent = number
            while time.monotonic() < deadline:
                sent += 1
                queued = sent % 10 == 0
                headers = {"Prefer": "respond-async"} if queued else {}
                started = time.perf_counter()
                try:
                    answer = await http.post(
                        urls[sent % len(urls)] + ECHO, json={"input": {"message": "load"}}, headers=headers
                    )
                except httpx.HTTPError:
                    refused += 1
                    continue
                if answer.status_code in (200, 202):
                    accepted += 1
                    if not queued:
                        latencies.append(time.perf_counter() - started)
                else:
                    refused += 1

    await asyncio.gather(*(client(n) for n in range(concurrency)))
    return accepted, refused, latencies


def books_balance(admin: str, name: str, env: dict[str, str]) -> str:
    deadline = time.monotonic() + 60
    pending = "SELECT (SELECT COUNT(*) FROM holds WHERE status = 'pending') + "
    pending += "(SELECT COUNT(*) FROM casts WHERE status = 'running')"
    while int(psql(admin, name, pending)[0][0]):
        if time.monotonic() > deadline:
            return "holds or casts left open"
        time.sleep(0.5)
    wrong = psql(
        admin,
        name,
        "SELECT COUNT(*) FROM casts WHERE NOT ((status = 'succeeded' AND charged_micros = price_micros "
        "AND transfer_id IS NOT NULL) OR (status = 'failed' AND charged_micros = 0 AND transfer_id IS NULL))",
    )[0][0]
    settled, transfers = psql(
        admin,
        name,
        "SELECT (SELECT COUNT(*) FROM casts WHERE status = 'succeeded'), "
        "(SELECT COUNT(DISTINCT transfer_id) FROM ledger_entries WHERE kind = 'cast')",
    )[0]
    ledger = subprocess.run([str(BIN / "spell"), "ledger", "verify"], env=env, capture_output=True, text=True)
    if int(wrong) or settled != transfers or ledger.returncode:
        return (
            f"BROKEN: {wrong} casts wrong, {settled} settled / {transfers} transfers, {ledger.stdout.strip()}"
        )
    return "balanced"


def start_workers(
    count: int, env: dict[str, str], stack: ExitStack, logs: Path | None
) -> list[subprocess.Popen[bytes]]:
    workers = []
    for number in range(count):
        home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        log = (logs / f"worker{number}.log") if logs else home / "worker.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [str(BIN / "spell"), "worker"],
                env={**env, "SPELL_HOME": str(home / "home")},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        stack.callback(process.kill)
        deadline = time.monotonic() + 60
        while b"Spell worker running" not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit("a worker did not start")
            time.sleep(0.1)
        workers.append(process)
    return workers


def fleet(servers: int, args: argparse.Namespace, store: str, nats: Nats | None) -> None:
    admin = re.sub(r"^postgresql(\+\w+)?://", "postgresql://", args.postgres)
    name = f"spell_load_{uuid.uuid4().hex[:8]}"
    bucket = f"load-{uuid.uuid4().hex[:8]}"
    httpx.put(f"{store}/{bucket}")  # moto: create the bucket
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    subprocess.run(["redis-cli", "-u", args.redis, "flushdb"], check=False, capture_output=True)
    with ExitStack() as stack:
        stack.callback(
            subprocess.run, ["psql", admin, "-qc", f"DROP DATABASE {name} WITH (FORCE)"], check=False
        )
        env = fleet_env(args, name, store, bucket)
        if nats is not None:
            env |= {"SPELL_NATS_URL": nats.url, "SPELL_NATS_STREAM": name.upper()}
        homes = [Path(stack.enter_context(tempfile.TemporaryDirectory())) for _ in range(servers)]
        processes, urls = [], []
        for home in homes:  # one at a time: the first makes the operator and registers the examples
            port = free_port()
            process = subprocess.Popen(
                [str(BIN / "spell"), "serve"],
                env={**env, "SPELL_HOME": str(home), "SPELL_PORT": str(port)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            stack.callback(process.kill)
            wait_ready(f"http://127.0.0.1:{port}/healthz", process)
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
        key = (homes[0] / "operator.key").read_text().strip()
        logs = None
        if args.logs:
            logs = Path(args.logs) / f"{servers}-servers"
            logs.mkdir(parents=True, exist_ok=True)
        workers = start_workers(args.workers, env, stack, logs) if nats is not None else []

        async def run() -> tuple[int, int, list[float]]:
            work = asyncio.create_task(load(urls, key, args.seconds, args.concurrency))
            if args.faults:
                await asyncio.sleep(args.seconds / 3)
                if servers > 1:
                    processes[-1].send_signal(signal.SIGKILL)
                if len(workers) > 1:
                    workers[-1].send_signal(signal.SIGKILL)
                await asyncio.sleep(args.seconds / 3)
                if nats is not None:
                    await asyncio.to_thread(nats.restart)
                # Redis restarts: what it held is lost, and every connection dropped.
                for command in (["flushdb"], ["client", "kill", "type", "normal"]):
                    await asyncio.to_thread(
                        subprocess.run,
                        ["redis-cli", "-u", args.redis, *command],
                        check=False,
                        capture_output=True,
                    )
            return await work

        accepted, refused, latencies = asyncio.run(run())
        books = books_balance(admin, name, {**env, "SPELL_HOME": str(homes[0])})
        # A worker that died unasked (the faults kill the last one) is a broken fleet.
        lost = [n for n, worker in enumerate(workers) if worker.poll() is not None]
        if lost != ([len(workers) - 1] if args.faults and len(workers) > 1 else []):
            books += f"; workers died: {lost}"
        by_workers = psql(admin, name, "SELECT COUNT(*) FROM casts WHERE queued AND status = 'succeeded'")[0][
            0
        ]
    p50 = statistics.median(latencies) * 1000 if latencies else 0.0
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) >= 100 else 0.0
    faults = "with faults" if args.faults else "no faults"
    print(
        f"{servers} server(s), {len(workers)} worker(s), {faults:<11} "
        f"{accepted / args.seconds:8.1f} casts/s  p50 {p50:6.1f} ms  p99 {p99:7.1f} ms  "
        f"refused {refused:5d}  queued settled {by_workers:>5}  books {books}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--servers", default="1,2,3")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--logs", help="keep the workers' logs in this directory")
    parser.add_argument("--faults", action="store_true")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SPELL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("SPELL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    args = parser.parse_args()
    if not reachable(args.postgres, args.redis):
        sys.exit("bench/load.py needs PostgreSQL and Redis (--postgres, --redis)")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    port = free_port()
    store = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    store.start()
    with ExitStack() as stack:
        stack.callback(store.stop)
        nats = None
        if args.workers:
            nats = Nats(Path(stack.enter_context(tempfile.TemporaryDirectory())))
            stack.callback(nats.stop)
        for servers in (int(n) for n in args.servers.split(",")):
            fleet(servers, args, f"http://127.0.0.1:{port}", nats)


if __name__ == "__main__":
    main()
