"""Group commit: work that arrives while a transaction runs waits for the next one, which takes it
all at once.

Every settlement extends the ledger's hash chain under the chain head's row lock, so settlements
are serialised across every process. Taking them a batch per transaction pays the lock, the
round trips and the commit once per batch rather than once per cast: under load, batches grow
by themselves; alone, a cast waits for nobody.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")
# Runs one batch in one transaction: an outcome per item, in order (an exception for an item that
# failed alone); raising fails every item of the batch.
Batch = Callable[[list[Item]], Awaitable[Sequence[Outcome | Exception]]]
ThreadBatch = Callable[[list[Item]], Sequence[Outcome | Exception]]


class GroupCommit(Generic[Item, Outcome]):
    def __init__(self, run: Batch[Item, Outcome], *, most: int = 64) -> None:
        self._run = run
        self._most = most
        self._waiting: list[tuple[Item, asyncio.Future[Outcome]]] = []
        self._leader: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Outcome:
        """`item`'s outcome once the batch it joined has committed (or its exception)."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._leader is None:
            self._leader = asyncio.get_running_loop().create_task(self._lead())
        # A caller that stops waiting does not stop the batch: its item commits all the same.
        return await asyncio.shield(future)

    async def _lead(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
                try:
                    outcomes = await self._run([item for item, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        future.set_exception(exc)
                    continue
                except BaseException:  # the loop is shutting down: nobody may wait forever
                    for _, future in batch + self._waiting:
                        future.set_exception(RuntimeError("the server stopped before the cast settled"))
                    self._waiting = []
                    raise
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._leader = None


@dataclass
class _Slot:
    item: Any
    done: bool = False
    outcome: Any = None
    error: BaseException | None = None


class ThreadGroupCommit(Generic[Item, Outcome]):
    """The same for callers in worker threads (SQLite runs its transactions in the caller's
    thread): the first caller to find no batch running runs one with everything waiting, the
    others wait for it. Alone, a caller runs its own item at once, at the cost of a lock."""

    def __init__(self, run: ThreadBatch[Item, Outcome], *, most: int = 64) -> None:
        self._run = run
        self._most = most
        self._waiting: list[_Slot] = []
        self._running = False
        self._changed = threading.Condition()

    def submit(self, item: Item) -> Outcome:
        mine = _Slot(item)
        with self._changed:
            self._waiting.append(mine)
            while True:
                while not mine.done and self._running:
                    self._changed.wait()
                if mine.done:
                    break
                # Nobody runs a batch: this caller runs the next one, its own item among them
                # unless more than `most` wait before it.
                self._running = True
                batch, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
                self._changed.release()
                try:
                    self._settle(batch)
                finally:
                    self._changed.acquire()
                    self._running = False
                    self._changed.notify_all()
        if mine.error is not None:
            raise mine.error
        outcome: Outcome = mine.outcome
        return outcome

    def _settle(self, batch: list[_Slot]) -> None:
        try:
            outcomes: Sequence[Any] = self._run([slot.item for slot in batch])
        except BaseException as exc:
            outcomes = [exc] * len(batch)
        for slot, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                slot.error = outcome
            else:
                slot.outcome = outcome
            slot.done = True
