"""Latency and throughput of casting the echo spell over REST and MCP, against a bare MCP tool.

Starts a dev-mode Spell server (fresh store) and the bare baseline server (bench/bare_mcp.py),
both as separate processes on loopback, then sends the same tools/call (or REST cast) N times,
sequentially (c=1) and with C concurrent clients. Prints p50/p90/p99 in ms, calls/s, and each
p50 as a ratio of the bare tool's p50 measured in the same run.

    python bench/cast_latency.py [--requests 2000] [--concurrency 8]
    python bench/cast_latency.py --url http://host:port --key spell_sk_…   # a server started
                                                                            # with SPELL_MCP_SESSIONS=0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    """Until the server answers any HTTP request at all."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server at {url} exited")
        try:
            httpx.post(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not start")


def mcp_call(name: str, n: int) -> bytes:
    body = {
        "jsonrpc": "2.0",
        "id": n,
        "method": "tools/call",
        "params": {"name": name, "arguments": {"message": "hi"}},
    }
    return json.dumps(body).encode()


Call = Callable[[httpx.AsyncClient, int], Awaitable[None]]


def mcp_caller(name: str) -> Call:
    async def call(client: httpx.AsyncClient, n: int) -> None:
        response = await client.post("/mcp", content=mcp_call(name, n), headers=MCP_HEADERS)
        if response.status_code != 200 or '"isError":false' not in response.text:
            raise SystemExit(f"MCP call failed: {response.status_code} {response.text[:300]}")

    return call


async def rest_call(client: httpx.AsyncClient, n: int) -> None:
    response = await client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": "hi"}})
    if response.status_code != 200:
        raise SystemExit(f"REST cast failed: {response.status_code} {response.text[:300]}")


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time the process has used (user + system), where /proc tells (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    url: str, key: str | None, call: Call, requests: int, concurrency: int, pid: int | None
) -> tuple[list[float], float | None]:
    """Latencies of `requests` calls (the whole run's elapsed time last), and the server's CPU
    time per call in ms, when it is known."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:
        for n in range(min(200, requests)):
            await call(client, n)
        latencies: list[float] = []
        counter = iter(range(requests))

        async def worker() -> None:
            for n in counter:
                started = time.perf_counter()
                await call(client, n)
                latencies.append(time.perf_counter() - started)

        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu_after = cpu_seconds(pid)
    latencies.append(elapsed)  # carried to the report as the last element
    if cpu_before is None or cpu_after is None:
        return latencies, None
    return latencies, (cpu_after - cpu_before) * 1000 / requests


def report(
    label: str, measured: tuple[list[float], float | None], baseline: tuple[float, float | None] | None
) -> tuple[float, float | None]:
    """Print one row; return its p50 and CPU per call, the baseline of the rows after it."""
    samples, cpu_ms = measured
    elapsed = samples.pop()
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100)
    p50, p90, p99 = statistics.median(ms), q[89], q[98]
    ratio = f"{p50 / baseline[0]:5.2f}x" if baseline else "  1.00x"
    cpu = "" if cpu_ms is None else f"  server CPU {cpu_ms:5.2f} ms/call"
    if cpu_ms is not None and baseline and baseline[1]:
        cpu += f" {cpu_ms / baseline[1]:5.2f}x"
    rate = len(ms) / elapsed
    print(f"{label:<28} p50 {p50:6.2f}  p90 {p90:6.2f}  p99 {p99:6.2f} ms  {rate:7.0f}/s  {ratio}{cpu}")
    return p50, cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--url", help="an already running Spell server")
    parser.add_argument("--key", help="its API key (with --url)")
    args = parser.parse_args()

    with ExitStack() as stack:
        python = sys.executable
        bare_port = free_port()
        bare = subprocess.Popen([python, str(ROOT / "bench" / "bare_mcp.py"), str(bare_port)])
        stack.callback(bare.terminate)
        bare_url = f"http://127.0.0.1:{bare_port}"
        spell_pid = None
        if args.url:
            spell_url, key = args.url, args.key
        else:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            port = free_port()
            env = {
                **os.environ,
                "SPELL_HOME": str(home),
                "SPELL_DEV_MODE": "1",
                "SPELL_PORT": str(port),
                "SPELL_EXAMPLES_DIR": str(ROOT / "build" / "spells"),
                "SPELL_DEV_CREDITS_MICROS": str(10**12),
                # Measure the cast path, not the rate limiter refusing the load generator.
                "SPELL_RATE_PER_KEY_PER_MIN": "100000000",
                "SPELL_RATE_PER_USER_PER_MIN": "100000000",
                "SPELL_RATE_BURST": "1000000",
                "SPELL_MAX_IN_FLIGHT_PER_KEY": "1000",
                # Stateless Streamable HTTP, as the bare tool is served (one POST per call).
                "SPELL_MCP_SESSIONS": "0",
            }
            env.pop("SPELL_DATABASE_URL", None)
            spell = subprocess.Popen(
                [str(Path(python).parent / "spell"), "serve"], env=env, stdout=subprocess.DEVNULL
            )
            stack.callback(spell.terminate)
            spell_url = f"http://127.0.0.1:{port}"
            wait_ready(f"{spell_url}/healthz", spell)  # 405 answers too
            key = (home / "operator.key").read_text().strip()
            spell_pid = spell.pid
        wait_ready(f"{bare_url}/mcp", bare)

        print(
            f"{args.requests} calls per row; echo spell; "
            f"client and servers share this machine ({os.cpu_count()} cores)"
        )
        for concurrency in (1, args.concurrency):
            print(f"-- concurrency {concurrency}")
            baseline = report(
                "bare MCP tool (baseline)",
                asyncio.run(
                    measure(bare_url, None, mcp_caller("echo"), args.requests, concurrency, bare.pid)
                ),
                None,
            )
            report(
                "spell MCP tools/call",
                asyncio.run(
                    measure(
                        spell_url, key, mcp_caller("dev_spell_echo"), args.requests, concurrency, spell_pid
                    )
                ),
                baseline,
            )
            report(
                "spell REST cast",
                asyncio.run(measure(spell_url, key, rest_call, args.requests, concurrency, spell_pid)),
                baseline,
            )


if __name__ == "__main__":
    main()
