"""The cast threads: a spell runs in one of `cast_threads` worker threads, the casts beyond them wait
their turn without blocking the event loop, and a cast running there can be stopped: by its caller
(a cancelled request), by its caster (a queued cast cancelled, `stop_cast`), or for its caster (an
erased account or restricted processing, `stop_casts_of`). A stopped spell stops at its next
watchdog tick; the thread is waited for, so that the cast is recorded and its hold released."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Generic, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread

from runtime import SpellRunError
from spell_mcp.casting.context import Progress, quiet

# How often a running cast tells its caller it is still running.
HEARTBEAT_S = 1.0
T = TypeVar("T")


async def _with_heartbeat(work: Callable[[], Awaitable[T]], progress: Progress) -> T:
    """`work()`, saying every HEARTBEAT_S that it still runs."""
    started = time.monotonic()

    async def heartbeat() -> None:
        while True:
            await anyio.sleep(HEARTBEAT_S)
            await progress(f"still running after {time.monotonic() - started:.0f} s")

    outcome: list[T] = []
    failure: Exception | None = None
    async with anyio.create_task_group() as beats:
        beats.start_soon(heartbeat)
        try:
            outcome.append(await work())
        except Exception as exc:  # re-raised below, not wrapped in an exception group
            failure = exc
        finally:
            beats.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return outcome[0]


def from_worker(progress: Progress, step: str) -> None:
    """Tell `progress` a step from a worker thread (on the event loop, waiting for it)."""

    async def tell() -> None:
        await progress(step)

    anyio.from_thread.run(tell)


class _Worker(Generic[T]):
    """A cast's run in a worker thread that the caller can stop and wait for."""

    def __init__(self, cast: Callable[[threading.Event], T]) -> None:
        self._cast = cast
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._started = False
        self._done = threading.Event()

    def signal(self) -> None:
        """Ask the cast to stop, without waiting for it (it stops at its next watchdog tick)."""
        self._stop.set()

    def run(self) -> T:
        with self._lock:
            if self._stop.is_set():  # stopped while it waited for a thread: nothing happened
                raise SpellRunError("cast_cancelled", "the cast was cancelled")
            self._started = True
        try:
            return self._cast(self._stop)
        finally:
            self._done.set()

    async def stop(self) -> None:
        with self._lock:
            self._stop.set()
            started = self._started
        # Polled: an anyio.Event would cost every cast a hop back to the loop to set it.
        while started and not self._done.is_set():  # noqa: ASYNC110
            await anyio.sleep(0.005)


class CastThreads:
    def __init__(self, threads: int) -> None:
        # Bounds the casts running at once; the rest wait their turn without blocking the loop.
        self.limiter = anyio.CapacityLimiter(threads)
        # The casts running in this process, by caster: stopped when the caster erases their
        # account or restricts processing.
        self._running: defaultdict[str, set[_Worker[Any]]] = defaultdict(set)
        # The queued casts running in this process, by id: stopped when their caster cancels them.
        self._queued_running: dict[str, _Worker[Any]] = {}

    @property
    def waiting(self) -> int:
        """How many casts wait for a thread."""
        return self.limiter.statistics().tasks_waiting

    async def in_worker(
        self,
        cast: Callable[[threading.Event], T],
        progress: Progress,
        *,
        caster_id: str | None = None,
        cast_id: str | None = None,
    ) -> T:
        """`cast(stop)` in a worker thread, saying every second that it still runs. If this task
        is cancelled, `stop` is set (the spell stops at its next watchdog tick) and the thread is
        waited for, so that it has recorded the cast as failed and released its hold. A cast of
        `caster_id` can also be stopped by `stop_casts_of`; a queued cast, `cast_id`, by
        `stop_cast`."""
        worker = _Worker(cast)
        run = partial(anyio.to_thread.run_sync, worker.run, limiter=self.limiter, abandon_on_cancel=True)
        if caster_id is not None:
            self._running[caster_id].add(worker)
        if cast_id is not None:
            self._queued_running[cast_id] = worker
        try:
            # Nobody listening (REST): no heartbeat task on the hot path.
            return await (run() if progress is quiet else _with_heartbeat(run, progress))
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await worker.stop()
            raise
        finally:
            if caster_id is not None:
                running = self._running[caster_id]
                running.discard(worker)
                if not running:
                    del self._running[caster_id]
            if cast_id is not None:
                self._queued_running.pop(cast_id, None)

    def stop_cast(self, cast_id: str) -> bool:
        """Stop a queued cast if it runs in this process (it was cancelled); whether it did."""
        worker = self._queued_running.get(cast_id)
        if worker is not None:
            worker.signal()
        return worker is not None

    def stop_casts_of(self, caster_id: str) -> int:
        """Stop the caster's casts running in this process (each fails, and is not charged);
        how many there were."""
        running = list(self._running.get(caster_id, ()))
        for worker in running:
            worker.signal()
        return len(running)
