"""A guest that sleeps (WASI poll_oneoff) keeps to its cast's deadline: a sleep never outlasts the
time left, a stopped cast wakes at once, and an honest sleep sleeps as long as it asked."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from runtime import Limits, Policy, Sandbox, SpellRunError
from tests import wasm_modules as wat


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path_factory.mktemp("artifacts"), lambda digest: b"")
    yield box
    box.close()


def timed(sandbox: Sandbox, wasm: bytes, limits: Limits, **options: object) -> tuple[object, float]:
    """What the cast gave (its output, or its error code) and how long it took, in seconds."""
    digest = sandbox.compile(wasm)
    started = time.perf_counter()
    try:
        outcome: object = sandbox.run(digest, b"{}", limits, **options).output  # type: ignore[arg-type]
    except SpellRunError as failure:
        outcome = failure.code
    return outcome, time.perf_counter() - started


@pytest.mark.parametrize(
    "wasm",
    [wat.sleeps(5_000), wat.sleeps(5_000, absolute=True), wat.sleeps(5_000, absolute=True, clock=0)],
    ids=["relative", "absolute-monotonic", "absolute-realtime"],
)
def test_a_sleep_past_the_timeout_ends_the_cast_at_its_deadline(sandbox: Sandbox, wasm: bytes) -> None:
    outcome, took = timed(sandbox, wasm, Limits(timeout_ms=300))
    assert outcome == "spell_timeout"
    assert 0.29 < took < 2.5  # the deadline, not the 5 s asked for


def test_an_honest_sleep_sleeps_as_long_as_it_asked(sandbox: Sandbox) -> None:
    for wasm in (wat.sleeps(150), wat.sleeps(150, absolute=True), wat.sleeps(150, absolute=True, clock=0)):
        outcome, took = timed(sandbox, wasm, Limits(timeout_ms=5_000))
        assert outcome == {}
        assert 0.149 < took < 2


def test_a_stopped_cast_wakes_from_its_sleep_at_once(sandbox: Sandbox) -> None:
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    outcome, took = timed(sandbox, wat.sleeps(20_000), Limits(timeout_ms=30_000), stop=stop)
    assert outcome == "cast_cancelled"
    assert took < 2.5


def test_sleeping_casts_side_by_side_each_end_at_their_own_deadline(sandbox: Sandbox) -> None:
    # Eight casts asking for 20 s with a 400 ms timeout held every thread for 20 s.
    sleeper = wat.sleeps(20_000)
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as threads:
        outcomes = list(threads.map(lambda _: timed(sandbox, sleeper, Limits(timeout_ms=400))[0], range(8)))
    assert outcomes == ["spell_timeout"] * 8
    assert time.perf_counter() - started < 4


def test_a_ready_descriptor_answers_at_once_beside_a_long_clock(sandbox: Sandbox) -> None:
    outcome, took = timed(sandbox, wat.sleeps(20_000, and_read_stdin=True), Limits(timeout_ms=5_000))
    assert outcome == {}
    assert took < 2


def test_a_deterministic_spell_sleeps_on_its_own_clock(sandbox: Sandbox, tmp_path: Path) -> None:
    # Its monotonic clock reads from 2020 in nanoseconds: a sleep until "now + 150 ms" on that clock
    # is 150 ms, not the decades wasmtime's own clock would wait.
    outcome, took = timed(
        sandbox, wat.sleeps(150, absolute=True), Limits(timeout_ms=5_000), policy=Policy(seed=b"cast_1")
    )
    assert outcome == {}
    assert 0.149 < took < 2
