"""What a cast costs over a baseline that runs the same spell with nothing around it.

Starts the two baselines (bench/baselines.py: a bare MCP tool and a bare FastAPI route, each
running the echo spell through `Sandbox.run`) and Spell itself (`spell serve --dev --workers N`
on a fresh store: SQLite, or PostgreSQL + Redis), then loads each with `wrk` (a load generator in
C, which leaves the server its CPU) at 1 and at 16 connections. For every row: p50 and p99
latency, calls a second, and the server's CPU time per call (read from /proc, all its processes);
Spell's rows carry their ratio to the baseline of the same face, workers and concurrency, and
the goal beside it.

    python bench/cast_latency.py [--seconds 5] [--workers 1,2] [--backends sqlite,postgresql]
                                 [--postgres URL] [--redis URL]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}
ARGUMENTS = {"message": "hi"}
CONCURRENCY = (1, 16)
# (face, concurrency) → the goal for Spell's ratio to its baseline (issue #16).
GOALS = {"mcp": 1.5, "rest": 1.3}
THROUGHPUT_GOAL = 0.6  # Spell's calls/s at c=16 with 2 workers, against the baseline's
TAIL_GOAL = 10.0  # p99 at c=16 against p50 at c=1


def ensure_wrk() -> str:
    """wrk, installed from Debian's packages when missing and allowed."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("this benchmark loads servers with wrk: install it (apt-get install wrk)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} exited")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"the server for {url} did not start")


def process_tree(pid: int) -> list[int]:
    found = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        found += process_tree(int(child))
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a server has used, over all its processes."""
    total = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def settle(pid: int) -> None:
    """Until the server's start-up work (its first catalog scan, …) is done, so that its CPU time
    is not counted against the first row: a second of CPU in the first ten seconds."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - before < 0.02:
            return


@dataclass(frozen=True)
class Target:
    """One thing to load: a URL, the request body and headers, what a correct answer contains."""

    url: str
    body: str
    headers: dict[str, str]
    expect: str


def mcp_target(base: str, tool: str, key: str | None) -> Target:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": ARGUMENTS},
    }
    headers = {**MCP_HEADERS, **({"Authorization": f"Bearer {key}"} if key else {})}
    return Target(f"{base}/mcp", json.dumps(body), headers, '"isError":false')


def rest_target(url: str, key: str | None) -> Target:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    return Target(url, json.dumps({"input": ARGUMENTS}), headers, '"hi"')


@dataclass(frozen=True)
class Measured:
    p50_ms: float
    p99_ms: float
    rate: float
    cpu_ms: float


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def load(wrk: str, target: Target, server_pid: int, concurrency: int, seconds: float) -> Measured:
    """wrk at `concurrency` connections for `seconds`, after checking one answer by hand."""
    answer = httpx.post(target.url, content=target.body, headers=target.headers, timeout=30)
    if answer.status_code != 200 or target.expect not in answer.text:
        raise SystemExit(f"{target.url} answered {answer.status_code}: {answer.text[:300]}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(target.body)}\n')
        for name, value in target.headers.items():
            script.write(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n")
    threads = min(concurrency, 2)
    command = [wrk, f"-t{threads}", f"-c{concurrency}", f"-d{seconds:g}s", "--latency", "-s", script.name]
    subprocess.run([*command[:3], "-d1s", *command[4:], target.url], check=True, capture_output=True)  # warm
    before = cpu_seconds(server_pid)
    output = subprocess.run([*command, target.url], check=True, capture_output=True, text=True).stdout
    used = cpu_seconds(server_pid) - before
    os.unlink(script.name)
    if "Non-2xx" in output or "Socket errors" in output:
        raise SystemExit(f"{target.url} refused calls under load:\n{output}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return Measured(_ms(latency["50"]), _ms(latency["99"]), rate, used * 1000 / requests)


@contextmanager
def serving(command: list[str], env: dict[str, str], ready: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(ready, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def reachable(postgres: str, redis: str) -> bool:
    admin = re.sub(r"^postgresql(\+\w+)?://", "postgresql://", postgres)
    checks = (["psql", admin, "-qc", "SELECT 1"], ["redis-cli", "-u", redis, "ping"])
    try:
        return all(subprocess.run(check, capture_output=True, timeout=10).returncode == 0 for check in checks)
    except (OSError, subprocess.TimeoutExpired):
        return False


def database_url(server: str, name: str) -> str:
    """The URL of database `name` on the server of `server` (a postgresql:// URL), for asyncpg."""
    head, _, _ = re.sub(r"^postgresql(\+\w+)?://", "postgresql+asyncpg://", server).rpartition("/")
    return f"{head}/{name}"


@contextmanager
def spell_server(workers: int, backend: str, args: argparse.Namespace) -> Iterator[tuple[str, str, int]]:
    """Spell on a fresh store: its URL, the operator's key and its process id."""
    with ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        port = free_port()
        env = {
            **os.environ,
            "SPELL_HOME": str(home),
            "SPELL_DEV_MODE": "1",
            "SPELL_PORT": str(port),
            "SPELL_WORKERS": str(workers),
            "SPELL_EXAMPLES_DIR": str(ROOT / "build" / "spells"),
            "SPELL_DEV_CREDITS_MICROS": str(10**12),
            # Measure the cast, not the rate limiter refusing the load generator.
            "SPELL_RATE_PER_KEY_PER_MIN": "100000000",
            "SPELL_RATE_PER_USER_PER_MIN": "100000000",
            "SPELL_RATE_BURST": "1000000",
            "SPELL_MAX_IN_FLIGHT_PER_KEY": "1000",
            # Stateless Streamable HTTP, as the baseline is served (one POST per call).
            "SPELL_MCP_SESSIONS": "0",
        }
        env.pop("SPELL_DATABASE_URL", None)
        env.pop("SPELL_REDIS_URL", None)
        if backend == "postgresql":
            name = f"spell_bench_{uuid.uuid4().hex[:8]}"
            admin = re.sub(r"^postgresql(\+\w+)?://", "postgresql://", args.postgres)
            subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
            stack.callback(
                subprocess.run, ["psql", admin, "-qc", f"DROP DATABASE {name} WITH (FORCE)"], check=False
            )
            env["SPELL_DATABASE_URL"] = database_url(args.postgres, name)
            env["SPELL_REDIS_URL"] = args.redis
            subprocess.run(["redis-cli", "-u", args.redis, "flushdb"], check=False, capture_output=True)
        url = f"http://127.0.0.1:{port}"
        process = stack.enter_context(serving([str(BIN / "spell"), "serve"], env, f"{url}/healthz"))
        settle(process.pid)
        key = (home / "operator.key").read_text().strip()
        yield url, key, process.pid


@contextmanager
def baseline_server(kind: str, workers: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    command = [sys.executable, str(ROOT / "bench" / "baselines.py"), kind, str(port), str(workers)]
    url = f"http://127.0.0.1:{port}"
    with serving(command, dict(os.environ), f"{url}/docs") as process:
        yield url, process.pid


def row(label: str, measured: Measured, baseline: Measured | None, goal: float | None) -> None:
    ratios = ""
    if baseline is not None:
        p50, cpu = measured.p50_ms / baseline.p50_ms, measured.cpu_ms / baseline.cpu_ms
        rate = measured.rate / baseline.rate
        ratios = f"{p50:5.2f}x {cpu:5.2f}x {rate:5.2f}x"
        if goal is not None:
            ratios += f"   goal p50, CPU <= {goal}x: {'met' if max(p50, cpu) <= goal else 'NOT met'}"
    print(
        f"  {label:<34} {measured.p50_ms:7.2f} {measured.p99_ms:8.2f} {measured.rate:8.0f} "
        f"{measured.cpu_ms:7.2f}   {ratios}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5, help="length of each wrk run")
    parser.add_argument("--workers", default="1,2", help="worker processes to try, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite, postgresql (with Redis)")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    wrk = ensure_wrk()
    seconds = args.seconds
    print(f"echo spell; wrk for {seconds:g} s a row; {os.cpu_count()} cores shared by wrk and the servers")
    heading = f"{'row':<34} {'p50 ms':>7} {'p99 ms':>8} {'calls/s':>8} {'CPU ms':>7}"
    print(f"  {heading}   vs baseline: p50, CPU, calls/s")
    tails: list[str] = []
    for workers in (int(n) for n in args.workers.split(",")):
        baselines: dict[tuple[str, int], Measured] = {}
        print(f"-- {workers} worker{'s' if workers > 1 else ''}: baselines")
        with baseline_server("mcp", workers) as (url, pid):
            for concurrency in CONCURRENCY:
                measured = load(wrk, mcp_target(url, "echo", None), pid, concurrency, seconds)
                baselines["mcp", concurrency] = measured
                row(f"(a) bare MCP tool, c={concurrency}", measured, None, None)
        with baseline_server("rest", workers) as (url, pid):
            for concurrency in CONCURRENCY:
                measured = load(wrk, rest_target(f"{url}/cast", None), pid, concurrency, seconds)
                baselines["rest", concurrency] = measured
                row(f"(b) bare FastAPI route, c={concurrency}", measured, None, None)
        for backend in args.backends.split(","):
            label = "SQLite" if backend == "sqlite" else "PostgreSQL + Redis"
            if backend == "postgresql" and not reachable(args.postgres, args.redis):
                print(f"-- Spell on {label}: skipped, {args.postgres} or {args.redis} cannot be reached")
                continue
            print(f"-- {workers} worker{'s' if workers > 1 else ''}: Spell on {label}")
            with spell_server(workers, backend, args) as (url, key, pid):
                targets = {
                    "mcp": mcp_target(url, "dev_spell_echo", key),
                    "rest": rest_target(f"{url}/v1/spells/dev.spell.echo/cast", key),
                }
                for face, target in targets.items():
                    first = None
                    for concurrency in CONCURRENCY:
                        measured = load(wrk, target, pid, concurrency, seconds)
                        base = baselines[face, concurrency]
                        goal = GOALS[face] if concurrency == 1 else None
                        row(f"Spell {face.upper()} cast, c={concurrency}", measured, base, goal)
                        if concurrency == 1:
                            first = measured
                        elif first is not None:
                            tail = measured.p99_ms / first.p50_ms
                            met = tail <= TAIL_GOAL
                            tails.append(
                                f"{workers}w {label} {face.upper()}: "
                                f"p99 at c=16 / p50 at c=1 = {tail:.1f}x"
                                f" (goal <= {TAIL_GOAL:g}x: {'met' if met else 'NOT met'})"
                            )
                            if workers >= 2:
                                share = measured.rate / base.rate
                                ok = "met" if share >= THROUGHPUT_GOAL else "NOT met"
                                tails.append(
                                    f"{workers}w {label} {face.upper()}: calls/s at c=16 = {share:.2f}x"
                                    f" the baseline's (goal >= {THROUGHPUT_GOAL:g}x: {ok})"
                                )
    print("-- goals at load")
    for line in tails:
        print(f"  {line}")


if __name__ == "__main__":
    main()
