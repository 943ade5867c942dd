"""The sandbox runs honest spells and stops hostile ones with the right error, unharmed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime import Limits, ModuleRejected, Sandbox, SpellRunError
from runtime.sandbox import module_digest
from tests import wasm_modules as wat

MIB = 1024 * 1024
CPU_BOUND = Limits(timeout_ms=30_000, fuel=100_000_000)
TIGHT = Limits(timeout_ms=300, max_memory_bytes=4 * MIB, max_output_bytes=MIB)


@pytest.fixture
def modules() -> dict[str, bytes]:
    return {}


@pytest.fixture
def sandbox(tmp_path: Path, modules: dict[str, bytes]) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path / "artifacts", lambda digest: modules[digest])
    yield box
    box.close()


@pytest.fixture
def echo_wasm(built_spells: Path) -> bytes:
    return (built_spells / "echo" / "spell.wasm").read_bytes()


def failure_of(sandbox: Sandbox, wasm: bytes, limits: Limits = TIGHT, stdin: bytes = b"{}") -> SpellRunError:
    digest = sandbox.compile(wasm)
    with pytest.raises(SpellRunError) as caught:
        sandbox.run(digest, stdin, limits)
    return caught.value


def test_echo_returns_its_input_and_reports_usage(sandbox: Sandbox, echo_wasm: bytes) -> None:
    digest = sandbox.compile(echo_wasm)
    result = sandbox.run(digest, b'{"message":"hi","n":[1,2]}', Limits())
    assert result.output == {"message": "hi", "n": [1, 2]}
    assert result.usage.input_bytes == result.usage.output_bytes == 26
    assert result.usage.fuel_consumed > 0
    assert result.usage.peak_memory_bytes >= 65536
    assert result.usage.duration_ms > 0


def test_unicode_input_passes_through_unchanged(sandbox: Sandbox, echo_wasm: bytes) -> None:
    digest = sandbox.compile(echo_wasm)
    payload = '{"message":"héllo 😀 \\u0000"}'.encode()
    assert sandbox.run(digest, payload, Limits()).output == {"message": "héllo 😀 \u0000"}


@pytest.mark.parametrize(
    ("wasm", "code", "detail"),
    [
        (wat.LOOPS_FOREVER, "spell_timeout", "longer than 300 ms"),
        (wat.BURNS_FUEL, "spell_cpu_exhausted", "fuel"),  # under CPU_BOUND, below
        (wat.GROWS_MEMORY, "spell_memory_exceeded", "more than 4194304 bytes"),
        (wat.HUGE_MINIMUM_MEMORY, "spell_memory_exceeded", "at start"),
        (wat.RECURSES, "spell_crashed", "stack_overflow"),
        (wat.UNREACHABLE, "spell_crashed", "unreachable"),
        (wat.FLOODS_STDOUT, "spell_output_too_large", "more than 1048576 bytes"),
        (wat.FLOODS_STDERR, "spell_output_too_large", "stderr"),
        (wat.exits(3), "spell_failed", "exited with code 3"),
        (wat.writes("not json"), "spell_output_invalid", "JSON"),
        (wat.writes('{"a":1}{"b":2}'), "spell_output_invalid", "JSON"),
        (wat.writes('{"a":NaN}'), "spell_output_invalid", "JSON"),
    ],
    ids=[
        "loops-forever",
        "burns-fuel",
        "grows-memory",
        "huge-minimum-memory",
        "recurses",
        "unreachable",
        "floods-stdout",
        "floods-stderr",
        "exit-code",
        "not-json",
        "two-json-values",
        "nan",
    ],
)
def test_hostile_spell_gets_its_specific_error(sandbox: Sandbox, wasm: bytes, code: str, detail: str) -> None:
    # The fuel budget runs out long before a generous timeout; elsewhere the timeout comes first.
    limits = CPU_BOUND if code == "spell_cpu_exhausted" else TIGHT
    failure = failure_of(sandbox, wasm, limits)
    assert failure.code == code
    assert detail in failure.detail
    # Nothing of the host leaks into what a caster sees.
    assert (
        "/dev/shm" not in failure.detail
        and "/tmp" not in failure.detail
        and "Traceback" not in failure.detail
    )


def test_a_flood_of_output_is_cut_off_near_the_cap(sandbox: Sandbox) -> None:
    failure = failure_of(sandbox, wat.FLOODS_STDOUT, Limits(timeout_ms=10_000, max_output_bytes=MIB))
    assert failure.usage.output_bytes < 256 * MIB
    assert failure.usage.duration_ms < 5_000


def test_stderr_is_counted_and_its_head_kept(sandbox: Sandbox) -> None:
    line = "warning: something odd\n"
    digest = sandbox.compile(wat.writes_to_stderr(line, times=2000))
    result = sandbox.run(digest, b"{}", Limits())
    assert result.output == {}
    assert result.usage.stderr_bytes == len(line) * 2000
    assert len(result.stderr) == 16 * 1024
    assert result.stderr.startswith(line.encode() * 3)


def test_a_spell_that_fails_leaves_what_it_wrote_to_stderr(sandbox: Sandbox) -> None:
    digest = sandbox.compile(wat.writes_to_stderr("parsing the input...\n", then="unreachable"))
    with pytest.raises(SpellRunError) as failed:
        sandbox.run(digest, b"{}", Limits())
    assert failed.value.code == "spell_crashed"
    assert failed.value.stderr == b"parsing the input...\n"


def test_each_cast_sees_only_its_own_stderr(sandbox: Sandbox, echo_wasm: bytes) -> None:
    noisy = sandbox.compile(wat.writes_to_stderr("noise\n"))
    sandbox.run(noisy, b"{}", Limits())
    quiet = sandbox.run(sandbox.compile(echo_wasm), b'{"message":"x"}', Limits())
    assert quiet.stderr == b"" and quiet.usage.stderr_bytes == 0


def test_a_stopped_cast_ends_at_the_next_watchdog_tick(sandbox: Sandbox) -> None:
    digest = sandbox.compile(wat.LOOPS_FOREVER)
    stop = threading.Event()
    threading.Timer(0.05, stop.set).start()
    started = time.perf_counter()
    with pytest.raises(SpellRunError) as stopped:
        sandbox.run(digest, b"{}", Limits(timeout_ms=30_000), stop=stop)
    assert stopped.value.code == "cast_cancelled"
    assert time.perf_counter() - started < 5  # not the cast's 30 s


def test_honest_cast_after_hostile_ones_works_and_is_not_slowed(sandbox: Sandbox, echo_wasm: bytes) -> None:
    digest = sandbox.compile(echo_wasm)
    before = _best_of(sandbox, digest, 20)
    for hostile in (wat.LOOPS_FOREVER, wat.GROWS_MEMORY, wat.RECURSES, wat.FLOODS_STDOUT, wat.FLOODS_STDERR):
        failure_of(sandbox, hostile)
    assert sandbox.run(digest, b'{"message":"still here"}', Limits()).output == {"message": "still here"}
    after = _best_of(sandbox, digest, 20)
    # Best-of timings are stable; a leak of stores or threads would show here. The bound is
    # loose, since a loaded machine may slow either measurement.
    assert after < before * 5 + 0.005


def _best_of(sandbox: Sandbox, digest: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        sandbox.run(digest, b'{"message":"x"}', Limits())
        best = min(best, time.perf_counter() - started)
    return best


def test_input_above_the_limit_is_refused_before_running(sandbox: Sandbox, echo_wasm: bytes) -> None:
    failure = failure_of(sandbox, echo_wasm, Limits(max_input_bytes=10), stdin=b'{"message":"far too long"}')
    assert failure.code == "input_too_large"
    assert failure.usage.fuel_consumed == 0


@pytest.mark.parametrize(
    ("wasm", "reason"),
    [
        (wat.IMPORTS_UNKNOWN_HOST_FUNCTION, "env.launch_missiles"),
        (wat.NO_START, "_start"),
        (b"\x00asm\x01\x00\x00\x00garbage", "not a valid WebAssembly module"),
        (b"", "not a valid WebAssembly module"),
    ],
    ids=["unknown-import", "no-start", "garbage", "empty"],
)
def test_modules_that_cannot_run_are_rejected_at_compile_time(
    sandbox: Sandbox, wasm: bytes, reason: str
) -> None:
    with pytest.raises(ModuleRejected, match=reason):
        sandbox.compile(wasm)


@pytest.mark.parametrize("shape", sorted(wat.FORBIDDEN_IMPORTS))
def test_a_module_is_checked_against_exactly_what_a_cast_links(sandbox: Sandbox, shape: str) -> None:
    wasm, named = wat.FORBIDDEN_IMPORTS[shape]
    with pytest.raises(ModuleRejected) as rejected:
        sandbox.compile(wasm)
    assert named in str(rejected.value)


def test_compiled_artifacts_are_reused_by_a_new_sandbox(tmp_path: Path, echo_wasm: bytes) -> None:
    def never_load(digest: str) -> bytes:
        raise AssertionError("a cast must not need the module's source once it is compiled")

    first = Sandbox(tmp_path / "artifacts", never_load)
    digest = first.compile(echo_wasm)
    first.close()
    second = Sandbox(tmp_path / "artifacts", never_load)
    try:
        assert second.run(digest, b'{"message":"x"}', Limits()).output == {"message": "x"}
    finally:
        second.close()


def test_a_missing_artifact_is_rebuilt_from_the_stored_module(
    sandbox: Sandbox, modules: dict[str, bytes], echo_wasm: bytes
) -> None:
    digest = module_digest(echo_wasm)
    modules[digest] = echo_wasm
    assert sandbox.run(digest, b'{"message":"x"}', Limits()).output == {"message": "x"}


def test_a_stored_module_that_does_not_match_its_digest_is_refused(
    sandbox: Sandbox, modules: dict[str, bytes], echo_wasm: bytes
) -> None:
    digest = module_digest(echo_wasm)
    modules[digest] = wat.UNREACHABLE
    with pytest.raises(ModuleRejected, match="does not match"):
        sandbox.run(digest, b"{}", Limits())


def test_limits_are_clamped_by_the_operator_ceiling() -> None:
    spell = Limits(timeout_ms=60_000, max_memory_bytes=512 * MIB, fuel=10)
    ceiling = Limits(timeout_ms=5_000, max_memory_bytes=64 * MIB, fuel=1_000)
    clamped = spell.clamp(ceiling)
    assert (clamped.timeout_ms, clamped.max_memory_bytes, clamped.fuel) == (5_000, 64 * MIB, 10)
