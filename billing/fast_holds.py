"""A Redis fast path in front of the database's holds, for several server processes.

The database stays the source of truth: every hold is still reserved there by its conditional
UPDATE, so money can never be overspent whatever Redis says. Redis decides first, in one Lua
script per cast, so that casts a caster cannot afford are refused without touching the database
(an agent hammering an exhausted budget costs one Redis round trip a call), and every process
sees the same in-flight holds at once.

State in Redis mirrors the database and is rebuilt from it:
- `{prefix}acct:{account}`: credits available (balance - held);
- `{prefix}win:{subject}:{period}:{starts}`: a budget window's `spent` and `held`;
- `{prefix}hold:{reference}`: what one admitted hold counted against, so that settling or
  releasing it is idempotent and needs nothing else.
State keys live `state_ttl_s` after they were loaded, then are loaded again from the database:
whatever drift a crash left behind (a hold admitted here whose process died before the database
saw it) lasts at most that long. A key missing after a Redis restart is simply loaded again.
When Redis cannot be reached, the database decides alone.

The scripts touch the keys named in a hold record, so Redis must be one instance (or one shard),
as for the rate limits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.orm import Session

from billing.budgets import BudgetExceeded, Budgets, WindowHold
from billing.errors import InsufficientCredits
from billing.ledger import Ledger

log = logging.getLogger("spell.billing")

# KEYS: hold record, account, windows…  ARGV: amount, hold record ttl (ms), the windows' caps…
# Returns {0} admitted; {1, i, a, b} refused at KEYS[i] (account: available; window: spent, held);
# {2} some state is not loaded.
_ADMIT = """
local amount = tonumber(ARGV[1])
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then return {2} end
end
local available = tonumber(redis.call('GET', KEYS[2]))
if available < amount then return {1, 2, available, 0} end
for i = 3, #KEYS do
  local spent = tonumber(redis.call('HGET', KEYS[i], 'spent'))
  local held = tonumber(redis.call('HGET', KEYS[i], 'held'))
  if spent + held + amount > tonumber(ARGV[i]) then return {1, i, spent, held} end
end
redis.call('DECRBY', KEYS[2], amount)
local counted = {KEYS[2]}
for i = 3, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'held', amount)
  counted[#counted + 1] = KEYS[i]
end
redis.call('SET', KEYS[1], cjson.encode({amount = amount, keys = counted}), 'PX', ARGV[2])
return {0}
"""

# KEYS: hold record.  ARGV: 'settle' or 'release'.  A state key that expired meanwhile is left
# alone: it will be loaded afresh from the database, which already reflects this hold.
_CLOSE = """
local record = redis.call('GET', KEYS[1])
if not record then return 0 end
redis.call('DEL', KEYS[1])
local hold = cjson.decode(record)
local settle = ARGV[1] == 'settle'
for i, key in ipairs(hold.keys) do
  if redis.call('EXISTS', key) == 1 then
    if i == 1 then
      if not settle then redis.call('INCRBY', key, hold.amount) end
    else
      redis.call('HINCRBY', key, 'held', -hold.amount)
      if settle then redis.call('HINCRBY', key, 'spent', hold.amount) end
    end
  end
end
return 1
"""

# KEYS: account, windows…  ARGV: ttl (ms), available, then spent and held of each window.
# Only keys that are absent are written: a concurrent admit's counts are never overwritten.
_LOAD = """
local ttl = ARGV[1]
redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ttl)
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('HSET', KEYS[i], 'spent', ARGV[2 * i - 1], 'held', ARGV[2 * i])
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return 1
"""


@dataclass(frozen=True, slots=True)
class DatabaseState:
    """What the database says now: the account's available credits and each window's
    (spent, held), in the order the windows were asked for."""

    available: int
    windows: list[tuple[int, int]]


StateLoader = Callable[[str, Sequence[WindowHold]], Awaitable[DatabaseState]]


def database_state(account: str, windows: Sequence[WindowHold], session: Session) -> DatabaseState:
    """The state Redis mirrors, read from the database (the caller provides the transaction)."""
    balance, held = Ledger(session).balance(account)
    budgets = Budgets(session)
    return DatabaseState(available=balance - held, windows=[budgets.usage(window) for window in windows])


class FastHolds:
    def __init__(
        self,
        redis: Redis,
        load: StateLoader,
        *,
        hold_ttl_s: float,
        state_ttl_s: float = 60.0,
        prefix: str = "spell:money:",
    ) -> None:
        self.redis = redis
        self._load_state = load
        # A record outlives its database hold, so the sweeper's release still finds it.
        self._hold_ttl_ms = int((hold_ttl_s + state_ttl_s) * 1000)
        self._state_ttl_ms = int(state_ttl_s * 1000)
        self._prefix = prefix
        self._admit = redis.register_script(_ADMIT)
        self._close = redis.register_script(_CLOSE)
        self._load = redis.register_script(_LOAD)

    async def admit(self, reference: str, account: str, amount: int, windows: Sequence[WindowHold]) -> bool:
        """Count a hold of `amount` against the account and every window, or raise
        `InsufficientCredits` / `BudgetExceeded`. True when Redis counted it (settle or release it
        later); False when Redis could not be asked and the database must decide alone."""
        keys = [self._hold_key(reference), self._account_key(account), *map(self._window_key, windows)]
        args = [amount, self._hold_ttl_ms, *(window.cap for window in windows)]
        try:
            for _attempt in range(3):
                answer = await self._admit(keys=keys, args=args)
                if answer[0] == 0:
                    return True
                if answer[0] == 1:
                    raise _refusal(int(answer[1]), int(answer[2]), int(answer[3]), amount, windows)
                await self._load_from_database(account, windows)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            log.warning("the hold fast path is unavailable, the database decides alone: %s", exc)
            return False
        return False  # state expiring faster than it loads: let the database decide

    async def settle(self, reference: str) -> None:
        """The hold was paid: its amount moves from held to spent in its windows."""
        await self._finish(reference, "settle")

    async def release(self, reference: str) -> None:
        """The hold was voided (or never reached the database): give its amount back."""
        await self._finish(reference, "release")

    async def forget(self, account: str, windows: Sequence[WindowHold]) -> None:
        """The database disagreed with Redis: drop this state so the next cast loads it again."""
        try:
            await self.redis.delete(self._account_key(account), *map(self._window_key, windows))
        except RedisError as exc:
            log.warning("could not drop stale hold state: %s", exc)

    async def _finish(self, reference: str, how: str) -> None:
        try:
            await self._close(keys=[self._hold_key(reference)], args=[how])
        except RedisError as exc:
            # The state keys expire and are loaded again; until then Redis errs on refusing.
            log.warning("could not %s hold %s in Redis: %s", how, reference, exc)

    async def _load_from_database(self, account: str, windows: Sequence[WindowHold]) -> None:
        state = await self._load_state(account, windows)
        keys = [self._account_key(account), *map(self._window_key, windows)]
        args: list[int] = [self._state_ttl_ms, state.available]
        for spent, held in state.windows:
            args += [spent, held]
        await self._load(keys=keys, args=args)

    def _hold_key(self, reference: str) -> str:
        return f"{self._prefix}hold:{reference}"

    def _account_key(self, account: str) -> str:
        return f"{self._prefix}acct:{account}"

    def _window_key(self, window: WindowHold) -> str:
        return f"{self._prefix}win:{window.subject}:{window.period}:{window.starts.isoformat()}"


def _refusal(
    index: int, first: int, second: int, amount: int, windows: Sequence[WindowHold]
) -> InsufficientCredits | BudgetExceeded:
    if index == 2:
        return InsufficientCredits(amount, first)
    return BudgetExceeded.of_window(windows[index - 3], first, second)
