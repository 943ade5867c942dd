"""The sandbox's cost per cast against wasmtime-py's floor, measured in the same run.

Rows:
- floor: bare wasmtime-py doing the least an isolated call needs — a new Store with WASI
  (stdin from bytes, stdout to a file on tmpfs), InstancePre.instantiate, `_start`, close —
  on an engine configured like the sandbox's (fuel + epoch interruption), with and without the
  pooling allocator;
- `Sandbox.run`: the platform's runtime, limits, watchdog, usage accounting and JSON decoding;
- compile vs deserialize of the same module;
- two CPU-bound casts on two threads vs one (wasmtime releases the GIL).

    python bench/runtime_floor.py [--runs 3000]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime
from wasmtime import _ffi as ffi

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runtime import Limits, Sandbox  # noqa: E402
from runtime.sandbox import configure_pooling  # noqa: E402

INPUT = b'{"message":"hello"}'
# A CPU-bound guest: about 200 M loop iterations.
CPU_BOUND = wasmtime.wat2wasm("""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{}")
  (func (export "_start") (local $i i64)
    (loop $l
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $l (i64.lt_u (local.get $i) (i64.const 200000000))))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 2))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
""")


def engine(pooling: bool) -> wasmtime.Engine:
    config = wasmtime.Config()
    config.consume_fuel = True
    config.epoch_interruption = True
    if pooling:
        configure_pooling(config, slots=16, max_memory_bytes=256 << 20)
    return wasmtime.Engine(config)


def floor(wasm: bytes, pooling: bool) -> Callable[[], None]:
    eng = engine(pooling)
    linker = wasmtime.Linker(eng)
    linker.define_wasi()
    pre = linker.instantiate_pre(wasmtime.Module(eng, wasm))
    scratch = tempfile.mkdtemp(dir="/dev/shm")
    stdout = os.path.join(scratch, "out")

    def call() -> None:
        store = wasmtime.Store(eng)
        wasi = wasmtime.WasiConfig()
        vec = ffi.wasm_byte_vec_t()
        ffi.wasm_byte_vec_new(
            ctypes.byref(vec), len(INPUT), (ffi.wasm_byte_t * len(INPUT)).from_buffer_copy(INPUT)
        )
        ffi.wasi_config_set_stdin_bytes(wasi.ptr(), ctypes.byref(vec))
        wasi.stdout_file = stdout
        store.set_wasi(wasi)
        store.set_fuel(10**9)
        store.set_epoch_deadline(1_000_000)
        instance = pre.instantiate(store)
        start = instance.exports(store)["_start"]
        start(store)  # type: ignore[operator]
        store.close()

    return call


def timed(call: Callable[[], None], runs: int) -> list[float]:
    for _ in range(min(200, runs)):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1e6)
    return samples


def row(label: str, samples: list[float], base: float | None) -> float:
    p50 = statistics.median(samples)
    p99 = statistics.quantiles(samples, n=100)[98]
    ratio = f"{p50 / base:5.2f}x" if base else "  1.00x"
    print(f"{label:<44} p50 {p50:8.1f} µs  p99 {p99:8.1f} µs  {ratio}")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3000)
    args = parser.parse_args()
    wasm = (ROOT / "build" / "spells" / "echo" / "spell.wasm").read_bytes()

    print(f"echo spell, {args.runs} runs per row, one thread")
    base = row("floor: wasmtime-py, pooling, InstancePre", timed(floor(wasm, pooling=True), args.runs), None)
    row("floor without the pooling allocator", timed(floor(wasm, pooling=False), args.runs), base)
    with tempfile.TemporaryDirectory() as artifacts:
        sandbox = Sandbox(Path(artifacts), lambda digest: wasm)
        digest = sandbox.compile(wasm)
        limits = Limits()
        row(
            "Sandbox.run (the platform's runtime)",
            timed(lambda: sandbox.run(digest, INPUT, limits), args.runs),
            base,
        )

        print("\ncompile vs load of the same module")
        eng = engine(pooling=False)
        compile_us = row("compile (wasmtime.Module)", timed(lambda: wasmtime.Module(eng, wasm), 50), None)
        artifact = Path(artifacts) / "echo.cwasm"
        artifact.write_bytes(wasmtime.Module(eng, wasm).serialize())
        row(
            "deserialize_file (what a cast pays on a miss)",
            timed(lambda: wasmtime.Module.deserialize_file(eng, str(artifact)), 500),
            compile_us,
        )

        print("\nCPU-bound casts (≈200 M iterations each): 2 threads vs 1")
        cpu = sandbox.compile(CPU_BOUND)
        cpu_limits = Limits(timeout_ms=60_000, fuel=10**10)
        started = time.perf_counter()
        for _ in range(2):
            sandbox.run(cpu, b"{}", cpu_limits)
        serial = time.perf_counter() - started
        threads = [threading.Thread(target=sandbox.run, args=(cpu, b"{}", cpu_limits)) for _ in range(2)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        parallel = time.perf_counter() - started
        print(
            f"2 casts one after the other {serial * 1000:8.1f} ms; on 2 threads {parallel * 1000:8.1f} ms; "
            f"speed-up {serial / parallel:4.2f}x"
        )
        sandbox.close()


if __name__ == "__main__":
    main()
