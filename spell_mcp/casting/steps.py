"""Where a cast's steps run: its transactions (plain driver SQL, spell_mcp/casting/transactions.py),
its spell, its settlement, and how it tells its caller a step.

On SQLite every step runs right in the cast's worker thread (`InWorker`): nothing awaits anything,
so the cast's coroutine is driven to its end there (spell_mcp/database/driver.py) and a cast costs
one thread hop. On PostgreSQL the transactions run on the event loop (asyncpg) and only the spell
in a worker thread (`OnLoop`). Either way settlements that arrive together commit together
(spell_mcp/casting/group_commit.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, Protocol, TypeVar

import anyio

from billing import HoldNotPending
from billing.cast_money import Tx
from billing.receipts import ReceiptSigner
from runtime import SpellRunError
from spell_mcp.casting import transactions
from spell_mcp.casting.context import CastContext, Progress, quiet
from spell_mcp.casting.group_commit import GroupCommit, ThreadGroupCommit
from spell_mcp.casting.running import Ran
from spell_mcp.casting.threads import CastThreads, from_worker
from spell_mcp.casting.transactions import Success
from spell_mcp.database.driver import run_to_end
from spell_mcp.database.engine import Database, TxWork

T = TypeVar("T")


class Steps(Protocol):
    """Where one cast's steps run (`InWorker`, `OnLoop`)."""

    async def transaction(self, work: TxWork[T]) -> T: ...

    async def run(self, spell: Callable[[threading.Event | None], Ran]) -> Ran: ...

    async def settle(self, success: Success) -> dict[str, Any]: ...

    async def tell(self, step: str) -> None: ...


class Stepper:
    """Runs casts' steps where this server's database wants them, and commits their settlements
    in groups."""

    def __init__(
        self, db: Database, threads: CastThreads, receipts: ReceiptSigner, maker_share_bps: int
    ) -> None:
        self.db = db
        self.threads = threads
        self.receipts = receipts
        self.maker_share_bps = maker_share_bps
        # On the event loop (PostgreSQL), and among the cast threads (SQLite).
        self.settlements: GroupCommit[Success, dict[str, Any]] = GroupCommit(self._finish_group)
        self.settlements_here: ThreadGroupCommit[Success, dict[str, Any]] = ThreadGroupCommit(
            self._finish_here
        )

    async def run(
        self, cast: CastContext, work: Callable[[Steps], Coroutine[Any, Any, T]], *, queued: bool = False
    ) -> T:
        """`work(steps)` for `cast`, in a cast thread that its caller's cancellation, its caster's
        erasure or (`queued`) its cancellation stops."""
        queued_id = cast.cast_id if queued else None
        if self.db.backend == "sqlite":
            # The whole cast in one worker thread, its transactions right there: one hop.
            told = None if cast.progress is quiet else partial(from_worker, cast.progress)
            return await self.threads.in_worker(
                lambda stop: run_to_end(work(InWorker(self, stop, told))),
                cast.progress,
                caster_id=cast.caster_id,
                cast_id=queued_id,
            )
        # Transactions on the event loop (asyncpg), only the spell in a worker thread.
        return await work(OnLoop(self, cast.progress, cast.caster_id, cast_id=queued_id))

    async def _finish(self, successes: list[Success], tx: Tx) -> list[dict[str, Any] | HoldNotPending]:
        return await transactions.finish(tx, successes, self.receipts, self.maker_share_bps)

    def _finish_here(self, successes: list[Success]) -> list[dict[str, Any] | HoldNotPending]:
        return self.db.transaction_here(partial(self._finish, successes))

    async def _finish_group(self, successes: list[Success]) -> list[dict[str, Any] | HoldNotPending]:
        return await self.db.transaction(partial(self._finish, successes))


class InWorker:
    """SQLite: every step right here, in the cast's worker thread."""

    def __init__(self, stepper: Stepper, stop: threading.Event, told: Callable[[str], None] | None) -> None:
        self.stepper = stepper
        self.stop = stop
        self.told = told

    async def transaction(self, work: TxWork[T]) -> T:
        return self.stepper.db.transaction_here(work)

    async def run(self, spell: Callable[[threading.Event | None], Ran]) -> Ran:
        ran = spell(self.stop)
        if self.stop.is_set():
            raise SpellRunError("cast_cancelled", "the cast was cancelled", ran[0].usage)
        return ran

    async def settle(self, success: Success) -> dict[str, Any]:
        return self.stepper.settlements_here.submit(success)

    async def tell(self, step: str) -> None:
        if self.told is not None:  # someone listens: tell them (a hop back to the event loop)
            self.told(step)


class OnLoop:
    """PostgreSQL (and the hold of a queued cast): the transactions on the event loop, the spell in
    a worker thread. A cancelled caller stops the spell; the transactions that record it finish
    all the same."""

    def __init__(
        self, stepper: Stepper, progress: Progress, caster_id: str, *, cast_id: str | None = None
    ) -> None:
        self.stepper = stepper
        self.progress = progress
        self.caster_id = caster_id
        # A queued cast's id, by which it can be stopped (CastThreads.stop_cast).
        self.cast_id = cast_id

    async def transaction(self, work: TxWork[T]) -> T:
        with anyio.CancelScope(shield=True):
            done = await self.stepper.db.transaction(work)
        return done

    async def run(self, spell: Callable[[threading.Event | None], Ran]) -> Ran:
        def stoppable(stop: threading.Event) -> Ran:
            ran = spell(stop)
            if stop.is_set():
                raise SpellRunError("cast_cancelled", "the cast was cancelled", ran[0].usage)
            return ran

        return await self.stepper.threads.in_worker(
            stoppable, self.progress, caster_id=self.caster_id, cast_id=self.cast_id
        )

    async def settle(self, success: Success) -> dict[str, Any]:
        with anyio.CancelScope(shield=True):
            receipt = await self.stepper.settlements.submit(success)
        return receipt

    async def tell(self, step: str) -> None:
        await self.progress(step)
