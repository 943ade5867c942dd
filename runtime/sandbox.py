"""Compile spells once, run them many times under limits.

A `Sandbox` owns one wasmtime engine configured for fuel metering and epoch interruption, one
linker with WASI preview1, a shared epoch ticker thread (one timer for all casts, not one per
cast) and a bounded in-memory cache of ready-to-instantiate modules. Compiled modules are kept as
serialized artifacts in a directory only the platform writes, keyed by wasmtime version, engine
configuration and module digest, so a cast never compiles.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.metadata
import json
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from runtime.errors import SpellRunError
from runtime.limits import Limits
from runtime.usage import ResourceUsage

WASM_PAGE = 65536
WASI_MODULE = "wasi_snapshot_preview1"
EPOCH_TICK_S = 0.005
# Bumped whenever the engine configuration below changes: artifacts from another
# configuration do not load (wasmtime refuses them), so they must not share a key.
ENGINE_PROFILE = "fuel+epoch.v1"
WASMTIME_VERSION = importlib.metadata.version("wasmtime")
STDERR_KEPT_BYTES = 16 * 1024


class ModuleRejected(ValueError):
    """A module that can never run here (invalid wasm, wrong imports, no `_start`)."""


@dataclass(frozen=True, slots=True)
class RunResult:
    output: Any
    stderr: bytes
    usage: ResourceUsage


@dataclass(frozen=True, slots=True)
class _Prepared:
    instance_pre: wasmtime.InstancePre
    min_memory_bytes: int


def module_digest(wasm: bytes) -> str:
    return hashlib.sha256(wasm).hexdigest()


def _scratch_root() -> str:
    # Guest stdout goes to a file rather than a Python callback (a callback costs a round trip
    # into Python per guest write); on tmpfs the file never touches a disk.
    shm = Path("/dev/shm")  # noqa: S108 (a private mkdtemp directory is made inside it)
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else tempfile.gettempdir()


class Sandbox:
    def __init__(
        self,
        artifact_dir: Path,
        wasm_loader: Callable[[str], bytes],
        *,
        cache_size: int = 256,
    ) -> None:
        config = wasmtime.Config()
        config.consume_fuel = True
        config.epoch_interruption = True
        self.engine = wasmtime.Engine(config)
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        self.artifact_dir = artifact_dir / WASMTIME_VERSION / ENGINE_PROFILE
        self.artifact_dir.mkdir(parents=True, exist_ok=True)
        self._wasm_loader = wasm_loader
        self._cache: OrderedDict[str, _Prepared] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._scratch = tempfile.mkdtemp(prefix="spell-", dir=_scratch_root())
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="spell-epoch-ticker", daemon=True)
        self._ticker.start()

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._stop.set()
        self._ticker.join(timeout=1)
        with self._cache_lock:
            self._cache.clear()
        for name in os.listdir(self._scratch):
            os.unlink(os.path.join(self._scratch, name))
        os.rmdir(self._scratch)

    def _tick(self) -> None:
        while not self._stop.wait(EPOCH_TICK_S):
            self.engine.increment_epoch()

    # -- compile ---------------------------------------------------------------------------

    def compile(self, wasm: bytes) -> str:
        """Check and compile a module, keep its artifact, and return its digest.

        Raises `ModuleRejected` when the bytes are not a WASI preview1 command this sandbox can run.
        """
        digest = module_digest(wasm)
        artifact = self._artifact_path(digest)
        if artifact.exists():
            return digest
        try:
            module = wasmtime.Module(self.engine, wasm)
        except wasmtime.WasmtimeError as exc:
            raise ModuleRejected(f"not a valid WebAssembly module: {_first_line(exc)}") from None
        self._check_interface(module)
        tmp = artifact.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(module.serialize())
        os.replace(tmp, artifact)
        return digest

    def _check_interface(self, module: wasmtime.Module) -> None:
        for imp in module.imports:
            if imp.module != WASI_MODULE:
                raise ModuleRejected(f"imports {imp.module}.{imp.name}, which the sandbox does not provide")
        exports = {exp.name: exp.type for exp in module.exports}
        start = exports.get("_start")
        if not isinstance(start, wasmtime.FuncType):
            raise ModuleRejected("exports no _start function: build it as a WASI command")
        if not isinstance(exports.get("memory"), wasmtime.MemoryType):
            raise ModuleRejected("exports no memory")

    def _artifact_path(self, digest: str) -> Path:
        return self.artifact_dir / f"{digest}.cwasm"

    def _prepared(self, digest: str) -> _Prepared:
        with self._cache_lock:
            hit = self._cache.get(digest)
            if hit is not None:
                self._cache.move_to_end(digest)
                return hit
        artifact = self._artifact_path(digest)
        if not artifact.exists():
            # Compiled on another machine or before a wasmtime upgrade: compile from the
            # stored module, never from bytes of unknown origin.
            wasm = self._wasm_loader(digest)
            if module_digest(wasm) != digest:
                raise ModuleRejected("stored module does not match its digest")
            self.compile(wasm)
        module = wasmtime.Module.deserialize_file(self.engine, str(artifact))
        memory = next(e.type for e in module.exports if e.name == "memory")
        assert isinstance(memory, wasmtime.MemoryType)  # checked when it was compiled
        prepared = _Prepared(
            instance_pre=self.linker.instantiate_pre(module),
            min_memory_bytes=memory.limits.min * WASM_PAGE,
        )
        with self._cache_lock:
            self._cache[digest] = prepared
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return prepared

    # -- run -------------------------------------------------------------------------------

    def run(self, digest: str, input_json: bytes, limits: Limits) -> RunResult:
        """Run one cast: `input_json` on stdin, one JSON value expected on stdout.

        Blocking: call it from a worker thread. wasmtime releases the GIL while wasm runs.
        """
        if len(input_json) > limits.max_input_bytes:
            raise SpellRunError(
                "input_too_large",
                f"input is {len(input_json)} bytes; this spell accepts at most {limits.max_input_bytes}",
            )
        prepared = self._prepared(digest)
        if prepared.min_memory_bytes > limits.max_memory_bytes:
            raise SpellRunError(
                "spell_memory_exceeded",
                f"the module needs {prepared.min_memory_bytes} bytes of memory at start; "
                f"the limit is {limits.max_memory_bytes}",
            )
        stdout_fd, stdout_path = tempfile.mkstemp(dir=self._scratch)
        stderr_fd, stderr_path = tempfile.mkstemp(dir=self._scratch)
        try:
            return self._run(prepared, input_json, limits, stdout_fd, stdout_path, stderr_fd, stderr_path)
        finally:
            os.close(stdout_fd)
            os.close(stderr_fd)
            os.unlink(stdout_path)
            os.unlink(stderr_path)

    def _run(
        self,
        prepared: _Prepared,
        input_json: bytes,
        limits: Limits,
        stdout_fd: int,
        stdout_path: str,
        stderr_fd: int,
        stderr_path: str,
    ) -> RunResult:
        watchdog = _Watchdog(limits, stdout_fd, stderr_fd)
        store = wasmtime.Store(self.engine)
        memory_bytes = 0
        failure: SpellRunError | None = None
        try:
            wasi = wasmtime.WasiConfig()
            _set_stdin_bytes(wasi, input_json)
            wasi.stdout_file = stdout_path
            wasi.stderr_file = stderr_path
            store.set_wasi(wasi)
            store.set_limits(memory_size=limits.max_memory_bytes, instances=1, tables=4, memories=1)
            store.set_fuel(limits.fuel)
            watchdog.attach(store)
            try:
                instance = prepared.instance_pre.instantiate(store)
                exports = instance.exports(store)
                memory, start = exports["memory"], exports["_start"]
                assert isinstance(memory, wasmtime.Memory) and isinstance(start, wasmtime.Func)
                try:
                    start(store)
                finally:
                    memory_bytes = memory.data_len(store)
            except wasmtime.ExitTrap as exc:
                if exc.code != 0:
                    failure = SpellRunError("spell_failed", f"the spell exited with code {exc.code}")
            except wasmtime.Trap as exc:
                failure = _trap_error(exc, limits)
            except wasmtime.WasmtimeError as exc:
                failure = SpellRunError("spell_crashed", f"the spell could not run: {_first_line(exc)}")
            elapsed_ms = (time.perf_counter() - watchdog.started) * 1000
            fuel_used = limits.fuel - store.get_fuel()
        finally:
            store.close()
        stdout_size = os.fstat(stdout_fd).st_size
        usage = ResourceUsage(
            duration_ms=round(elapsed_ms, 3),
            fuel_consumed=fuel_used,
            peak_memory_bytes=memory_bytes,
            input_bytes=len(input_json),
            output_bytes=stdout_size,
            stderr_bytes=os.fstat(stderr_fd).st_size,
        )
        # The watchdog's reason wins: the trap it caused says only "interrupted".
        failure = watchdog.failure or failure
        if (
            failure is not None
            and failure.code == "spell_crashed"
            and memory_bytes + WASM_PAGE > limits.max_memory_bytes
        ):
            # The guest died right after the limiter refused to grow its memory.
            failure = SpellRunError(
                "spell_memory_exceeded",
                f"the spell needed more than {limits.max_memory_bytes} bytes of memory",
            )
        if failure is None and stdout_size > limits.max_output_bytes:
            failure = _output_too_large(limits)
        if failure is not None:
            failure.usage = usage
            raise failure
        stderr = os.pread(stderr_fd, STDERR_KEPT_BYTES, 0)
        output = _decode_output(os.pread(stdout_fd, stdout_size, 0), usage)
        return RunResult(output=output, stderr=stderr, usage=usage)


class _Watchdog:
    """Stops a cast that runs past its wall-clock timeout or writes past its output cap.

    wasmtime calls it from the running cast's own thread each time the shared epoch ticker
    passes the store's deadline (every tick), so a cast shorter than one tick never calls it.
    Returning an error from the callback traps the guest at once.
    """

    def __init__(self, limits: Limits, stdout_fd: int, stderr_fd: int) -> None:
        self.limits = limits
        self.stdout_fd = stdout_fd
        self.stderr_fd = stderr_fd
        self.failure: SpellRunError | None = None
        self.started = time.perf_counter()
        self.deadline = self.started + limits.timeout_ms / 1000
        # ctypes keeps the callback alive only as long as this reference does.
        self._callback = _EPOCH_CALLBACK(self._on_epoch)

    def attach(self, store: wasmtime.Store) -> None:
        self.started = time.perf_counter()
        self.deadline = self.started + self.limits.timeout_ms / 1000
        store.set_epoch_deadline(1)
        ffi.wasmtime_store_epoch_deadline_callback(store.ptr(), self._callback, None, _NO_FINALIZER)

    def _on_epoch(self, _context: Any, _data: Any, delta: Any, kind: Any) -> int:
        if time.perf_counter() > self.deadline:
            self.failure = SpellRunError(
                "spell_timeout", f"the spell ran longer than {self.limits.timeout_ms} ms"
            )
        elif os.fstat(self.stdout_fd).st_size > self.limits.max_output_bytes:
            self.failure = _output_too_large(self.limits)
        elif os.fstat(self.stderr_fd).st_size > self.limits.max_output_bytes:
            self.failure = SpellRunError("spell_output_too_large", "the spell wrote too much to stderr")
        if self.failure is not None:
            error = ffi.wasmtime_error_new(self.failure.code.encode())
            return ctypes.cast(error, ctypes.c_void_p).value or 0
        delta[0] = 1
        kind[0] = _DEADLINE_CONTINUE
        return 0


_EPOCH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_size_t,
    ctypes.POINTER(ffi.wasmtime_context_t),
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_uint64),
    ctypes.POINTER(ffi.wasmtime_update_deadline_kind_t),
)
_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()
_DEADLINE_CONTINUE = 0


def _output_too_large(limits: Limits) -> SpellRunError:
    return SpellRunError(
        "spell_output_too_large", f"the spell wrote more than {limits.max_output_bytes} bytes"
    )


def _decode_output(raw: bytes, usage: ResourceUsage) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise SpellRunError(
            "spell_output_invalid", "the spell did not write exactly one JSON value to stdout", usage
        ) from None


def _trap_error(trap: wasmtime.Trap, limits: Limits) -> SpellRunError:
    code = trap.trap_code
    if code == wasmtime.TrapCode.OUT_OF_FUEL:
        return SpellRunError("spell_cpu_exhausted", f"the spell used more than {limits.fuel} units of fuel")
    kind = code.name.lower() if code is not None else "unknown"
    return SpellRunError("spell_crashed", f"the spell trapped: {kind}")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _set_stdin_bytes(wasi: wasmtime.WasiConfig, data: bytes) -> None:
    # The Python binding offers stdin only from a file; the C API takes bytes directly.
    vec = ffi.wasm_byte_vec_t()
    buffer = (ffi.wasm_byte_t * len(data)).from_buffer_copy(data) if data else None
    ffi.wasm_byte_vec_new(ctypes.byref(vec), len(data), buffer)
    ffi.wasi_config_set_stdin_bytes(wasi.ptr(), ctypes.byref(vec))
