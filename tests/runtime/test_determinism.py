"""A deterministic cast: the sandbox fixes the clocks and the random source from a seed, so
the same module, input and seed give the same output bytes every time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime import Limits, Policy, Sandbox
from runtime.determinism import EPOCH_NS, ERRNO_FAULT, TICK_NS
from runtime.policy import PolicyError
from tests import wasm_modules as wat

READS = wat.reads_clock_and_random()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path / "artifacts", lambda digest: READS)
    yield box
    box.close()


def run(sandbox: Sandbox, seed: bytes | None) -> tuple[str, bytes]:
    """The output's sha256, and the bytes the module read (errno, random, two clocks)."""
    digest = sandbox.compile(READS)
    result = sandbox.run(digest, b"{}", Limits(), Policy(seed=seed))
    return hashlib.sha256(json.dumps(result.output).encode()).hexdigest(), wat.decode_letters(result.output)


def test_the_same_seed_gives_the_same_output_a_hundred_times(sandbox: Sandbox) -> None:
    hashes = {run(sandbox, b"cast_0001")[0] for _ in range(100)}
    assert len(hashes) == 1


def test_another_seed_gives_other_random_bytes_and_the_same_clocks(sandbox: Sandbox) -> None:
    _, first = run(sandbox, b"cast_0001")
    _, second = run(sandbox, b"cast_0002")
    assert first[1:17] != second[1:17]
    assert first[17:] == second[17:]
    wall = int.from_bytes(first[17:25], "little")
    monotonic = int.from_bytes(first[25:33], "little")
    # Fixed, and still moving forward between readings.
    assert (wall, monotonic) == (EPOCH_NS + TICK_NS, EPOCH_NS + 2 * TICK_NS)


def test_without_a_seed_the_world_is_real(sandbox: Sandbox) -> None:
    outputs = {run(sandbox, None)[0] for _ in range(3)}
    assert len(outputs) == 3
    wall = int.from_bytes(run(sandbox, None)[1][17:25], "little")
    assert wall > EPOCH_NS + 86_400 * 10**9 * 365 * 5  # today, not 2020


def test_a_random_buffer_outside_memory_is_a_fault_not_a_crash(tmp_path: Path) -> None:
    # The module asks for 100 bytes at 65530 of a 65536-byte memory.
    hostile = wat.reads_clock_and_random(out_of_bounds=True)
    box = Sandbox(tmp_path / "artifacts", lambda digest: hostile)
    try:
        result = box.run(box.compile(hostile), b"{}", Limits(), Policy(seed=b"cast_0001"))
    finally:
        box.close()
    assert wat.decode_letters(result.output)[0] == ERRNO_FAULT


def test_a_seeded_policy_cannot_reach_the_network() -> None:
    with pytest.raises(PolicyError, match="deterministic"):
        Policy(seed=b"cast_0001", net_allow=("api.example.com",))
