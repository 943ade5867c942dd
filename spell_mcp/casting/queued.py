"""Queued casts (spell_mcp/queueing/): held now — the price reserved and the cast recorded as
running, refused as a cast is refused before it runs — then run later by a worker and settled, or
abandoned when they cannot run, or cancelled by their caster. Never charged twice: only a pending
hold settles, and only a running cast is recorded."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import anyio

from billing.cast_money import Tx
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.secrets import SecretBox
from spell_mcp.casting import records, transactions
from spell_mcp.casting.admission import Admission
from spell_mcp.casting.context import CastContext, quiet
from spell_mcp.casting.held import HeldCast
from spell_mcp.casting.pipeline import CANCELLED, Pipeline
from spell_mcp.casting.serving import Serving
from spell_mcp.casting.steps import OnLoop, Stepper
from spell_mcp.casting.transactions import Begun
from spell_mcp.database.engine import Database
from spell_mcp.errors import SpellError
from spell_mcp.observability import traces
from spell_mcp.observability.cast_trace import CastTrace

# A queued cast of the caster's that has not finished, and its hold.
_CANCELLABLE = "SELECT hold_id FROM casts WHERE id = ? AND caster_id = ? AND status = 'running' AND queued"


class QueuedCasts:
    def __init__(
        self,
        db: Database,
        secrets: SecretBox,
        pipeline: Pipeline,
        serving: Serving,
        admission: Admission,
        stepper: Stepper,
    ) -> None:
        self.db = db
        self.secrets = secrets
        self.pipeline = pipeline
        self.serving = serving
        self.admission = admission
        self.stepper = stepper

    async def hold(
        self, caster: Caster, key: str, arguments: Any, *, version: str | None, via: str
    ) -> HeldCast:
        """Hold a cast's price and record it as running, for `resume` to run later. Refused as a
        cast is refused before it runs, and with `rate_limited` when the caster already has
        `max_queued_per_caster` queued casts running."""
        trace = CastTrace(via)
        cast = await self.pipeline.prepare(caster, key, arguments, version=version, via=via, trace=trace)
        fast_held = await self.admission.admit(caster, cast)
        try:
            steps = OnLoop(self.stepper, quiet, caster.user_id)
            begun = await self.pipeline.begin(steps, caster, cast, confirming=False, queued=True)
        except BaseException as exc:
            await self.admission.refused(exc, caster, cast, fast_held=fast_held)
            raise
        return HeldCast(
            cast_id=cast.cast_id,
            caster_id=cast.caster_id,
            spell_key=cast.spell.spell_key,
            spell_version=cast.spell.version,
            module_digest=cast.spell.module_digest,
            input=cast.input_json.decode(),
            input_sha256=cast.input_sha256,
            hold_id=begun.hold_id,
            via=via,
            fast_held=fast_held,
        )

    async def resume(self, held: HeldCast) -> str:
        """Run a held cast and settle it, or record it as failed: "succeeded", "failed", or "gone"
        when it is no longer running (finished already: a message delivered again; or its hold
        expired and was voided)."""
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
                if held.fast_held:
                    with anyio.CancelScope(shield=True):
                        if outcome == "succeeded":
                            await self.admission.settle(held.cast_id)
                        else:
                            await self.admission.release(held.cast_id)
            return outcome

    async def _resume(self, held: HeldCast, trace: CastTrace) -> str:
        if not await self.db.read(partial(records.still_running, held.cast_id)):
            return "gone"
        try:
            spell, maker_id = await self.serving.find(held.spell_key, held.spell_version)
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
        cast = CastContext(
            cast_id=held.cast_id,
            caster_id=held.caster_id,
            spell=spell,
            maker_id=maker_id,
            input_json=held.input.encode(),
            input_sha256=held.input_sha256,
            via=held.via,
            trace=trace,
        )
        begun = Begun(held.hold_id, env, queued=True)
        await self.stepper.run(cast, lambda steps: self.pipeline.run_settle(cast, begun, steps), queued=True)
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
            if held.fast_held:
                await self.admission.release(held.cast_id)

    async def cancel(self, caster_id: str, cast_id: str) -> bool:
        """Cancel the caster's queued cast if it is still running: its hold is released and it is
        recorded as cancelled, never charged. A worker running it meanwhile finds the hold gone
        when it settles, and charges nothing. Whether it was cancelled (not: it had finished)."""

        async def work(tx: Tx) -> bool:
            row = await tx.fetchrow(_CANCELLABLE, cast_id, caster_id)
            if row is None:
                return False
            await transactions.fail(tx, cast_id, row[0], "cast_cancelled", CANCELLED, None)
            return True

        with anyio.CancelScope(shield=True):
            cancelled = await self.db.transaction(work)
            if cancelled:
                await self.admission.release(cast_id)
        if cancelled:
            self.stepper.threads.stop_cast(cast_id)  # if it runs here; elsewhere, Announcer.cast_cancelled
        return cancelled
