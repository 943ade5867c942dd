"""Compile spells once, run them many times under limits and policy.

A `Sandbox` owns one wasmtime engine configured for fuel metering and epoch interruption, one
linker with WASI preview1 and the platform's host functions, a shared epoch ticker thread (one
timer for all casts, asleep while none runs), a bounded in-memory cache of ready-to-instantiate
modules, and the network gate. Compiled modules are kept as serialized artifacts in a directory
only the platform writes, keyed by wasmtime version, engine configuration and module digest, so a
cast never compiles.

Casts run on the caller's thread (wasmtime releases the GIL while wasm runs). Each thread keeps
its own stdout/stderr files on tmpfs, reused cast after cast.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.metadata
import itertools
import json
import os
import re
import shutil
import stat
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

from runtime.determinism import FixedSources, define_fixed_sources
from runtime.errors import SpellRunError
from runtime.limits import Limits
from runtime.net import CastNetwork, NetworkGate
from runtime.policy import SCRATCH_GUEST_PATH, Policy
from runtime.sleeps import MONOTONIC, define_bounded_poll
from runtime.usage import ResourceUsage

WASM_PAGE = 65536
WASI_MODULE = "wasi_snapshot_preview1"
HOST_MODULE = "spell"
EPOCH_TICK_S = 0.005
# Bumped whenever the engine configuration below changes: artifacts from another
# configuration do not load (wasmtime refuses them), so they must not share a key.
ENGINE_PROFILE = "fuel+epoch+pooling.v2"
WASMTIME_VERSION = importlib.metadata.version("wasmtime")
STDERR_KEPT_BYTES = 16 * 1024
POOL_MAX_MEMORY_BYTES = 4096 * 1024 * 1024


class ModuleRejected(ValueError):
    """A module that can never run here (invalid wasm, wrong imports, no `_start`)."""


@dataclass(frozen=True, slots=True)
class Artifact:
    """A file the spell wrote under /scratch: `name` is its path there."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class RunResult:
    output: Any
    stderr: bytes
    usage: ResourceUsage
    artifacts: tuple[Artifact, ...] = ()


@dataclass(frozen=True, slots=True)
class _Prepared:
    instance_pre: wasmtime.InstancePre
    min_memory_bytes: int


def module_digest(wasm: bytes) -> str:
    return hashlib.sha256(wasm).hexdigest()


def module_imports(wasm: bytes) -> tuple[str, ...]:
    """What a module imports, as `module.name`; empty when the bytes are not a module."""
    try:
        module = wasmtime.Module(wasmtime.Engine(), wasm)
    except wasmtime.WasmtimeError:
        return ()
    return tuple(f"{item.module}.{item.name}" for item in module.imports)


def configure_pooling(config: wasmtime.Config, *, slots: int, max_memory_bytes: int) -> None:
    """Use wasmtime's pooling allocator: instances, memories and stacks come from slots reserved
    once, so a cast reuses warm memory instead of mapping and unmapping its own.

    The Python binding does not expose it; the C API does. At most `slots` instances exist at
    once; each memory slot reserves (virtual) room for `max_memory_bytes`.
    """
    pool = ffi.wasmtime_pooling_allocation_config_new()
    try:
        ffi.wasmtime_pooling_allocation_config_total_core_instances_set(pool, slots)
        ffi.wasmtime_pooling_allocation_config_total_memories_set(pool, slots)
        ffi.wasmtime_pooling_allocation_config_total_tables_set(pool, slots)
        ffi.wasmtime_pooling_allocation_config_total_stacks_set(pool, slots)
        ffi.wasmtime_pooling_allocation_config_max_memory_size_set(pool, max_memory_bytes)
        ffi.wasmtime_pooling_allocation_config_max_unused_warm_slots_set(pool, slots)
        ffi.wasmtime_pooling_allocation_strategy_set(config.ptr(), pool)
    finally:
        ffi.wasmtime_pooling_allocation_config_delete(pool)


def _scratch_root() -> str:
    # Guest output goes to files rather than Python callbacks (a callback costs a round trip
    # into Python per guest write); on tmpfs the files never touch a disk.
    shm = Path("/dev/shm")  # noqa: S108 (a private mkdtemp directory is made inside it)
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else tempfile.gettempdir()


class _ThreadFiles:
    """One thread's stdout and stderr files. WASI opens both with truncation for every store, so
    a cast never reads what the previous one wrote (tests/runtime/test_policy.py checks it for
    the wasmtime installed); truncating them again costs every cast 7 µs."""

    def __init__(self, directory: str) -> None:
        self.stdout_fd, self.stdout_path = tempfile.mkstemp(dir=directory, suffix=".out")
        self.stderr_fd, self.stderr_path = tempfile.mkstemp(dir=directory, suffix=".err")

    def close(self) -> None:
        for fd, path in ((self.stdout_fd, self.stdout_path), (self.stderr_fd, self.stderr_path)):
            os.close(fd)
            os.unlink(path)


class _Cast:
    """The state of one running cast, seen by the watchdog and the host functions."""

    def __init__(
        self,
        limits: Limits,
        policy: Policy,
        files: _ThreadFiles,
        scratch: str | None,
        stop: threading.Event | None = None,
    ) -> None:
        self.limits = limits
        self.stop = stop
        self.files = files
        self.scratch = scratch
        self.failure: SpellRunError | None = None
        self.started = time.perf_counter()
        self.deadline = self.started + limits.timeout_ms / 1000
        self.policy = policy
        # Made on the first network call: most casts never make one.
        self.network: CastNetwork | None = None
        self.sources = FixedSources(policy.seed) if policy.seed is not None else None
        # When WASI's monotonic clock read 0 (the guest's WASI context was made): reset by `_run`.
        self.monotonic_base_ns = time.monotonic_ns()

    def now_ns(self, clock: int) -> int:
        """What the guest reads from WASI's realtime or monotonic `clock` now."""
        if self.sources is not None:
            return self.sources.reading_ns()
        return time.monotonic_ns() - self.monotonic_base_ns if clock == MONOTONIC else time.time_ns()

    def sleep_ns(self, nanoseconds: int) -> bool:
        """A guest's sleep (runtime/sleeps.py): at most until the deadline, and not once stopped.
        Whether it slept the whole time; if not, the cast ends as `failure` says."""
        wanted = nanoseconds / 1e9
        left = self.deadline - time.perf_counter()
        stop = self.stop or threading.Event()
        if stop.wait(max(0.0, min(wanted, left))):
            self.failure = _cancelled()
        elif wanted > left:
            self.failure = _timed_out(self.limits)
        elif self.sources is not None:
            self.sources.advance(nanoseconds)
        return self.failure is None

    def net(self) -> CastNetwork:
        if self.network is None:
            deadline = time.monotonic() + (self.deadline - time.perf_counter())
            self.network = CastNetwork(policy=self.policy, deadline=deadline)
        return self.network


class Sandbox:
    def __init__(
        self,
        artifact_dir: Path,
        wasm_loader: Callable[[str], bytes],
        *,
        cache_size: int = 256,
        network: NetworkGate | None = None,
        max_concurrent_casts: int = 32,
    ) -> None:
        config = wasmtime.Config()
        config.consume_fuel = True
        config.epoch_interruption = True
        configure_pooling(config, slots=max_concurrent_casts, max_memory_bytes=POOL_MAX_MEMORY_BYTES)
        self.engine = wasmtime.Engine(config)
        self.network = network or NetworkGate()
        self.linker = self._new_linker()
        # For deterministic spells: the same, with fixed clocks and random source.
        self.fixed_linker = self._new_linker()
        define_fixed_sources(self.fixed_linker, self._fixed_sources)
        for linker in (self.linker, self.fixed_linker):
            define_bounded_poll(linker, self._running_cast)
        self.artifact_dir = artifact_dir / WASMTIME_VERSION / ENGINE_PROFILE
        self.artifact_dir.mkdir(parents=True, exist_ok=True)
        self._wasm_loader = wasm_loader
        self._cache: OrderedDict[tuple[str, bool], _Prepared] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._scratch = tempfile.mkdtemp(prefix="spell-", dir=_scratch_root())
        self._thread = threading.local()
        self._thread_files: list[_ThreadFiles] = []
        # One C callback for every store; `data` names the cast it is called for.
        self._casts: dict[int, _Cast] = {}
        self._cast_ids = itertools.count(1)
        self._epoch_callback = _EPOCH_CALLBACK(self._on_epoch)
        self._stop = threading.Event()
        # Set while a cast runs: the ticker sleeps while none does, so an idle sandbox costs no CPU.
        self._busy = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="spell-epoch-ticker", daemon=True)
        self._ticker.start()

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._stop.set()
        self._busy.set()
        self._ticker.join(timeout=1)
        with self._lock:
            self._cache.clear()
            for files in self._thread_files:
                files.close()
            self._thread_files.clear()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def _tick(self) -> None:
        while self._busy.wait() and not self._stop.wait(EPOCH_TICK_S):
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
        """Refuse what could never run: an import this sandbox's linker does not define (by name
        and by signature, exactly as a cast links it), or a missing `_start` or memory."""
        try:
            self.linker.instantiate_pre(module)
        except wasmtime.WasmtimeError as exc:
            raise ModuleRejected(_link_problem(str(exc))) from None
        exports = {exp.name: exp.type for exp in module.exports}
        if not isinstance(exports.get("_start"), wasmtime.FuncType):
            raise ModuleRejected("exports no _start function: build it as a WASI command")
        if not isinstance(exports.get("memory"), wasmtime.MemoryType):
            raise ModuleRejected("exports no memory")

    def _artifact_path(self, digest: str) -> Path:
        return self.artifact_dir / f"{digest}.cwasm"

    def _prepared(self, digest: str, fixed: bool = False) -> _Prepared:
        with self._lock:
            hit = self._cache.get((digest, fixed))
            if hit is not None:
                self._cache.move_to_end((digest, fixed))
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
            instance_pre=(self.fixed_linker if fixed else self.linker).instantiate_pre(module),
            min_memory_bytes=memory.limits.min * WASM_PAGE,
        )
        with self._lock:
            self._cache[(digest, fixed)] = prepared
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return prepared

    # -- run -------------------------------------------------------------------------------

    def run(
        self,
        digest: str,
        input_json: bytes,
        limits: Limits,
        policy: Policy | None = None,
        *,
        stop: threading.Event | None = None,
    ) -> RunResult:
        """Run one cast: `input_json` on stdin, one JSON value expected on stdout.

        Blocking: call it from a worker thread. Setting `stop` ends the cast at the watchdog's
        next tick with `cast_cancelled`.
        """
        policy = policy or Policy()
        if len(input_json) > limits.max_input_bytes:
            raise SpellRunError(
                "input_too_large",
                f"input is {len(input_json)} bytes; this spell accepts at most {limits.max_input_bytes}",
            )
        prepared = self._prepared(digest, fixed=policy.seed is not None)
        if prepared.min_memory_bytes > limits.max_memory_bytes:
            raise SpellRunError(
                "spell_memory_exceeded",
                f"the module needs {prepared.min_memory_bytes} bytes of memory at start; "
                f"the limit is {limits.max_memory_bytes}",
            )
        files = self._files()
        scratch = tempfile.mkdtemp(dir=self._scratch) if policy.scratch else None
        cast = _Cast(limits, policy, files, scratch, stop)
        cast_id = next(self._cast_ids)
        with self._lock:
            self._casts[cast_id] = cast
            self._busy.set()
        self._thread.cast = cast
        try:
            return self._run(prepared, input_json, policy, cast, cast_id)
        finally:
            self._thread.cast = None
            with self._lock:
                del self._casts[cast_id]
                if not self._casts:
                    self._busy.clear()
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)

    def _files(self) -> _ThreadFiles:
        files: _ThreadFiles | None = getattr(self._thread, "files", None)
        if files is None:
            files = _ThreadFiles(self._scratch)
            self._thread.files = files
            with self._lock:
                self._thread_files.append(files)
        return files

    def _run(
        self, prepared: _Prepared, input_json: bytes, policy: Policy, cast: _Cast, cast_id: int
    ) -> RunResult:
        limits, files = cast.limits, cast.files
        store = wasmtime.Store(self.engine)
        memory_bytes = 0
        failure: SpellRunError | None = None
        try:
            wasi = wasmtime.WasiConfig()
            _set_stdin_bytes(wasi, input_json)
            wasi.stdout_file = files.stdout_path
            wasi.stderr_file = files.stderr_path
            if policy.env:
                wasi.env = policy.env
            for mount in policy.read_only:
                wasi.preopen_dir(mount.host_path, mount.guest_path, fs_mutable=False)
            if cast.scratch is not None:
                wasi.preopen_dir(cast.scratch, SCRATCH_GUEST_PATH, fs_mutable=True)
            store.set_wasi(wasi)
            cast.monotonic_base_ns = time.monotonic_ns()
            store.set_limits(memory_size=limits.max_memory_bytes, instances=1, tables=4, memories=1)
            store.set_fuel(limits.fuel)
            # The watchdog runs on every epoch tick from here on; a cast shorter than a tick
            # never calls it.
            store.set_epoch_deadline(1)
            ffi.wasmtime_store_epoch_deadline_callback(
                store.ptr(), self._epoch_callback, cast_id, _NO_FINALIZER
            )
            cast.started = time.perf_counter()
            cast.deadline = cast.started + limits.timeout_ms / 1000
            try:
                instance = prepared.instance_pre.instantiate(store)
                memory, start = _export(store, instance, _MEMORY), _export(store, instance, _START)
                try:
                    _call_start(store, start)
                finally:
                    memory_bytes = _memory_size(store, memory)
            except wasmtime.ExitTrap as exc:
                if exc.code != 0:
                    failure = SpellRunError("spell_failed", f"the spell exited with code {exc.code}")
            except wasmtime.Trap as exc:
                failure = _trap_error(exc, limits)
            except wasmtime.WasmtimeError as exc:
                failure = SpellRunError("spell_crashed", f"the spell could not run: {_first_line(exc)}")
            elapsed_ms = (time.perf_counter() - cast.started) * 1000
            fuel_used = limits.fuel - store.get_fuel()
        finally:
            store.close()
        stdout_size = os.fstat(files.stdout_fd).st_size
        artifacts: tuple[Artifact, ...] = ()
        artifact_failure = None
        if cast.scratch is not None and failure is None and cast.failure is None:
            try:
                artifacts = _collect_artifacts(cast.scratch, limits)
            except SpellRunError as exc:
                artifact_failure = exc
        network = cast.network or _NO_NETWORK
        usage = ResourceUsage(
            duration_ms=round(elapsed_ms, 3),
            fuel_consumed=fuel_used,
            peak_memory_bytes=memory_bytes,
            input_bytes=len(input_json),
            output_bytes=stdout_size,
            stderr_bytes=os.fstat(files.stderr_fd).st_size,
            artifacts_bytes=sum(len(a.data) for a in artifacts),
            network_requests=network.requests,
            network_bytes_sent=network.bytes_sent,
            network_bytes_received=network.bytes_received,
            policy_violations=tuple(network.violations),
        )
        # The watchdog's reason wins: the trap it caused says only "interrupted".
        failure = cast.failure or failure or artifact_failure
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
        stderr = os.pread(files.stderr_fd, STDERR_KEPT_BYTES, 0) if usage.stderr_bytes else b""
        if failure is not None:
            failure.usage = usage
            failure.stderr = stderr
            raise failure
        output = _decode_output(os.pread(files.stdout_fd, stdout_size, 0), usage)
        return RunResult(output=output, stderr=stderr, usage=usage, artifacts=artifacts)

    # -- watchdog --------------------------------------------------------------------------

    def _on_epoch(self, _context: Any, data: int | None, delta: Any, kind: Any) -> int:
        """Called by wasmtime on the cast's own thread at each epoch tick: stops a cast that
        ran past its timeout or wrote past its caps. Returning an error traps the guest."""
        cast = self._casts.get(data or 0)
        if cast is None:
            return 0
        limits = cast.limits
        if cast.failure is not None:  # decided in a host call (a sleep cut short)
            pass
        elif cast.stop is not None and cast.stop.is_set():
            cast.failure = _cancelled()
        elif time.perf_counter() > cast.deadline:
            cast.failure = _timed_out(limits)
        elif os.fstat(cast.files.stdout_fd).st_size > limits.max_output_bytes:
            cast.failure = _output_too_large(limits)
        elif os.fstat(cast.files.stderr_fd).st_size > limits.max_output_bytes:
            cast.failure = SpellRunError("spell_output_too_large", "the spell wrote too much to stderr")
        elif cast.scratch is not None and _tree_size(cast.scratch) > limits.max_artifact_bytes:
            cast.failure = _artifacts_too_large(limits)
        if cast.failure is not None:
            error = ffi.wasmtime_error_new(cast.failure.code.encode())
            return ctypes.cast(error, ctypes.c_void_p).value or 0
        delta[0] = 1
        kind[0] = _DEADLINE_CONTINUE
        return 0

    # -- host functions --------------------------------------------------------------------

    def _new_linker(self) -> wasmtime.Linker:
        linker = wasmtime.Linker(self.engine)
        linker.define_wasi()
        i32 = wasmtime.ValType.i32()
        linker.define_func(
            HOST_MODULE,
            "http_request",
            wasmtime.FuncType([i32, i32, i32, i32], [i32]),
            self._http_request,
            True,
        )
        linker.define_func(
            HOST_MODULE, "http_response", wasmtime.FuncType([i32, i32], [i32]), self._http_response, True
        )
        return linker

    def _running_cast(self) -> _Cast | None:
        cast: _Cast | None = getattr(self._thread, "cast", None)
        return cast

    def _fixed_sources(self) -> FixedSources | None:
        cast = self._running_cast()
        return cast.sources if cast is not None else None

    def _http_request(
        self, caller: wasmtime.Caller, req_ptr: int, req_len: int, out_ptr: int, out_cap: int
    ) -> int:
        # Never raise from here: an exception would cross the wasm frames through a slot that
        # is not thread-local.
        try:
            cast: _Cast | None = getattr(self._thread, "cast", None)
            memory = caller.get("memory")
            if cast is None or not isinstance(memory, wasmtime.Memory):
                return HOST_ERROR_BAD_ARGUMENTS
            size = memory.data_len(caller)
            if req_len < 0 or req_ptr < 0 or req_ptr + req_len > size or out_ptr < 0 or out_cap < 0:
                return HOST_ERROR_BAD_ARGUMENTS
            request = bytes(memory.read(caller, req_ptr, req_ptr + req_len))
            response = self.network.request(cast.net(), request)
            return _deliver(memory, caller, cast, response, out_ptr, out_cap)
        except Exception:
            return HOST_ERROR_BAD_ARGUMENTS

    def _http_response(self, caller: wasmtime.Caller, out_ptr: int, out_cap: int) -> int:
        try:
            cast: _Cast | None = getattr(self._thread, "cast", None)
            memory = caller.get("memory")
            pending = cast.net().pending if cast is not None else None
            if cast is None or not isinstance(memory, wasmtime.Memory) or pending is None:
                return HOST_ERROR_BAD_ARGUMENTS
            cast.net().pending = None
            response = pending
            return _deliver(memory, caller, cast, response, out_ptr, out_cap)
        except Exception:
            return HOST_ERROR_BAD_ARGUMENTS


_NO_NETWORK = CastNetwork(policy=Policy(), deadline=0.0)
HOST_ERROR_BAD_ARGUMENTS = -1


def _deliver(
    memory: wasmtime.Memory, caller: wasmtime.Caller, cast: _Cast, response: bytes, out_ptr: int, out_cap: int
) -> int:
    """Write a response into guest memory if it fits; otherwise keep it for http_response.
    Either way return its length, so the guest knows how much room it needs."""
    if len(response) <= out_cap:
        if out_ptr + len(response) > memory.data_len(caller):
            return HOST_ERROR_BAD_ARGUMENTS
        memory.write(caller, response, out_ptr)
    else:
        cast.net().pending = response
    return len(response)


def _collect_artifacts(scratch: str, limits: Limits) -> tuple[Artifact, ...]:
    """Regular files under the scratch directory; links and special files are ignored, never
    followed."""
    found: list[Artifact] = []
    total = 0
    for root, dirs, names in os.walk(scratch, followlinks=False):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                continue
            total += info.st_size
            if total > limits.max_artifact_bytes:
                raise _artifacts_too_large(limits)
            if len(found) >= limits.max_artifacts:
                raise SpellRunError(
                    "spell_artifacts_too_large", f"the spell wrote more than {limits.max_artifacts} files"
                )
            with open(path, "rb", opener=_no_follow) as handle:
                data = handle.read(limits.max_artifact_bytes + 1)
            found.append(Artifact(name=os.path.relpath(path, scratch), data=data))
    return tuple(found)


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW)


def _tree_size(directory: str) -> int:
    total = 0
    for root, _dirs, names in os.walk(directory, followlinks=False):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                continue
    return total


_EPOCH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_size_t,
    ctypes.POINTER(ffi.wasmtime_context_t),
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_uint64),
    ctypes.POINTER(ffi.wasmtime_update_deadline_kind_t),
)
_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()
_DEADLINE_CONTINUE = 0


def _cancelled() -> SpellRunError:
    return SpellRunError("cast_cancelled", "the cast was cancelled")


def _timed_out(limits: Limits) -> SpellRunError:
    return SpellRunError("spell_timeout", f"the spell ran longer than {limits.timeout_ms} ms")


def _output_too_large(limits: Limits) -> SpellRunError:
    return SpellRunError(
        "spell_output_too_large", f"the spell wrote more than {limits.max_output_bytes} bytes"
    )


def _artifacts_too_large(limits: Limits) -> SpellRunError:
    return SpellRunError(
        "spell_artifacts_too_large", f"the spell wrote more than {limits.max_artifact_bytes} bytes of files"
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# NaN and Infinity are Python's extensions, not JSON: no client could read them back.
_OUTPUT_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _decode_output(raw: bytes, usage: ResourceUsage) -> Any:
    try:
        text = raw.decode("utf-8")
        value, end = _OUTPUT_DECODER.raw_decode(text, _skip_space(text, 0))
        if _skip_space(text, end) != len(text):
            raise ValueError("more than one JSON value")
        return value
    except (ValueError, UnicodeDecodeError):
        raise SpellRunError(
            "spell_output_invalid", "the spell did not write exactly one JSON value to stdout", usage
        ) from None


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\n\r":
        index += 1
    return index


def _name(text: bytes) -> Any:
    return (ctypes.c_char * len(text)).from_buffer_copy(text)


_MEMORY, _START = _name(b"memory"), _name(b"_start")


def _export(store: wasmtime.Store, instance: wasmtime.Instance, name: Any) -> ffi.wasmtime_extern_t:
    """One export by name, as the C API's extern. `Instance.exports` wraps every export of the
    module in Python objects on each call; a cast needs two, raw."""
    item = ffi.wasmtime_extern_t()
    ffi.wasmtime_instance_export_get(
        store._context(), ctypes.byref(instance._instance), name, len(name), ctypes.byref(item)
    )
    return item  # present and of the right kind: checked when the module was compiled


def _memory_size(store: wasmtime.Store, memory: ffi.wasmtime_extern_t) -> int:
    return int(ffi.wasmtime_memory_data_size(store._context(), ctypes.byref(memory.of.memory)))


def _call_start(store: wasmtime.Store, start: ffi.wasmtime_extern_t) -> None:
    """Call `_start()`, raising what `Func.__call__` raises (ExitTrap, Trap, WasmtimeError)
    without its per-call type introspection. The host functions never raise, so no Python
    exception can be pending behind a trap."""
    trap = ctypes.POINTER(ffi.wasm_trap_t)()
    error = ffi.wasmtime_func_call(
        store._context(), ctypes.byref(start.of.func), None, 0, None, 0, ctypes.byref(trap)
    )
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)
    if trap:
        raise wasmtime.Trap._from_ptr(trap)


def _trap_error(trap: wasmtime.Trap, limits: Limits) -> SpellRunError:
    code = trap.trap_code
    if code == wasmtime.TrapCode.OUT_OF_FUEL:
        return SpellRunError("spell_cpu_exhausted", f"the spell used more than {limits.fuel} units of fuel")
    kind = code.name.lower() if code is not None else "unknown"
    return SpellRunError("spell_crashed", f"the spell trapped: {kind}")


_UNKNOWN_IMPORT = re.compile(r"unknown import: `([^`:]+)::([^`]+)` has not been defined")
_WRONG_TYPE = re.compile(
    r"incompatible import type for `([^`:]+)::([^`]+)`.*expected type `(.+?)`, found type `(.+?)`", re.DOTALL
)


def _link_problem(message: str) -> str:
    """wasmtime's linking error in a maker's words, naming the import."""
    if found := _UNKNOWN_IMPORT.search(message):
        module, name = found.groups()
        return f"imports {module}.{name}, which the sandbox does not provide (see docs/spell-abi.md)"
    if found := _WRONG_TYPE.search(message):
        module, name, wanted, provided = found.groups()
        return f"imports {module}.{name} as {wanted}, but the sandbox provides {provided}"
    return f"cannot be linked: {message.splitlines()[0]}"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _set_stdin_bytes(wasi: wasmtime.WasiConfig, data: bytes) -> None:
    # The Python binding offers stdin only from a file; the C API takes bytes directly.
    vec = ffi.wasm_byte_vec_t()
    buffer = (ffi.wasm_byte_t * len(data)).from_buffer_copy(data) if data else None
    ffi.wasm_byte_vec_new(ctypes.byref(vec), len(data), buffer)
    ffi.wasi_config_set_stdin_bytes(wasi.ptr(), ctypes.byref(vec))
