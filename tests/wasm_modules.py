"""Small WebAssembly modules written in WAT, for tests: honest ones and hostile ones."""

import json

from wasmtime import wat2wasm

_WASI_IO = """
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
"""


def writes(text: str) -> bytes:
    """Writes `text` to stdout and exits 0."""
    data = text.encode()
    escaped = "".join(f"\\{b:02x}" for b in data)
    return wat2wasm(f"""
    (module {_WASI_IO}
      (memory (export "memory") 1)
      (data (i32.const 64) "{escaped}")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 64))
        (i32.store (i32.const 4) (i32.const {len(data)}))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
    """)


def writes_to_stderr(text: str, times: int = 1, *, then: str = "") -> bytes:
    """Writes `text` to stderr `times` times, then `{}` to stdout, and exits 0; or, with
    `then="unreachable"`, traps instead of writing the output."""
    data = text.encode()
    escaped = "".join(f"\\{b:02x}" for b in data)
    return wat2wasm(f"""
    (module {_WASI_IO}
      (memory (export "memory") 1)
      (data (i32.const 16) "{{}}")
      (data (i32.const 64) "{escaped}")
      (func (export "_start") (local $i i32)
        (i32.store (i32.const 0) (i32.const 64))
        (i32.store (i32.const 4) (i32.const {len(data)}))
        (loop $l
          (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const {times}))))
        {then}
        (i32.store (i32.const 0) (i32.const 16))
        (i32.store (i32.const 4) (i32.const 2))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
    """)


def exits(code: int) -> bytes:
    return wat2wasm(f"""
    (module {_WASI_IO}
      (memory (export "memory") 1)
      (func (export "_start") (call $proc_exit (i32.const {code}))))
    """)


LOOPS_FOREVER = wat2wasm("""
(module (memory (export "memory") 1)
  (func (export "_start") (loop $l (br $l))))
""")

# Burns CPU in a tight arithmetic loop for a very long (but finite) time.
BURNS_FUEL = wat2wasm("""
(module (memory (export "memory") 1)
  (func (export "_start") (local $i i64)
    (loop $l
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $l (i64.lt_u (local.get $i) (i64.const 100000000000))))))
""")

# Grows memory one page at a time; traps with unreachable once the host refuses.
GROWS_MEMORY = wat2wasm("""
(module (memory (export "memory") 1)
  (func (export "_start")
    (loop $l
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
      (br $l))))
""")

# Declares a 1 GiB minimum memory.
HUGE_MINIMUM_MEMORY = wat2wasm("""
(module (memory (export "memory") 16384)
  (func (export "_start")))
""")

RECURSES = wat2wasm("""
(module (memory (export "memory") 1)
  (func $f (call $f))
  (func (export "_start") (call $f)))
""")

UNREACHABLE = wat2wasm("""
(module (memory (export "memory") 1)
  (func (export "_start") unreachable))
""")


def floods(fd: int) -> bytes:
    """Writes a 64 KiB page to `fd` (1 stdout, 2 stderr) in a loop, forever, ignoring errors."""
    return wat2wasm(f"""
    (module {_WASI_IO}
      (memory (export "memory") 2)
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 65536))
        (i32.store (i32.const 4) (i32.const 65536))
        (loop $l
          (drop (call $fd_write (i32.const {fd}) (i32.const 0) (i32.const 1) (i32.const 8)))
          (br $l))))
    """)


FLOODS_STDOUT = floods(1)
FLOODS_STDERR = floods(2)

IMPORTS_UNKNOWN_HOST_FUNCTION = wat2wasm("""
(module (import "env" "launch_missiles" (func))
  (memory (export "memory") 1)
  (func (export "_start")))
""")


def importing(module: str, name: str, signature: str) -> bytes:
    """A command that imports `module`.`name` with `signature` (a WAT func type) and never calls it."""
    return wat2wasm(f"""
    (module (import "{module}" "{name}" (func {signature}))
      (memory (export "memory") 1)
      (func (export "_start")))
    """)


# Imports no sandbox provides, each a shape that once slipped past a check by name alone, with
# the words the refusal must contain.
FORBIDDEN_IMPORTS = {
    "unknown-wasi-name": (
        importing("wasi_snapshot_preview1", "totally_fake", ""),
        "wasi_snapshot_preview1.totally_fake",
    ),
    "wasi-wrong-signature": (
        importing("wasi_snapshot_preview1", "fd_write", "(param i32) (result i32)"),
        "wasi_snapshot_preview1.fd_write as (func (param i32) (result i32))",
    ),
    "host-wrong-signature": (
        importing("spell", "http_request", "(param i32 i32) (result i32)"),
        "spell.http_request as (func (param i32 i32) (result i32))",
    ),
    "unknown-host-name": (importing("spell", "exec", "(param i32)"), "spell.exec"),
    "wrong-module": (importing("env", "fd_write", "(param i32 i32 i32 i32) (result i32)"), "env.fd_write"),
    "wasi-memory": (
        wat2wasm("""(module (import "wasi_snapshot_preview1" "memory" (memory 1))
                    (memory (export "memory") 1) (func (export "_start")))"""),
        "wasi_snapshot_preview1.memory",
    ),
}


NO_START = wat2wasm("""
(module (memory (export "memory") 1) (func (export "main")))
""")


def spins_then_writes(iterations: int, text: str = "{}") -> bytes:
    """Burns CPU for `iterations` loop turns (about 1 ns each), then writes `text` and exits 0."""
    data = text.encode()
    escaped = "".join(f"\\{b:02x}" for b in data)
    return wat2wasm(f"""
    (module {_WASI_IO}
      (memory (export "memory") 1)
      (data (i32.const 64) "{escaped}")
      (func (export "_start") (local $i i64)
        (loop $l
          (local.set $i (i64.add (local.get $i) (i64.const 1)))
          (br_if $l (i64.lt_u (local.get $i) (i64.const {iterations}))))
        (i32.store (i32.const 0) (i32.const 64))
        (i32.store (i32.const 4) (i32.const {len(data)}))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
    """)


def requests_then_writes(url: str, note: str, times: int = 1) -> bytes:
    """Asks the host for `url` `times` times (whatever the answers), writes `note` to stderr, then
    `{}` to stdout, and exits 0."""
    request = json.dumps({"url": url}).encode()
    note_bytes = note.encode()

    def escaped(data: bytes) -> str:
        return "".join(f"\\{b:02x}" for b in data)

    asking = (
        f"(drop (call $http_request (i32.const 1024) (i32.const {len(request)}) "
        "(i32.const 4096) (i32.const 4096)))"
    )
    return wat2wasm(f"""
    (module {_WASI_IO}
      (import "spell" "http_request" (func $http_request (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "{{}}")
      (data (i32.const 64) "{escaped(note_bytes)}")
      (data (i32.const 1024) "{escaped(request)}")
      (func (export "_start")
        {asking * times}
        (i32.store (i32.const 0) (i32.const 64))
        (i32.store (i32.const 4) (i32.const {len(note_bytes)}))
        (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
        (i32.store (i32.const 0) (i32.const 16))
        (i32.store (i32.const 4) (i32.const 2))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
    """)


def reads_clock_and_random(random_bytes: int = 16, *, out_of_bounds: bool = False) -> bytes:
    """Reads `random_bytes` from WASI's random source and the wall clock twice, then writes
    them as one JSON string (each byte as two letters from a to p) and exits 0. With `out_of_bounds`
    it first asks random_get to write past its memory, and writes the errno it got first."""
    size = random_bytes + 16
    fault = "(i32.store8 (i32.const 4095) (call $random (i32.const 65530) (i32.const 100)))"
    return wat2wasm(f"""
    (module
      (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (local $i i32) (local $b i32)
        (drop (call $random (i32.const 1024) (i32.const {random_bytes})))
        (drop (call $clock (i32.const 0) (i64.const 1) (i32.const {1024 + random_bytes})))
        (drop (call $clock (i32.const 1) (i64.const 1) (i32.const {1024 + random_bytes + 8})))
        {fault if out_of_bounds else ""}
        (i32.store8 (i32.const 4096) (i32.const 34))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (i32.const {size + 1})))
            (local.set $b (i32.load8_u (i32.add (i32.const 1023) (local.get $i))))
            (if (i32.eqz (local.get $i)) (then (local.set $b (i32.load8_u (i32.const 4095)))))
            (i32.store8 (i32.add (i32.const 4097) (i32.shl (local.get $i) (i32.const 1)))
              (i32.add (i32.const 97) (i32.and (local.get $b) (i32.const 15))))
            (i32.store8 (i32.add (i32.const 4098) (i32.shl (local.get $i) (i32.const 1)))
              (i32.add (i32.const 97) (i32.shr_u (local.get $b) (i32.const 4))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (i32.store8 (i32.const {4097 + 2 * (size + 1)}) (i32.const 34))
        (i32.store (i32.const 0) (i32.const 4096))
        (i32.store (i32.const 4) (i32.const {2 * (size + 1) + 2}))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
    """)


def decode_letters(text: str) -> bytes:
    """The bytes `reads_clock_and_random` wrote: errno first, then random bytes, then clocks."""
    return bytes((ord(text[i]) - 97) | ((ord(text[i + 1]) - 97) << 4) for i in range(0, len(text), 2))


def sleeps(ms: int, *, absolute: bool = False, clock: int = 1, and_read_stdin: bool = False) -> bytes:
    """Sleeps `ms` milliseconds on WASI's `clock` (1: monotonic, 0: realtime) with one clock
    subscription to poll_oneoff (`absolute`: until a time read from that clock first), then writes
    `{}` and exits 0. Exits with the errno when poll_oneoff fails, 99 when its one event is not the
    clock's. With `and_read_stdin`, stdin's readiness is subscribed too, and its event expected
    instead of the clock's."""
    nanoseconds = ms * 1_000_000
    # Subscriptions at 0 (48 bytes each): userdata, tag (0: clock, 1: fd_read), clock id or fd,
    # timeout, precision, flags (1: abstime). The event at 256 (32 bytes), their number at 512.
    timeout = f"(i64.const {nanoseconds})"
    if absolute:
        timeout = f"(i64.add (i64.load (i32.const 1024)) {timeout})"
    stdin = """
        (i64.store (i32.const 48) (i64.const 8))
        (i32.store8 (i32.const 56) (i32.const 1))
        (i32.store (i32.const 64) (i32.const 0))"""
    return wat2wasm(f"""
    (module
      (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
      {_WASI_IO}
      (memory (export "memory") 1)
      (data (i32.const 2048) "{{}}")
      (func (export "_start") (local $errno i32)
        (drop (call $clock (i32.const {clock}) (i64.const 1) (i32.const 1024)))
        (i64.store (i32.const 0) (i64.const 7))
        (i32.store8 (i32.const 8) (i32.const 0))
        (i32.store (i32.const 16) (i32.const {clock}))
        (i64.store (i32.const 24) {timeout})
        (i64.store (i32.const 32) (i64.const 0))
        (i32.store16 (i32.const 40) (i32.const {1 if absolute else 0}))
        {stdin if and_read_stdin else ""}
        (local.set $errno (call $poll
          (i32.const 0) (i32.const 256) (i32.const {2 if and_read_stdin else 1}) (i32.const 512)))
        (if (local.get $errno) (then (call $proc_exit (local.get $errno))))
        (if (i32.or (i32.ne (i32.load (i32.const 512)) (i32.const 1))
                    (i64.ne (i64.load (i32.const 256)) (i64.const {8 if and_read_stdin else 7})))
          (then (call $proc_exit (i32.const 99))))
        (i32.store (i32.const 0) (i32.const 2048))
        (i32.store (i32.const 4) (i32.const 2))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
    """)
