"""CastService: the one entry point both faces (spell_mcp/rest/, spell_mcp/mcp/) and the queue's
workers (spell_mcp/queueing/) adapt to. It puts the cast's parts together — the cast threads
(`threads`), the versions served (`serving`), admission with Redis (`admission`), the spell in the
sandbox (`running`), where the steps run (`steps`), the pipeline proper (`pipeline`) and queued
casts (`queued`) — and owns a cast's side effects, so the faces only render what it returns: a
cast refused for want of credits starts the caster's auto-reload (spell_mcp/payments/reloads.py),
and its refusal says so."""

from __future__ import annotations

from typing import Any

from billing.fast_holds import FastHolds
from billing.receipts import ReceiptSigner
from registry import BlobStore, InputValidators, TreeCache
from runtime import Sandbox
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.secrets import SecretBox
from spell_mcp.casting.admission import Admission
from spell_mcp.casting.context import Progress, quiet
from spell_mcp.casting.held import HeldCast
from spell_mcp.casting.limits import RequestLimits
from spell_mcp.casting.lookups import Lookups
from spell_mcp.casting.pipeline import CastResult, Confirm, Pipeline
from spell_mcp.casting.queued import QueuedCasts
from spell_mcp.casting.running import SpellRunner
from spell_mcp.casting.serving import Serving
from spell_mcp.casting.steps import Stepper
from spell_mcp.casting.threads import CastThreads
from spell_mcp.database.engine import Database
from spell_mcp.errors import SpellError
from spell_mcp.payments.provider import StripeGateway
from spell_mcp.payments.reloads import refused_for_money
from spell_mcp.settings import Settings


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
        stripe: StripeGateway | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.sandbox = sandbox
        self.trees = trees
        self.secrets = secrets
        self.limits = limits
        self.lookups = lookups
        # With Redis: holds are decided there first, across processes (billing/fast_holds.py).
        self.fast_holds = fast_holds
        # Stripe, when the operator configured it: a caster's saved card for auto-reload.
        self.stripe = stripe
        self.threads = CastThreads(settings.cast_threads)
        self.admission = Admission(settings, db, lookups, fast_holds)
        validators = InputValidators()
        serving = Serving(db, lookups)
        stepper = Stepper(db, self.threads, receipts, settings.maker_share_bps)
        runner = SpellRunner(settings, sandbox, blobs, trees, validators)
        self.pipeline = Pipeline(
            settings, secrets, limits, validators, serving, self.admission, runner, stepper
        )
        self.queued = QueuedCasts(db, secrets, self.pipeline, serving, self.admission, stepper)

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
        pays nothing. A refusal for want of credits starts the caster's auto-reload where it is
        on, and says so.
        """
        try:
            return await self.pipeline.cast(
                caster,
                key,
                arguments,
                version=version,
                via=via,
                progress=on_progress or quiet,
                confirm=confirm,
            )
        except SpellError as error:
            refusal = await refused_for_money(self.db, self.stripe, caster.user_id, error)
            if refusal is error:
                raise
            raise refusal from None

    async def hold(
        self, caster: Caster, key: str, arguments: Any, *, version: str | None, via: str
    ) -> HeldCast:
        """Hold a cast's price and record it as running, for `resume` to run later (a worker:
        spell_mcp/queueing/). Refused as `cast` refuses before it runs (auto-reload included),
        and with `rate_limited` when the caster already has `max_queued_per_caster` queued casts
        running."""
        try:
            return await self.queued.hold(caster, key, arguments, version=version, via=via)
        except SpellError as error:
            refusal = await refused_for_money(self.db, self.stripe, caster.user_id, error)
            if refusal is error:
                raise
            raise refusal from None

    async def resume(self, held: HeldCast) -> str:
        """Run a held cast and settle it, or record it as failed: "succeeded", "failed", or "gone"
        when it is no longer running (finished already: a message delivered again; or its hold
        expired and was voided). Never charges twice: only a pending hold settles, and only a
        running cast is recorded."""
        return await self.queued.resume(held)

    async def abandon(self, held: HeldCast, detail: str) -> None:
        """A held cast that will not run (it could not be queued, or its queue stopped): release
        its hold and record it as failed, unless it finished already."""
        await self.queued.abandon(held, detail)

    async def cancel(self, caster_id: str, cast_id: str) -> bool:
        """Cancel the caster's queued cast if it is still running (never charged); whether it was
        (not: it had finished)."""
        return await self.queued.cancel(caster_id, cast_id)

    async def credits_changed(self, caster_id: str) -> None:
        """Money came in (a top-up, a grant, a refund of a cast): what Redis remembers of the
        caster's credits is stale, and would refuse casts the credits now cover."""
        await self.admission.credits_changed(caster_id)

    def stop_cast(self, cast_id: str) -> bool:
        """Stop a queued cast if it runs in this process (it was cancelled); whether it did."""
        return self.threads.stop_cast(cast_id)

    def stop_casts_of(self, caster_id: str) -> int:
        """Stop the caster's casts running in this process (each fails, and is not charged);
        how many there were."""
        return self.threads.stop_casts_of(caster_id)
