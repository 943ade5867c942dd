"""Group commit: work that arrives while a transaction runs waits for the next one, which takes it
all at once.

Every settlement extends the ledger's hash chain under the chain head's row lock, so settlements
are serialised across every process. Taking them a batch per transaction pays the lock, the
round trips and the commit once per batch rather than once per cast: under load, batches grow
by themselves; alone, a cast waits for nobody.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")
# Runs one batch in one transaction: an outcome per item, in order (an exception for an item that
# failed alone); raising fails every item of the batch.
Batch = Callable[[list[Item]], Awaitable[Sequence[Outcome | Exception]]]


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
