"""Fixed clocks and a fixed random source, for spells that declare themselves deterministic.

WASI gives a guest three ways to see the world change without being asked to: the clocks, the
random source and the network (the policy refuses the network to a deterministic spell). With
these functions linked in place of WASI's own, a cast's output depends only on its module, its
input, its files and its seed, so it can be run again later and give the same bytes.

- Both clocks start at `EPOCH_NS` (the wall clock: 2020-01-01T00:00:00Z) and advance by one
  microsecond at each reading, so time still moves forward for code that measures it, and by as
  long as the guest asked to sleep (runtime/sleeps.py) at each sleep.
- Random bytes are a BLAKE2b stream keyed by the seed (the cast id): unpredictable without it,
  the same with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import wasmtime

WASI_MODULE = "wasi_snapshot_preview1"
EPOCH_NS = 1_577_836_800 * 1_000_000_000
TICK_NS = 1_000
ERRNO_SUCCESS = 0
ERRNO_FAULT = 21  # WASI's EFAULT: a buffer outside the guest's memory
ERRNO_INVAL = 28
# realtime, monotonic, process and thread CPU time: all read the same fixed clock.
CLOCKS = frozenset({0, 1, 2, 3})
_BLOCK = 64


class FixedSources:
    """One cast's clock and random stream."""

    def __init__(self, seed: bytes) -> None:
        self._seed = hashlib.blake2b(seed, digest_size=_BLOCK).digest()
        self._counter = 0
        self._buffer = b""
        self._now_ns = EPOCH_NS

    def now_ns(self) -> int:
        self._now_ns += TICK_NS
        return self._now_ns

    def reading_ns(self) -> int:
        """The clocks' last reading, without advancing them."""
        return self._now_ns

    def advance(self, nanoseconds: int) -> None:
        """The guest slept: its clocks move on by as long as it asked."""
        self._now_ns += nanoseconds

    def random(self, size: int) -> bytes:
        while len(self._buffer) < size:
            block = hashlib.blake2b(self._counter.to_bytes(8, "little"), key=self._seed[:_BLOCK]).digest()
            self._buffer += block
            self._counter += 1
        taken, self._buffer = self._buffer[:size], self._buffer[size:]
        return taken


def define_fixed_sources(linker: wasmtime.Linker, sources_of: Callable[[], FixedSources | None]) -> None:
    """Shadow WASI's clock_time_get and random_get in `linker` (after `define_wasi`).
    `sources_of` gives the running cast's sources on the calling thread. Never raises into
    the guest: an exception would cross wasm frames."""
    i32, i64 = wasmtime.ValType.i32(), wasmtime.ValType.i64()

    def clock_time_get(caller: wasmtime.Caller, clock: int, _precision: int, out_ptr: int) -> int:
        try:
            sources = sources_of()
            if sources is None or clock not in CLOCKS:
                return ERRNO_INVAL
            return _write(caller, out_ptr, sources.now_ns().to_bytes(8, "little"))
        except Exception:
            return ERRNO_FAULT

    def random_get(caller: wasmtime.Caller, buf: int, size: int) -> int:
        try:
            sources = sources_of()
            if sources is None:
                return ERRNO_INVAL
            memory = caller.get("memory")
            if not isinstance(memory, wasmtime.Memory) or buf < 0 or size < 0:
                return ERRNO_FAULT
            if buf + size > memory.data_len(caller):
                return ERRNO_FAULT
            return _write(caller, buf, sources.random(size))
        except Exception:
            return ERRNO_FAULT

    linker.allow_shadowing = True
    linker.define_func(
        WASI_MODULE, "clock_time_get", wasmtime.FuncType([i32, i64, i32], [i32]), clock_time_get, True
    )
    linker.define_func(WASI_MODULE, "random_get", wasmtime.FuncType([i32, i32], [i32]), random_get, True)
    linker.allow_shadowing = False


def _write(caller: wasmtime.Caller, offset: int, data: bytes) -> int:
    memory = caller.get("memory")
    if not isinstance(memory, wasmtime.Memory) or offset < 0 or offset + len(data) > memory.data_len(caller):
        return ERRNO_FAULT
    memory.write(caller, data, offset)
    return ERRNO_SUCCESS
