"""Request rate limits per API key and per caster (GCRA, via throttled-py), a cap on each key's
casts in flight, and a bound on casts queued for a worker that sheds load before the server
falls over. In-process by default; shared through Redis (atomic Lua scripts) when
SPELL_REDIS_URL is set, so the limits hold across server processes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import throttled.asyncio as throttled
from redis.asyncio import Redis

from spell_mcp.accounts.keys import Caster
from spell_mcp.errors import SpellError
from spell_mcp.observability import metrics
from spell_mcp.settings import Settings

IN_FLIGHT_TTL_S = 900  # a crashed process's in-flight counts expire with the holds they guard


@dataclass(frozen=True, slots=True)
class Verdict:
    """The tightest limit's state, for the RateLimit and RateLimit-Policy headers."""

    policy: str
    limit: int
    window_s: int
    remaining: int
    reset_s: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": f'"{self.policy}";q={self.limit};w={self.window_s}',
            "RateLimit": f'"{self.policy}";r={self.remaining};t={self.reset_s}',
        }


class RequestLimits:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        store = (
            throttled.RedisStore(server=settings.redis_url) if settings.redis_url else throttled.MemoryStore()
        )
        self._per = {
            "per-key": (
                throttled.Throttled(
                    using=throttled.RateLimiterType.GCRA.value,
                    quota=throttled.rate_limiter.per_min(
                        settings.rate_per_key_per_min, burst=settings.rate_burst
                    ),
                    store=store,
                    key_prefix="spell:rate:key",
                ),
                settings.rate_per_key_per_min,
            ),
            "per-user": (
                throttled.Throttled(
                    using=throttled.RateLimiterType.GCRA.value,
                    quota=throttled.rate_limiter.per_min(
                        settings.rate_per_user_per_min, burst=2 * settings.rate_burst
                    ),
                    store=store,
                    key_prefix="spell:rate:user",
                ),
                settings.rate_per_user_per_min,
            ),
        }
        self._in_flight: dict[str, int] = defaultdict(int)

    async def check(self, caster: Caster) -> Verdict:
        """Count one request, or raise `rate_limited` with when to retry."""
        tightest: Verdict | None = None
        subjects = {"per-user": caster.user_id, "per-key": caster.key_id}
        for policy, subject in subjects.items():
            if subject is None:
                continue
            limiter, per_minute = self._per[policy]
            result = await limiter.limit(subject)
            state = result.state
            verdict = Verdict(policy, per_minute, 60, int(state.remaining), int(state.reset_after + 0.999))
            if result.limited:
                metrics.RATE_LIMITED.labels(policy).inc()
                retry = max(1, int(state.retry_after + 0.999))
                raise SpellError(
                    "rate_limited",
                    f"too many requests ({policy.replace('-', ' ')} limit {per_minute}/min); "
                    f"retry in {retry} s",
                    retry_after=retry,
                    headers={**verdict.headers(), "Retry-After": str(retry)},
                )
            if tightest is None or verdict.remaining < tightest.remaining:
                tightest = verdict
        assert tightest is not None
        return tightest

    @asynccontextmanager
    async def casting(self, caster: Caster, queued: int) -> AsyncIterator[None]:
        """Admit one cast: under the global queue bound and the key's in-flight cap."""
        if queued >= self.settings.max_queued_casts:
            metrics.SHED.inc()
            raise SpellError(
                "overloaded",
                "the server is at capacity; retry shortly",
                retry_after=1,
                headers={"Retry-After": "1"},
            )
        subject = caster.key_id or caster.user_id
        if not await self._enter(subject):
            metrics.RATE_LIMITED.labels("in-flight").inc()
            raise SpellError(
                "rate_limited",
                f"at most {self.settings.max_in_flight_per_key} casts of one key may run at once",
                retry_after=1,
                headers={"Retry-After": "1"},
            )
        try:
            yield
        finally:
            await self._leave(subject)

    async def _enter(self, subject: str) -> bool:
        cap = self.settings.max_in_flight_per_key
        if self.redis is None:
            if self._in_flight[subject] >= cap:
                return False
            self._in_flight[subject] += 1
            return True
        name = f"spell:inflight:{subject}"
        # One round trip for both (the counter's expiry outlives a process that died holding it).
        async with self.redis.pipeline(transaction=False) as both:
            both.incr(name)
            both.expire(name, IN_FLIGHT_TTL_S)
            count, _ = await both.execute()
        if count > cap:
            await self.redis.decr(name)
            return False
        return True

    async def _leave(self, subject: str) -> None:
        if self.redis is None:
            self._in_flight[subject] -= 1
            if not self._in_flight[subject]:
                del self._in_flight[subject]
            return
        await self.redis.decr(f"spell:inflight:{subject}")

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
