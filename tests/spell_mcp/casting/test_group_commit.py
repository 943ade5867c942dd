"""Group commit: what arrives while a batch runs goes together into the next one, and each item
gets its own outcome."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from spell_mcp.casting.group_commit import GroupCommit, ThreadGroupCommit


class Refused(Exception):
    pass


async def test_items_that_arrive_during_a_batch_share_the_next_one() -> None:
    batches: list[list[int]] = []
    first_running, release_first = asyncio.Event(), asyncio.Event()

    async def run(items: list[int]) -> list[int | Exception]:
        batches.append(items)
        if len(batches) == 1:
            first_running.set()
            await release_first.wait()
        return [item * 10 if item != 7 else Refused(str(item)) for item in items]

    group: GroupCommit[int, int] = GroupCommit(run)
    first = asyncio.create_task(group.submit(0))
    await first_running.wait()
    rest = [asyncio.create_task(group.submit(n)) for n in range(1, 10)]
    await asyncio.sleep(0)
    release_first.set()
    outcomes = await asyncio.gather(first, *rest, return_exceptions=True)
    assert batches == [[0], list(range(1, 10))]
    assert outcomes[:7] == [0, 10, 20, 30, 40, 50, 60]
    assert isinstance(outcomes[7], Refused)  # one item's failure is its own
    assert outcomes[8:] == [80, 90]


async def test_a_failed_batch_fails_each_of_its_items_and_the_next_batch_still_runs() -> None:
    calls = 0

    async def run(items: list[str]) -> list[str | Exception]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise Refused("the transaction failed")
        return items

    group: GroupCommit[str, str] = GroupCommit(run)
    with pytest.raises(Refused):
        await group.submit("a")
    assert await group.submit("b") == "b"


async def test_batches_are_bounded() -> None:
    sizes: list[int] = []

    async def run(items: list[int]) -> list[int | Exception]:
        sizes.append(len(items))
        await asyncio.sleep(0)
        return list(items)

    group: GroupCommit[int, int] = GroupCommit(run, most=4)
    assert await asyncio.gather(*(group.submit(n) for n in range(10))) == list(range(10))
    assert max(sizes) == 4 and sum(sizes) == 10


def test_threads_that_arrive_during_a_batch_share_the_next_one() -> None:
    batches: list[list[int]] = []
    first_running, release_first = threading.Event(), threading.Event()

    def run(items: list[int]) -> list[int | Exception]:
        batches.append(items)
        if len(batches) == 1:
            first_running.set()
            assert release_first.wait(10)
        return [item * 10 if item != 7 else Refused(str(item)) for item in items]

    group: ThreadGroupCommit[int, int] = ThreadGroupCommit(run)
    outcomes: dict[int, int | Exception] = {}

    def submit(n: int) -> None:
        try:
            outcomes[n] = group.submit(n)
        except Refused as refused:
            outcomes[n] = refused

    first = threading.Thread(target=submit, args=(0,))
    first.start()
    assert first_running.wait(10)
    rest = [threading.Thread(target=submit, args=(n,)) for n in range(1, 10)]
    for thread in rest:
        thread.start()
    while len(group._waiting) < 9:  # every other thread is waiting behind the first batch
        time.sleep(0.001)
    release_first.set()
    for thread in [first, *rest]:
        thread.join(10)
    assert batches[0] == [0] and sorted(batches[1]) == list(range(1, 10)) and len(batches) == 2
    assert isinstance(outcomes.pop(7), Refused)
    assert outcomes == {n: n * 10 for n in range(10) if n != 7}


def test_a_thread_batch_that_fails_fails_its_items_only() -> None:
    calls = 0

    def run(items: list[str]) -> list[str | Exception]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise Refused("the transaction failed")
        return list(items)

    group: ThreadGroupCommit[str, str] = ThreadGroupCommit(run)
    with pytest.raises(Refused):
        group.submit("a")
    assert group.submit("b") == "b"
