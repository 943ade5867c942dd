"""Everything one server process holds: settings, database, blob store, sandbox, cast service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from mcp.server.subscriptions import InMemorySubscriptionBus
from redis.asyncio import Redis

from billing import Ledger
from billing.budgets import WindowHold
from billing.fast_holds import DatabaseState, FastHolds, database_state
from billing.receipts import ReceiptSigner
from registry import BlobStore, LocalBlobStore, ObjectBlobStore, TreeCache
from runtime import Sandbox
from runtime.net import NetworkGate
from spell_mcp.accounts.keys import Caster, authenticate_until, touch_key
from spell_mcp.accounts.oauth.service import OAuthService
from spell_mcp.accounts.oauth.tokens import authenticate_access_token, is_access_token
from spell_mcp.accounts.secrets import SecretBox
from spell_mcp.audit import Pseudonyms
from spell_mcp.casting.limits import RequestLimits
from spell_mcp.casting.lookups import Lookups
from spell_mcp.casting.service import CastService
from spell_mcp.catalog.announcements import Announcer
from spell_mcp.catalog.publishing import PublishService, TrustRoot
from spell_mcp.database.engine import Database
from spell_mcp.errors import SpellError
from spell_mcp.payments.provider import StripeGateway
from spell_mcp.queueing import CastQueue
from spell_mcp.settings import Settings


def blob_store(settings: Settings) -> BlobStore:
    """The object store every host shares (SPELL_BLOB_URL), or a directory of this one."""
    if settings.blob_url:
        return ObjectBlobStore.from_url(
            settings.blob_url,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    return LocalBlobStore(settings.home / "blobs")


@dataclass
class Platform:
    settings: Settings
    db: Database
    blobs: BlobStore
    sandbox: Sandbox
    secrets: SecretBox
    casts: CastService
    publishing: PublishService
    receipts: ReceiptSigner
    limits: RequestLimits
    lookups: Lookups
    announcer: Announcer
    pseudonyms: Pseudonyms
    oauth: OAuthService
    # Stripe, when the operator configured it (top-ups); None on the embedded default.
    stripe: StripeGateway | None = None
    # Where queued casts go: this server's memory, or NATS JetStream (None outside a server).
    queue: CastQueue | None = None

    @classmethod
    async def open(
        cls,
        settings: Settings,
        bus: InMemorySubscriptionBus | None = None,
        *,
        network: NetworkGate | None = None,
    ) -> Platform:
        """`network` is the gate for every outbound request (spells' and webhooks'); tests give
        one that trusts their own CA."""
        settings.home.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url())
        await db.migrate()
        await db.write(lambda session: Ledger(session).open_platform_accounts())
        blobs = blob_store(settings)
        # Pool slots for every cast that may run at once, with room for compiles and retries.
        sandbox = Sandbox(
            settings.home / "artifacts",
            blobs.get,
            max_concurrent_casts=2 * settings.cast_threads,
            network=network,
        )
        trees = TreeCache(blobs, settings.home / "trees")
        secrets = SecretBox.for_home(settings.home, settings.secrets_key)
        receipts = ReceiptSigner.for_home(settings.home, settings.receipt_key, settings.receipt_retired_keys)
        limits = RequestLimits(settings)
        lookups = Lookups()
        fast_holds = None
        if settings.redis_url:

            async def load(account: str, windows: Sequence[WindowHold]) -> DatabaseState:
                return await db.read(partial(database_state, account, windows))

            fast_holds = FastHolds(Redis.from_url(settings.redis_url), load, hold_ttl_s=settings.hold_ttl_s)
        stripe = (
            StripeGateway(
                settings.stripe_secret_key,
                settings.stripe_webhook_secret,
                connect_webhook_secret=settings.stripe_connect_webhook_secret,
                api_base=settings.stripe_api_base,
                timeout_s=settings.stripe_timeout_s,
            )
            if settings.stripe_secret_key and settings.stripe_webhook_secret
            else None
        )
        casts = CastService(
            settings, db, sandbox, blobs, trees, secrets, receipts, limits, lookups, fast_holds, stripe
        )
        announcer = Announcer(
            bus or InMemorySubscriptionBus(),
            settings.redis_url,
            lookups,
            db,
            stop_casts=casts.stop_casts_of,
            stop_cast=casts.stop_cast,
        )
        publishing = PublishService(settings, db, sandbox, blobs, TrustRoot(settings.trust_root), announcer)
        return cls(
            settings=settings,
            db=db,
            blobs=blobs,
            sandbox=sandbox,
            secrets=secrets,
            casts=casts,
            publishing=publishing,
            receipts=receipts,
            limits=limits,
            lookups=lookups,
            announcer=announcer,
            pseudonyms=Pseudonyms(secrets.derive("pseudonyms")),
            oauth=OAuthService(settings, db, sandbox.network, secrets, announcer),
            stripe=stripe,
        )

    async def authenticate(self, presented: str | None, audience: frozenset[str] = frozenset()) -> Caster:
        """The caster an API key belongs to, or an agent's access token signs in (from memory
        when it was checked a moment ago: see spell_mcp/casting/lookups.py), its last use recorded
        at most once a minute. An access token is accepted only where its resource is in
        `audience` (the MCP endpoints: spell_mcp/accounts/oauth/tokens.py)."""
        caster = self.lookups.caster(presented)
        if caster is None:
            check = authenticate_access_token if is_access_token(presented) else authenticate_until
            found, valid_until = await self.db.read(lambda session: check(session, presented))  # type: ignore[arg-type]
            assert presented  # both refused a missing credential
            self.lookups.remember_caster(presented, found, valid_until)
            caster = found
        if caster.resource is not None and caster.resource not in audience:
            raise SpellError(
                "unauthenticated",
                f"this access token was issued for {caster.resource}, not for this endpoint; "
                "it works only there (an API key works everywhere)",
            )
        if caster.last_used_stale and caster.key_id is not None and presented:
            await self.db.write(partial(touch_key, caster.key_id))
            self.lookups.touched(presented)
        return caster

    async def cancel_cast(self, caster_id: str, cast_id: str) -> bool:
        """Cancel the caster's queued cast if it has not finished (CastService.cancel), and stop
        its spell wherever it runs."""
        cancelled = await self.casts.cancel(caster_id, cast_id)
        if cancelled:
            await self.announcer.cast_cancelled(cast_id)
        return cancelled

    async def close(self) -> None:
        if self.queue is not None:
            await self.queue.close()
        self.sandbox.close()
        await self.limits.close()
        if self.casts.fast_holds is not None:
            await self.casts.fast_holds.redis.aclose()
        await self.announcer.close()
        await self.db.dispose()
