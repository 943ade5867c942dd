"""WASI's poll_oneoff, linked in place of wasmtime's own, so that a sleeping guest keeps to its
cast's deadline.

wasmtime's poll_oneoff sleeps in the host, where the epoch watchdog cannot reach: a guest that
asked for 60 s held its thread for 60 s whatever its timeout_ms. Here a sleep waits at most the
time left before the cast's deadline, and ends at once when the cast is stopped. A sleep cut short
answers EINTR and ends the cast (`spell_timeout`, or `cast_cancelled`): the watchdog traps the guest
at its next tick.

- Clock subscriptions (realtime or monotonic; relative, or absolute on the clock the guest reads):
  the call returns when the earliest is due, with an event for each subscription due by then.
- Descriptor subscriptions: every descriptor a cast can hold (stdin from bytes, its files and
  directories) is always ready, so they are answered at once, and the clocks do not wait.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Protocol

import wasmtime

WASI_MODULE = "wasi_snapshot_preview1"
ERRNO_SUCCESS = 0
ERRNO_FAULT = 21
ERRNO_INTR = 27
ERRNO_INVAL = 28
CLOCK, FD_READ, FD_WRITE = 0, 1, 2
REALTIME, MONOTONIC = 0, 1
ABSTIME = 1
# subscription (48 bytes): userdata u64, tag u8, then at 16 the clock id u32 (or the fd), timeout
# u64 at 24, precision u64 at 32, flags u16 at 40. event (32 bytes): userdata u64, error u16,
# type u8, nbytes u64 at 16, flags u16 at 24.
SUBSCRIPTION = struct.Struct("<QB7xIxxxxQ8xH6x")
EVENT = struct.Struct("<QHB5xQH6x")


class Sleeper(Protocol):
    """What poll_oneoff needs of the cast it runs for."""

    def now_ns(self, clock: int) -> int:
        """What the guest reads from `clock` (REALTIME or MONOTONIC) now."""
        ...

    def sleep_ns(self, nanoseconds: int) -> bool:
        """Wait `nanoseconds`, or until the cast must end (its deadline, or it was stopped):
        whether the whole wait was made."""
        ...


def define_bounded_poll(linker: wasmtime.Linker, sleeper_of: Callable[[], Sleeper | None]) -> None:
    """Shadow WASI's poll_oneoff in `linker` (after `define_wasi`). `sleeper_of` gives the running
    cast on the calling thread. Never raises into the guest: an exception would cross wasm frames."""
    i32 = wasmtime.ValType.i32()

    def poll_oneoff(caller: wasmtime.Caller, in_ptr: int, out_ptr: int, count: int, nevents_ptr: int) -> int:
        try:
            sleeper = sleeper_of()
            memory = caller.get("memory")
            if sleeper is None or not isinstance(memory, wasmtime.Memory):
                return ERRNO_INVAL
            if count <= 0:
                return ERRNO_INVAL
            size = memory.data_len(caller)
            ends = (in_ptr + count * SUBSCRIPTION.size, out_ptr + count * EVENT.size, nevents_ptr + 4)
            if min(in_ptr, out_ptr, nevents_ptr) < 0 or max(ends) > size:
                return ERRNO_FAULT
            raw = bytes(memory.read(caller, in_ptr, ends[0]))
            subscriptions = [SUBSCRIPTION.unpack_from(raw, i * SUBSCRIPTION.size) for i in range(count)]
            due = _due_in(subscriptions, sleeper)
            if due is None:
                return ERRNO_INVAL
            wait = min(ns for ns in due if ns is not None) if all(ns is not None for ns in due) else 0
            if wait > 0 and not sleeper.sleep_ns(wait):
                return ERRNO_INTR
            events = b"".join(
                EVENT.pack(userdata, ERRNO_SUCCESS, tag, 0, 0)
                for (userdata, tag, *_), ns in zip(subscriptions, due, strict=True)
                if ns is None or ns <= wait
            )
            memory.write(caller, events, out_ptr)
            memory.write(caller, (len(events) // EVENT.size).to_bytes(4, "little"), nevents_ptr)
            return ERRNO_SUCCESS
        except Exception:
            return ERRNO_FAULT

    linker.allow_shadowing = True
    linker.define_func(WASI_MODULE, "poll_oneoff", wasmtime.FuncType([i32] * 4, [i32]), poll_oneoff, True)
    linker.allow_shadowing = False


def _due_in(subscriptions: list[tuple[int, ...]], sleeper: Sleeper) -> list[int | None] | None:
    """For each subscription, in how many nanoseconds its clock is due (None: a descriptor, ready
    now); None when one is not a subscription WASI defines."""
    due: list[int | None] = []
    for _userdata, tag, clock, timeout, flags in subscriptions:
        if tag in (FD_READ, FD_WRITE):
            due.append(None)
        elif tag == CLOCK and clock in (REALTIME, MONOTONIC):
            due.append(max(0, timeout - sleeper.now_ns(clock) if flags & ABSTIME else timeout))
        else:
            return None
    return due
