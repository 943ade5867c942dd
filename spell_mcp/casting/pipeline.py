"""The one cast pipeline that MCP tools and REST routes both adapt to.

authenticate (by the caller) → look up the spell (from memory: spell_mcp/casting/lookups.py) → validate
the input → then, in one worker thread: reserve the price (a hold, checking the key and the spell
again) → run in the sandbox → settle the hold and record the cast in one transaction, or void it:
a failed cast is never charged. The transactions are plain SQL on the driver
(spell_mcp/casting/transactions.py). On SQLite they run in that thread: a cast costs one thread
hop. On PostgreSQL settlements are grouped: those that arrive together commit together.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from sqlalchemy.exc import IntegrityError

from billing import (
    AccountInDebt,
    AccountKind,
    BudgetExceeded,
    HoldNotPending,
    InsufficientCredits,
    cast_money,
    usd,
)
from billing.budgets import WindowHold, windows_of
from billing.cast_money import Tx
from billing.fast_holds import FastHolds
from billing.ledger import account_id
from billing.payments import Payments
from billing.receipts import ReceiptSigner
from registry import BlobStore, InputValidators, SpellVersion, TreeCache, find_version
from registry.grants import deterministic
from registry.schemas import broken_promise
from runtime import Limits, Mount, Policy, ResourceUsage, RunResult, Sandbox, SpellRunError
from spell_mcp import strict_json
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.secrets import SecretBox
from spell_mcp.casting import records, transactions
from spell_mcp.casting.group_commit import GroupCommit, ThreadGroupCommit
from spell_mcp.casting.held import HeldCast
from spell_mcp.casting.limits import RequestLimits
from spell_mcp.casting.lookups import Lookups
from spell_mcp.casting.refusals import money_refusal
from spell_mcp.casting.transactions import Begun, NeedsConfirmation, Refused, Success
from spell_mcp.catalog import pinning
from spell_mcp.database.driver import run_to_end
from spell_mcp.database.engine import Database, TxWork
from spell_mcp.errors import MONEY_REFUSALS, SpellError
from spell_mcp.observability import traces
from spell_mcp.observability.cast_trace import CastTrace
from spell_mcp.settings import MIB, Settings

# A queued cast of the caster's that has not finished, and its hold.
_CANCELLABLE = "SELECT hold_id FROM casts WHERE id = ? AND caster_id = ? AND status = 'running' AND queued"
# How often a running cast tells its caller it is still running.
HEARTBEAT_S = 1.0
T = TypeVar("T")
# Hears a cast's steps, in words (MCP progress and log notifications).
Progress = Callable[[str], Awaitable[None]]
# Asks the person to confirm a cast above their threshold (spell, threshold); raises to refuse.
Confirm = Callable[[SpellVersion, int], Awaitable[None]]


async def _quiet(_step: str) -> None:
    return None


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


def _from_worker(progress: Progress, step: str) -> None:
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


@dataclass(frozen=True, slots=True)
class CastResult:
    cast_id: str
    # The exact version that ran, for its provenance (spell_mcp/catalog/provenance.py).
    spell: SpellVersion
    output: Any
    charged_micros: int
    usage: ResourceUsage
    artifacts: list[dict[str, Any]]
    receipt: dict[str, Any]

    @property
    def spell_key(self) -> str:
        return self.spell.spell_key

    @property
    def spell_version(self) -> str:
        return self.spell.version

    @property
    def module_digest(self) -> str:
        return self.spell.module_digest

    @property
    def price_micros(self) -> int:
        return self.spell.price_micros

    @property
    def is_content(self) -> bool:
        """`output` is a content document (registry/content.py)."""
        return is_content(self.spell)


def is_content(spell: SpellVersion) -> bool:
    """The spell writes a content document (registry/content.py) rather than a bare value."""
    return bool(spell.manifest.get("io", {}).get("output_format") == "content")


def limits_of(version: SpellVersion, settings: Settings) -> Limits:
    runtime = version.manifest["runtime"]
    ceiling = settings.operator_ceiling
    return Limits(
        timeout_ms=runtime["timeout_ms"],
        max_memory_bytes=runtime["max_memory_mb"] * MIB,
        max_output_bytes=runtime["max_output_mb"] * MIB,
        max_input_bytes=settings.max_input_bytes,
        fuel=settings.fuel_per_cast,
        max_artifact_bytes=ceiling.max_artifact_bytes,
        max_artifacts=ceiling.max_artifacts,
    ).clamp(ceiling)


def input_json_of(arguments: Any) -> bytes:
    """A cast's input as the spell reads it, and as its receipt's `input_sha256` hashes it."""
    if not isinstance(arguments, dict):
        raise SpellError("input_invalid", "the input must be a JSON object")
    try:
        strict_json.check(arguments)
    except strict_json.NotStrictJSON as exc:
        raise SpellError("input_invalid", f"the input is not acceptable JSON: {exc}") from None
    return json.dumps(arguments, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def policy_of(
    version: SpellVersion, trees: TreeCache, env: tuple[tuple[str, str], ...], cast_id: str
) -> Policy:
    """What this version may touch: its package directories, scratch, secrets, domains; and,
    for a deterministic spell, the seed of its clocks and random source: the cast id, so a
    replay of the cast sees the same world."""
    granted = version.manifest["runtime"]["policy"]
    return Policy(
        read_only=tuple(
            Mount(str(trees.path(digest)), guest) for guest, digest in sorted(version.resources.items())
        ),
        scratch=bool(granted["fs_write"]),
        env=env,
        net_allow=tuple(granted["net_allow"]),
        seed=cast_id.encode() if deterministic(version) else None,
    )


class CastService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        sandbox: Sandbox,
        blobs: BlobStore,
        trees: TreeCache,
        secrets: SecretBox,
        receipts: ReceiptSigner,
        limits: RequestLimits,
        lookups: Lookups,
        fast_holds: FastHolds | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.sandbox = sandbox
        self.blobs = blobs
        self.trees = trees
        self.secrets = secrets
        self.receipts = receipts
        self.limits = limits
        self.lookups = lookups
        # With Redis: holds are decided there first, across processes (billing/fast_holds.py).
        self.fast_holds = fast_holds
        self.validators = InputValidators()
        # Bounds the casts running at once; the rest wait their turn without blocking the loop.
        self.workers = anyio.CapacityLimiter(settings.cast_threads)
        # The casts running in this process, by caster: stopped when the caster erases their
        # account or restricts processing.
        self._running: defaultdict[str, set[_Worker[Any]]] = defaultdict(set)
        # The queued casts running in this process, by id: stopped when their caster cancels them.
        self._queued_running: dict[str, _Worker[Any]] = {}
        # Settlements that arrive together commit together: on the event loop (PostgreSQL), and
        # among the cast threads (SQLite).
        self.settlements: GroupCommit[Success, dict[str, Any]] = GroupCommit(self._finish_group)
        self.settlements_here: ThreadGroupCommit[Success, dict[str, Any]] = ThreadGroupCommit(
            self._finish_here
        )

    async def cast(
        self,
        caster: Caster,
        key: str,
        arguments: Any,
        *,
        version: str | None = None,
        via: str,
        on_progress: Progress | None = None,
        confirm: Confirm | None = None,
    ) -> CastResult:
        """Cast, once admitted: under the queue bound and the key's in-flight cap.

        `on_progress` hears each step (found, held, still running every second, settled) in
        words a person can read. `confirm`, when given, is awaited before anything is held if the
        price is above the caster's confirmation threshold; it raises to refuse. Cancelling the
        calling task stops the spell at its next watchdog tick and voids the hold: the caster
        pays nothing.
        """
        trace = CastTrace(via)
        with traces.span("cast", attributes={"spell.transport": via}) as span:
            try:
                async with self.limits.casting(caster, queued=self.workers.statistics().tasks_waiting):
                    result = await self._cast(
                        caster,
                        key,
                        arguments,
                        version=version,
                        via=via,
                        progress=on_progress or _quiet,
                        confirm=confirm,
                        trace=trace,
                    )
            except SpellError as error:
                trace.ended(error.code, span=span)
                raise
            except BaseException as exc:
                cancelled = isinstance(exc, asyncio.CancelledError)
                trace.ended("cast_cancelled" if cancelled else "internal_error", span=span)
                raise
            trace.ended("succeeded", result.charged_micros, span=span)
            return result

    async def _cast(
        self,
        caster: Caster,
        key: str,
        arguments: Any,
        *,
        version: str | None,
        via: str,
        progress: Progress,
        confirm: Confirm | None,
        trace: CastTrace,
    ) -> CastResult:
        spell, maker_id, input_json, windows = await self._prepare(caster, key, arguments, version, trace)
        await progress(
            f"casting {spell.spell_key} {spell.version} (${usd(spell.price_micros)} if it succeeds)"
        )
        cast = partial(self._hold_and_run, caster, spell, maker_id, input_json, via, windows, progress, trace)
        try:
            return await cast(confirming=confirm is not None)
        except NeedsConfirmation as needed:
            assert confirm is not None
            await confirm(spell, needed.threshold)
        return await cast(confirming=False)

    async def _prepare(
        self, caster: Caster, key: str, arguments: Any, version: str | None, trace: CastTrace
    ) -> tuple[SpellVersion, str, bytes, list[WindowHold]]:
        """The checks before any money moves: the input is a strict JSON object within the size
        limit and the spell's schema, the spell is castable, and (with Redis) the budget windows
        the price counts against. The spell, its maker, the input as bytes and those windows."""
        input_json = input_json_of(arguments)
        if len(input_json) > self.settings.max_input_bytes:
            raise SpellError(
                "input_too_large",
                f"the input is {len(input_json)} bytes; the limit is {self.settings.max_input_bytes}",
            )
        spell, maker_id = await self._served(caster, key, version)
        trace.spell_key, trace.version, trace.price_micros = (
            spell.spell_key,
            spell.version,
            spell.price_micros,
        )
        problems = self.validators.problems(spell.id, spell.input_schema, arguments)
        if problems:
            raise SpellError(
                "input_invalid", "the input does not match the spell's schema", problems=problems
            )
        windows: list[WindowHold] = []
        if self.fast_holds is not None and spell.price_micros > 0:
            windows = await self._windows(caster, spell.price_micros)
        return spell, maker_id, input_json, windows

    async def hold(
        self, caster: Caster, key: str, arguments: Any, *, version: str | None, via: str
    ) -> HeldCast:
        """Hold a cast's price and record it as running, for `resume` to run later (a worker:
        spell_mcp/queueing/). Refused as `cast` refuses before it runs, and with `rate_limited`
        when the caster already has `max_queued_per_caster` queued casts running."""
        trace = CastTrace(via)
        spell, _maker, input_json, windows = await self._prepare(caster, key, arguments, version, trace)
        cast_id = f"cast_{uuid.uuid4().hex}"
        input_sha256 = hashlib.sha256(input_json).hexdigest()
        fast_held = await self._admit(caster, spell, cast_id, windows)
        try:
            begun = await self._begin(
                _OnLoop(self, _quiet, caster.user_id),
                caster,
                spell,
                cast_id,
                input_sha256,
                via,
                confirming=False,
                queued=True,
            )
        except BaseException as exc:
            await self._refused(exc, caster, cast_id, fast_held=fast_held, windows=windows)
            raise
        return HeldCast(
            cast_id=cast_id,
            caster_id=caster.user_id,
            spell_key=spell.spell_key,
            spell_version=spell.version,
            module_digest=spell.module_digest,
            input=input_json.decode(),
            input_sha256=input_sha256,
            hold_id=begun.hold_id,
            via=via,
            fast_held=fast_held,
        )

    async def resume(self, held: HeldCast) -> str:
        """Run a held cast and settle it, or record it as failed: "succeeded", "failed", or "gone"
        when it is no longer running (finished already: a message delivered again; or its hold
        expired and was voided). Never charges twice: only a pending hold settles, and only a
        running cast is recorded."""
        trace = CastTrace(held.via)
        trace.cast_id = held.cast_id
        with traces.span("cast", attributes={"spell.transport": held.via, "spell.queued": True}) as span:
            outcome = "failed"
            try:
                outcome = await self._resume(held, trace)
            except SpellError as error:
                trace.ended(error.code, span=span)
            except BaseException as exc:
                cancelled = isinstance(exc, asyncio.CancelledError)
                trace.ended("cast_cancelled" if cancelled else "internal_error", span=span)
                raise
            else:
                if outcome == "succeeded":
                    trace.ended(outcome, trace.price_micros, span=span)
            finally:
                if held.fast_held and self.fast_holds is not None:
                    with anyio.CancelScope(shield=True):
                        if outcome == "succeeded":
                            await self.fast_holds.settle(held.cast_id)
                        else:
                            await self.fast_holds.release(held.cast_id)
            return outcome

    async def _resume(self, held: HeldCast, trace: CastTrace) -> str:
        if not await self.db.read(partial(records.still_running, held.cast_id)):
            return "gone"
        try:
            spell, maker_id = await self._find(held.spell_key, held.spell_version)
        except SpellError as error:
            if error.code != "spell_not_found":
                raise
            spell = None
        if spell is None or spell.module_digest != held.module_digest:
            detail = f"{held.spell_key} {held.spell_version} can no longer be cast; nothing was charged"
            await self._fail_held(held, "spell_not_found", detail)
            raise SpellError("spell_not_found", detail, cast_id=held.cast_id)
        trace.spell_key, trace.version, trace.price_micros = (
            spell.spell_key,
            spell.version,
            spell.price_micros,
        )
        env = await self.db.transaction(partial(transactions.granted_env, box=self.secrets, spell=spell))
        run_settle = partial(
            self._run_settle,
            held.caster_id,
            spell,
            maker_id,
            held.cast_id,
            held.input.encode(),
            held.input_sha256,
            Begun(held.hold_id, env, queued=True),
            trace,
        )
        if self.db.backend == "sqlite":
            await self.in_worker(
                lambda stop: run_to_end(run_settle(_InWorker(self, stop, None))),
                _quiet,
                caster_id=held.caster_id,
                cast_id=held.cast_id,
            )
        else:
            await run_settle(_OnLoop(self, _quiet, held.caster_id, cast_id=held.cast_id))
        return "succeeded"

    async def _fail_held(self, held: HeldCast, code: str, detail: str) -> None:
        fail = partial(
            transactions.fail,
            cast_id=held.cast_id,
            hold_id=held.hold_id,
            code=code,
            detail=detail,
            usage=None,
        )
        await self.db.transaction(fail)

    async def abandon(self, held: HeldCast, detail: str) -> None:
        """A held cast that will not run (it could not be queued, or its queue stopped): release
        its hold and record it as failed, unless it finished already."""
        with anyio.CancelScope(shield=True):
            await self._fail_held(held, "cast_interrupted", detail)
            if held.fast_held and self.fast_holds is not None:
                await self.fast_holds.release(held.cast_id)

    async def cancel(self, caster_id: str, cast_id: str) -> bool:
        """Cancel the caster's queued cast if it is still running: its hold is released and it is
        recorded as cancelled, never charged. A worker running it meanwhile finds the hold gone
        when it settles, and charges nothing. Whether it was cancelled (not: it had finished)."""

        async def work(tx: Tx) -> bool:
            row = await tx.fetchrow(_CANCELLABLE, cast_id, caster_id)
            if row is None:
                return False
            detail = "the caller cancelled the cast; nothing was charged"
            await transactions.fail(tx, cast_id, row[0], "cast_cancelled", detail, None)
            return True

        with anyio.CancelScope(shield=True):
            cancelled = await self.db.transaction(work)
            if cancelled and self.fast_holds is not None:
                await self.fast_holds.release(cast_id)
        if cancelled:
            self.stop_cast(cast_id)  # if it runs here; elsewhere, Announcer.cast_cancelled
        return cancelled

    async def credits_changed(self, caster_id: str) -> None:
        """Money came in (a top-up, a grant, a refund of a cast): what Redis remembers of the
        caster's credits is stale, and would refuse casts the credits now cover."""
        if self.fast_holds is not None:
            await self.fast_holds.forget(account_id(AccountKind.CASTER_CREDITS, caster_id), [])

    async def _find(self, key: str, version: str | None) -> tuple[SpellVersion, str]:
        """The castable version (the given one or the latest) and its maker, from memory when it
        was looked up a moment ago: `_begin` checks again that it is still castable."""
        found = self.lookups.spell(key, version)
        if found is None:
            found = await self.db.read(lambda session: find_version(session, key, version))
            if found is None:
                which = f"{key} {version}" if version else key
                raise SpellError(
                    "spell_not_found", f"no castable spell {which}; list spells to see what exists"
                )
            self.lookups.remember_spell(key, version, found)
        return found

    async def _served(self, caster: Caster, key: str, version: str | None) -> tuple[SpellVersion, str]:
        """The version `caster` is served (spell_mcp/catalog/pinning.py): the one asked for or
        the latest, unless it widens what they accepted; then, without a version asked for, the
        version they know, and with one, `consent_required`."""
        spell, maker_id = await self._find(key, version)
        accepted = await self._accepted(caster.user_id, key)
        more = pinning.widened(accepted, spell)
        if not more:
            if accepted is None or accepted.version != spell.version:
                # IntegrityError: another cast of theirs recorded their first use at this moment.
                with contextlib.suppress(IntegrityError):
                    await self.db.write(partial(pinning.record_use, caster.user_id, spell))
                self.lookups.forget_accepted(caster.user_id, key)
            return spell, maker_id
        if version is None and accepted is not None:
            try:
                return await self._find(key, accepted.version)
            except SpellError as error:
                if error.code != "spell_not_found":
                    raise
        listed = "; ".join(more)
        raise SpellError(
            "consent_required",
            f"{key} {spell.version} asks for more than you accepted: it {listed}. Accept it with "
            f"POST /v1/spells/{key}/accept (or `spell spells accept {key}`) to cast it",
            widened=more,
            version=spell.version,
        )

    async def _accepted(self, caster_id: str, key: str) -> pinning.Accepted | None:
        remembered = self.lookups.accepted(caster_id, key)
        if remembered is not None:
            return remembered[0]
        accepted = await self.db.read(partial(pinning.accepted_of, caster_id, key))
        self.lookups.remember_accepted(caster_id, key, accepted)
        return accepted

    async def _windows(self, caster: Caster, price: int) -> list[WindowHold]:
        """The budget windows a price counts against, for Redis to decide holds first; the caps
        from memory when they were read a moment ago (the database reads them again)."""
        subjects = caster.budget_subjects
        caps = self.lookups.caps(subjects)
        if caps is None:
            caps = await self.db.transaction(partial(cast_money.budget_caps, subjects=subjects))
            self.lookups.remember_caps(subjects, caps)
        try:
            return windows_of(caps, price, datetime.now(UTC))
        except BudgetExceeded as exc:
            raise money_refusal(exc, price, can_buy=self.settings.payments_enabled) from None

    async def _hold_and_run(
        self,
        caster: Caster,
        spell: SpellVersion,
        maker_id: str,
        input_json: bytes,
        via: str,
        windows: list[WindowHold],
        progress: Progress,
        trace: CastTrace,
        *,
        confirming: bool,
    ) -> CastResult:
        cast_id = trace.cast_id = f"cast_{uuid.uuid4().hex}"
        input_sha256 = hashlib.sha256(input_json).hexdigest()
        steps = partial(
            self._hold_run_settle,
            caster,
            spell,
            maker_id,
            cast_id,
            input_json,
            input_sha256,
            via,
            confirming,
            trace,
        )
        admitted = await self._admit(caster, spell, cast_id, windows)
        try:
            if self.db.backend == "sqlite":
                # The whole cast in one worker thread, its transactions right there: one hop.
                held = None if progress is _quiet else partial(_from_worker, progress)
                run, artifacts, receipt = await self.in_worker(
                    lambda stop: run_to_end(steps(_InWorker(self, stop, held))),
                    progress,
                    caster_id=caster.user_id,
                )
            else:
                # Transactions on the event loop (asyncpg), only the spell in a worker thread.
                run, artifacts, receipt = await steps(_OnLoop(self, progress, caster.user_id))
        except BaseException as exc:
            await self._refused(exc, caster, cast_id, fast_held=admitted, windows=windows)
            raise
        if admitted and self.fast_holds is not None:
            await self.fast_holds.settle(cast_id)
        await progress(
            f"{cast_id}: succeeded in {run.usage.duration_ms:.0f} ms, charged ${usd(spell.price_micros)}"
        )
        return CastResult(
            cast_id=cast_id,
            spell=spell,
            output=run.output,
            charged_micros=spell.price_micros,
            usage=run.usage,
            artifacts=artifacts,
            receipt=receipt,
        )

    async def _refused(
        self,
        exc: BaseException,
        caster: Caster,
        cast_id: str,
        *,
        fast_held: bool,
        windows: list[WindowHold],
    ) -> None:
        """A cast ended in `exc`: give back what Redis held, and forget what memory said of the
        spell or the key when the database disagreed."""
        if fast_held and self.fast_holds is not None:
            with anyio.CancelScope(shield=True):
                await self.fast_holds.release(cast_id)
                if isinstance(exc, SpellError) and exc.code in MONEY_REFUSALS:
                    # Redis admitted what the database refused: its state is stale.
                    await self.fast_holds.forget(caster.credits_account, windows)
        if isinstance(exc, SpellError) and exc.code == "spell_not_found":
            self.lookups.forget_spells()  # remembered as castable, no longer is
        if isinstance(exc, SpellError) and exc.code == "unauthenticated" and caster.key_id:
            self.lookups.forget_key(caster.key_id)

    async def _admit(
        self, caster: Caster, spell: SpellVersion, cast_id: str, windows: list[WindowHold]
    ) -> bool:
        """With Redis: hold the price there first, across processes; the database, which holds it
        next, has the last word. Whether Redis holds it."""
        if self.fast_holds is None or spell.price_micros <= 0:
            return False
        try:
            return await self.fast_holds.admit(cast_id, caster.credits_account, spell.price_micros, windows)
        except (InsufficientCredits, BudgetExceeded) as exc:
            refusal: InsufficientCredits | BudgetExceeded = exc
            if isinstance(exc, InsufficientCredits) and exc.available <= 0:
                # Redis knows credits, not debt: a caster with nothing may owe money (one read,
                # only for a refusal of a caster who has nothing left).
                debt = await self.db.read(lambda session: Payments(session).money(caster.user_id).debt)
                if debt:
                    refusal = AccountInDebt(spell.price_micros, debt)
            raise money_refusal(refusal, spell.price_micros, can_buy=self.settings.payments_enabled) from None

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
        run = partial(anyio.to_thread.run_sync, worker.run, limiter=self.workers, abandon_on_cancel=True)
        if caster_id is not None:
            self._running[caster_id].add(worker)
        if cast_id is not None:
            self._queued_running[cast_id] = worker
        try:
            # Nobody listening (REST): no heartbeat task on the hot path.
            return await (run() if progress is _quiet else _with_heartbeat(run, progress))
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

    async def _hold_run_settle(
        self,
        caster: Caster,
        spell: SpellVersion,
        maker_id: str,
        cast_id: str,
        input_json: bytes,
        input_sha256: str,
        via: str,
        confirming: bool,
        trace: CastTrace,
        steps: _Steps,
    ) -> tuple[RunResult, list[dict[str, Any]], dict[str, Any]]:
        """The cast's three steps: hold the price and record the cast as running; run the spell;
        settle and record the result, or release the hold and record the failure. `steps` says
        where each runs (_InWorker on SQLite, _OnLoop on PostgreSQL)."""
        began = time.perf_counter()
        begun = await self._begin(steps, caster, spell, cast_id, input_sha256, via, confirming)
        trace.money_s += time.perf_counter() - began
        await steps.tell(f"{cast_id}: price held, running" if begun.hold_id else f"{cast_id}: running")
        return await self._run_settle(
            caster.user_id, spell, maker_id, cast_id, input_json, input_sha256, begun, trace, steps
        )

    async def _run_settle(
        self,
        caster_id: str,
        spell: SpellVersion,
        maker_id: str,
        cast_id: str,
        input_json: bytes,
        input_sha256: str,
        begun: Begun,
        trace: CastTrace,
        steps: _Steps,
    ) -> tuple[RunResult, list[dict[str, Any]], dict[str, Any]]:
        """A held cast's last two steps: run the spell; settle and record the result, or release
        the hold and record the failure."""
        try:
            run, artifacts = await steps.run(partial(self._run, spell, input_json, begun.env, cast_id))
        except SpellRunError as failure:
            trace.usage = failure.usage
            detail = failure.detail
            if failure.code == "cast_cancelled":
                detail = "the caller cancelled the cast; nothing was charged"
            ran = (spell, failure.stderr)
            await self._fail(steps, cast_id, begun.hold_id, failure.code, detail, failure.usage, ran=ran)
            raise SpellError(failure.code, detail, cast_id=cast_id) from None
        except BaseException as exc:
            # Cancelled, or broken: the caster must not pay for a cast that did not finish.
            if isinstance(exc, asyncio.CancelledError):
                code, detail = "cast_cancelled", "the caller cancelled the cast; nothing was charged"
            else:
                code, detail = "internal_error", "the cast was interrupted"
            await self._fail(steps, cast_id, begun.hold_id, code, detail, None)
            raise
        trace.usage = run.usage
        success = Success(
            caster_id,
            cast_id,
            begun.hold_id,
            spell,
            maker_id,
            input_sha256,
            run,
            artifacts,
            queued=begun.queued,
        )
        settling = time.perf_counter()
        try:
            receipt = await steps.settle(success)
        except HoldNotPending:
            # The hold expired and was released before the cast could settle: it stays free.
            detail = "the cast finished after its hold expired; nothing was charged"
            raise SpellError("cast_interrupted", detail, cast_id=cast_id) from None
        except BaseException:
            detail = "the cast could not be settled"
            await self._fail(steps, cast_id, begun.hold_id, "internal_error", detail, run.usage)
            raise
        trace.money_s += time.perf_counter() - settling
        return run, artifacts, receipt

    def _run(
        self,
        spell: SpellVersion,
        input_json: bytes,
        env: tuple[tuple[str, str], ...],
        cast_id: str,
        stop: threading.Event | None = None,
    ) -> tuple[RunResult, list[dict[str, Any]]]:
        """In a worker thread: run the spell, check its output, keep its artifacts."""
        run = self.sandbox.run(
            spell.module_digest,
            input_json,
            limits_of(spell, self.settings),
            policy_of(spell, self.trees, env, cast_id),
            stop=stop,
        )
        self._check_output(spell, run.output, run.usage)
        artifacts = [
            {"name": artifact.name, "size": len(artifact.data), "sha256": self.blobs.put(artifact.data)}
            for artifact in run.artifacts
        ]
        return run, artifacts

    def _check_output(self, spell: SpellVersion, output: Any, usage: ResourceUsage) -> None:
        """The output keeps the spell's promises (registry/schemas.py: broken_promise)."""
        broken = broken_promise(
            self.validators, spell.id, output, content=is_content(spell), output_schema=spell.output_schema
        )
        if broken is not None:
            raise SpellRunError("spell_output_invalid", broken, usage)

    async def _begin(
        self,
        steps: _Steps,
        caster: Caster,
        spell: SpellVersion,
        cast_id: str,
        input_sha256: str,
        via: str,
        confirming: bool,
        *,
        queued: bool = False,
    ) -> Begun:
        """Hold the price and record the cast as running (transactions.begin), with its refusals
        in the catalog's words."""
        begin = partial(
            transactions.begin,
            caster=caster,
            spell=spell,
            cast_id=cast_id,
            input_sha256=input_sha256,
            via=via,
            confirm_above=self.settings.confirm_above_micros,
            confirming=confirming,
            hold_ttl=timedelta(seconds=self.settings.hold_ttl_s),
            secrets=self.secrets,
            queued_cap=self.settings.max_queued_per_caster if queued else None,
        )
        try:
            return await steps.transaction(begin)
        except Refused as refused:
            if refused.code == "queue_full":
                cap = self.settings.max_queued_per_caster
                raise SpellError(
                    "rate_limited",
                    f"you have {cap} queued casts running, the most allowed; wait for one to finish",
                    retry_after=5,
                    headers={"Retry-After": "5"},
                ) from None
            if refused.code == "unauthenticated":
                raise SpellError("unauthenticated", "the API key is unknown, revoked or replaced") from None
            raise SpellError(
                "spell_not_found",
                f"{spell.spell_key} {spell.version} can no longer be cast; list spells to see what exists",
            ) from None
        except (BudgetExceeded, InsufficientCredits) as exc:
            raise money_refusal(exc, spell.price_micros, can_buy=self.settings.payments_enabled) from None

    async def _fail(
        self,
        steps: _Steps,
        cast_id: str,
        hold_id: str | None,
        code: str,
        detail: str,
        usage: ResourceUsage | None,
        *,
        ran: tuple[SpellVersion, bytes] | None = None,
    ) -> None:
        """Release the hold and record the cast as failed; with `ran` (the spell ran, and wrote
        this to stderr), its execution log and policy violations too."""
        spell, stderr = ran if ran is not None else (None, b"")

        async def work(tx: Tx) -> None:
            await transactions.fail(tx, cast_id, hold_id, code, detail, usage, stderr=stderr)
            if spell is not None and usage is not None:
                await transactions.record_violations(tx, spell, cast_id, usage)

        await steps.transaction(work)

    def _finish_here(self, successes: list[Success]) -> list[dict[str, Any] | HoldNotPending]:
        return self.db.transaction_here(partial(self._finish, successes))

    async def _finish(self, successes: list[Success], tx: Tx) -> list[dict[str, Any] | HoldNotPending]:
        return await transactions.finish(tx, successes, self.receipts, self.settings.maker_share_bps)

    async def _finish_group(self, successes: list[Success]) -> list[dict[str, Any] | HoldNotPending]:
        return await self.db.transaction(partial(self._finish, successes))


Ran = tuple[RunResult, list[dict[str, Any]]]


class _Steps(Protocol):
    """Where a cast's steps run: its transactions, its spell, its settlement, and how it tells
    its caller a step."""

    async def transaction(self, work: TxWork[T]) -> T: ...

    async def run(self, spell: Callable[[threading.Event | None], Ran]) -> Ran: ...

    async def settle(self, success: Success) -> dict[str, Any]: ...

    async def tell(self, step: str) -> None: ...


class _InWorker:
    """SQLite: every step right here, in the cast's worker thread. Nothing awaits anything, so
    the cast's coroutine is driven to its end in that thread (spell_mcp/database/driver.py)."""

    def __init__(
        self,
        service: CastService,
        stop: threading.Event,
        told: Callable[[str], None] | None,
    ) -> None:
        self.service = service
        self.stop = stop
        self.told = told

    async def transaction(self, work: TxWork[T]) -> T:
        return self.service.db.transaction_here(work)

    async def run(self, spell: Callable[[threading.Event | None], Ran]) -> Ran:
        ran = spell(self.stop)
        if self.stop.is_set():
            raise SpellRunError("cast_cancelled", "the cast was cancelled", ran[0].usage)
        return ran

    async def settle(self, success: Success) -> dict[str, Any]:
        return self.service.settlements_here.submit(success)

    async def tell(self, step: str) -> None:
        if self.told is not None:  # someone listens: tell them (a hop back to the event loop)
            self.told(step)


class _OnLoop:
    """PostgreSQL: the transactions on the event loop (asyncpg), the spell in a worker thread.
    A cancelled caller stops the spell; the transactions that record it finish all the same."""

    def __init__(
        self, service: CastService, progress: Progress, caster_id: str, *, cast_id: str | None = None
    ) -> None:
        self.service = service
        self.progress = progress
        self.caster_id = caster_id
        # A queued cast's id, by which it can be stopped (CastService.stop_cast).
        self.cast_id = cast_id

    async def transaction(self, work: TxWork[T]) -> T:
        with anyio.CancelScope(shield=True):
            done = await self.service.db.transaction(work)
        return done

    async def run(self, spell: Callable[[threading.Event | None], Ran]) -> Ran:
        def stoppable(stop: threading.Event) -> Ran:
            ran = spell(stop)
            if stop.is_set():
                raise SpellRunError("cast_cancelled", "the cast was cancelled", ran[0].usage)
            return ran

        return await self.service.in_worker(
            stoppable, self.progress, caster_id=self.caster_id, cast_id=self.cast_id
        )

    async def settle(self, success: Success) -> dict[str, Any]:
        with anyio.CancelScope(shield=True):
            receipt = await self.service.settlements.submit(success)
        return receipt

    async def tell(self, step: str) -> None:
        await self.progress(step)
