"""The one cast pipeline that MCP tools and REST routes both adapt to (through CastService,
spell_mcp/casting/service.py).

authenticate (by the caller) → look up the version the caster is served (from memory:
spell_mcp/casting/serving.py) → validate the input → with Redis, hold the price there first
(spell_mcp/casting/admission.py) → then, where the database wants the steps
(spell_mcp/casting/steps.py): reserve the price (a hold, checking the key and the spell again) →
run in the sandbox (spell_mcp/casting/running.py) → settle the hold and record the cast in one
transaction, or void it: a failed cast is never charged. The transactions are plain SQL on the
driver (spell_mcp/casting/transactions.py). On SQLite they run in the cast's worker thread: a cast
costs one thread hop. On PostgreSQL settlements are grouped: those that arrive together commit
together. Each step is given the cast's context (spell_mcp/casting/context.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import Any

from billing import BudgetExceeded, HoldNotPending, InsufficientCredits, usd
from billing.cast_money import Tx
from registry import InputValidators, SpellVersion
from runtime import ResourceUsage, RunResult, SpellRunError
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.secrets import SecretBox
from spell_mcp.casting import transactions
from spell_mcp.casting.admission import Admission
from spell_mcp.casting.context import CastContext, Progress, new_cast_id, quiet
from spell_mcp.casting.limits import RequestLimits
from spell_mcp.casting.refusals import money_refusal
from spell_mcp.casting.running import SpellRunner, input_json_of, is_content
from spell_mcp.casting.serving import Serving
from spell_mcp.casting.steps import Stepper, Steps
from spell_mcp.casting.transactions import Begun, BudgetsChanged, NeedsConfirmation, Refused, Success
from spell_mcp.database.engine import TxWork
from spell_mcp.errors import SpellError
from spell_mcp.observability import traces
from spell_mcp.observability.cast_trace import CastTrace
from spell_mcp.settings import Settings

# Asks the person to confirm a cast above their threshold (spell, threshold); raises to refuse.
Confirm = Callable[[SpellVersion, int], Awaitable[None]]
# What a cast that ran gives: the sandbox's result, its artifacts and its signed receipt.
Settled = tuple[RunResult, list[dict[str, Any]], dict[str, Any]]
CANCELLED = "the caller cancelled the cast; nothing was charged"


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


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        secrets: SecretBox,
        limits: RequestLimits,
        validators: InputValidators,
        serving: Serving,
        admission: Admission,
        runner: SpellRunner,
        stepper: Stepper,
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.limits = limits
        self.validators = validators
        self.serving = serving
        self.admission = admission
        self.runner = runner
        self.stepper = stepper

    async def cast(
        self,
        caster: Caster,
        key: str,
        arguments: Any,
        *,
        version: str | None,
        via: str,
        progress: Progress,
        confirm: Confirm | None,
    ) -> CastResult:
        """Cast, once admitted under the queue bound and the key's in-flight cap; traced from
        end to end (spell_mcp/observability/cast_trace.py)."""
        trace = CastTrace(via)
        with traces.span("cast", attributes={"spell.transport": via}) as span:
            try:
                async with self.limits.casting(caster, queued=self.stepper.threads.waiting):
                    cast = await self.prepare(
                        caster, key, arguments, version=version, via=via, trace=trace, progress=progress
                    )
                    result = await self._confirmed(caster, cast, confirm)
            except SpellError as error:
                trace.ended(error.code, span=span)
                raise
            except BaseException as exc:
                cancelled = isinstance(exc, asyncio.CancelledError)
                trace.ended("cast_cancelled" if cancelled else "internal_error", span=span)
                raise
            trace.ended("succeeded", result.charged_micros, span=span)
            return result

    async def _confirmed(self, caster: Caster, cast: CastContext, confirm: Confirm | None) -> CastResult:
        """Hold, run and settle the cast; with `confirm`, once the person confirmed its price if it
        is above their threshold."""
        spell = cast.spell
        await cast.progress(
            f"casting {spell.spell_key} {spell.version} (${usd(spell.price_micros)} if it succeeds)"
        )
        try:
            return await self._hold_and_run(caster, cast, confirming=confirm is not None)
        except NeedsConfirmation as needed:
            assert confirm is not None
            await confirm(spell, needed.threshold)
        # Confirmed: held now, under a new cast id (the first one ended in the refusal).
        return await self._hold_and_run(caster, replace(cast, cast_id=new_cast_id()), confirming=False)

    async def prepare(
        self,
        caster: Caster,
        key: str,
        arguments: Any,
        *,
        version: str | None,
        via: str,
        trace: CastTrace,
        progress: Progress = quiet,
    ) -> CastContext:
        """The checks before any money moves: the input is a strict JSON object within the size
        limit and the spell's schema, the spell is castable and served to the caster; with Redis,
        the budget windows the price counts against. The cast's context, under a new cast id."""
        input_json = input_json_of(arguments)
        if len(input_json) > self.settings.max_input_bytes:
            raise SpellError(
                "input_too_large",
                f"the input is {len(input_json)} bytes; the limit is {self.settings.max_input_bytes}",
            )
        spell, maker_id = await self.serving.served(caster, key, version)
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
        return CastContext(
            cast_id=new_cast_id(),
            caster_id=caster.user_id,
            spell=spell,
            maker_id=maker_id,
            input_json=input_json,
            input_sha256=hashlib.sha256(input_json).hexdigest(),
            via=via,
            trace=trace,
            windows=await self.admission.windows(caster, spell.price_micros),
            progress=progress,
        )

    async def _hold_and_run(self, caster: Caster, cast: CastContext, *, confirming: bool) -> CastResult:
        cast.trace.cast_id = cast.cast_id
        admitted = await self.admission.admit(caster, cast)
        try:
            run, artifacts, receipt = await self.stepper.run(
                cast, lambda steps: self._hold_run_settle(caster, cast, steps, confirming=confirming)
            )
        except BaseException as exc:
            await self.admission.refused(exc, caster, cast, fast_held=admitted)
            raise
        if admitted:
            await self.admission.settle(cast.cast_id)
        await cast.progress(
            f"{cast.cast_id}: succeeded in {run.usage.duration_ms:.0f} ms, "
            f"charged ${usd(cast.spell.price_micros)}"
        )
        return CastResult(
            cast_id=cast.cast_id,
            spell=cast.spell,
            output=run.output,
            charged_micros=cast.spell.price_micros,
            usage=run.usage,
            artifacts=artifacts,
            receipt=receipt,
        )

    async def _hold_run_settle(
        self, caster: Caster, cast: CastContext, steps: Steps, *, confirming: bool
    ) -> Settled:
        """The cast's three steps: hold the price and record the cast as running; run the spell;
        settle and record the result, or release the hold and record the failure."""
        began = time.perf_counter()
        begun = await self.begin(steps, caster, cast, confirming=confirming)
        cast.trace.money_s += time.perf_counter() - began
        await steps.tell(
            f"{cast.cast_id}: price held, running" if begun.hold_id else f"{cast.cast_id}: running"
        )
        return await self.run_settle(cast, begun, steps)

    async def run_settle(self, cast: CastContext, begun: Begun, steps: Steps) -> Settled:
        """A held cast's last two steps: run the spell; settle and record the result, or release
        the hold and record the failure."""
        try:
            run, artifacts = await steps.run(partial(self.runner.run, cast, begun.env))
        except SpellRunError as failure:
            cast.trace.usage = failure.usage
            detail = CANCELLED if failure.code == "cast_cancelled" else failure.detail
            await self._fail(steps, cast, begun, failure.code, detail, failure.usage, stderr=failure.stderr)
            raise SpellError(failure.code, detail, cast_id=cast.cast_id) from None
        except BaseException as exc:
            # Cancelled, or broken: the caster must not pay for a cast that did not finish.
            if isinstance(exc, asyncio.CancelledError):
                code, detail = "cast_cancelled", CANCELLED
            else:
                code, detail = "internal_error", "the cast was interrupted"
            await self._fail(steps, cast, begun, code, detail, None)
            raise
        cast.trace.usage = run.usage
        success = Success(
            cast.caster_id,
            cast.cast_id,
            begun.hold_id,
            cast.spell,
            cast.maker_id,
            cast.input_sha256,
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
            raise SpellError("cast_interrupted", detail, cast_id=cast.cast_id) from None
        except BaseException:
            detail = "the cast could not be settled"
            await self._fail(steps, cast, begun, "internal_error", detail, run.usage)
            raise
        cast.trace.money_s += time.perf_counter() - settling
        return run, artifacts, receipt

    async def begin(
        self, steps: Steps, caster: Caster, cast: CastContext, *, confirming: bool, queued: bool = False
    ) -> Begun:
        """Hold the price and record the cast as running (transactions.begin), with its refusals
        in the catalog's words."""
        spell = cast.spell
        begin = partial(
            transactions.begin,
            caster=caster,
            spell=spell,
            cast_id=cast.cast_id,
            input_sha256=cast.input_sha256,
            via=cast.via,
            confirm_above=self.settings.confirm_above_micros,
            confirming=confirming,
            hold_ttl=timedelta(seconds=self.settings.hold_ttl_s),
            secrets=self.secrets,
            queued_cap=self.settings.max_queued_per_caster if queued else None,
        )
        try:
            return await self._held(steps, begin)
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

    @staticmethod
    async def _held(steps: Steps, begin: TxWork[Begun]) -> Begun:
        """`begin`'s transaction, run again when a budget of the caster's was set while it waited
        for their credits (once, in practice: the next run reads the budget first)."""
        for _ in range(2):
            with contextlib.suppress(BudgetsChanged):
                return await steps.transaction(begin)
        return await steps.transaction(begin)

    async def _fail(
        self,
        steps: Steps,
        cast: CastContext,
        begun: Begun,
        code: str,
        detail: str,
        usage: ResourceUsage | None,
        *,
        stderr: bytes | None = None,
    ) -> None:
        """Release the hold and record the cast as failed; when the spell ran (and wrote `stderr`),
        its execution log and policy violations too."""

        async def work(tx: Tx) -> None:
            await transactions.fail(
                tx, cast.cast_id, begun.hold_id, code, detail, usage, stderr=stderr or b""
            )
            if stderr is not None and usage is not None:
                await transactions.record_violations(tx, cast.spell, cast.cast_id, usage)

        await steps.transaction(work)
