"""One pace for every process using an API key: the rate-limit buckets kept in the store.

Each acquire is one round trip: a script reserves the next free slot of the bucket (GCRA, on
the store's clock, as the API's own limiter keeps it) and answers how long to wait for it; the
caller sleeps that long, no polling. A launch takes its launch slot, then its general one (a
second round trip, which also moves the launch bucket on if the general one held the launch
back). A 429 (another program using the key without the store) holds the shared bucket for the
server's ``Retry-After``. When the store is down, the process paces itself alone, adaptively.
"""

from __future__ import annotations

import math
from contextlib import AbstractAsyncContextManager
from typing import Any

from .._ratelimit import RateLimit, RateLimiter, RateLimits, SlotTooFar
from .budget import SharedBudget
from .leases import run_lease
from .store import Account, StoreDown, namespace

__all__ = ["SharedRateLimiter"]

# KEYS[1]: the bucket. KEYS[2], for a launch's general slot: the launch bucket, moved on to one
# launch interval after the launch actually leaves. ARGV: the interval and burst, the longest
# wait accepted (negative: any), the launch interval, the margin. Returns {reserved (1 or 0), the
# delay in microseconds}; nothing is reserved when the delay is the longest wait or more.
#
# The margin: the API starts its bucket when a request reaches it, the store when the slot is
# reserved. A request that finds the bucket idle and reaches the API late (the first one of a
# process opens its connection; a busy machine wakes it late) starts the API's bucket that much
# later, and once the burst is spent, every request that then arrives on time is early there by
# as much: refused. So the store hands out slots ``margin`` later than the bucket would
# (``_margin``: half an interval, a second at most), except on an idle bucket.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval, burst, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local delay = 0
if tat > now then
  delay = math.max(0, tat - (burst - 1) * interval - now + tonumber(ARGV[5]))
else
  tat = now
end
if max_wait >= 0 and delay > 0 and delay >= max_wait then
  return {0, math.floor(delay * 1000000)}
end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
if KEYS[2] then
  local sent = now + delay + tonumber(ARGV[4])
  if sent > (tonumber(redis.call('GET', KEYS[2])) or 0) then
    redis.call('SET', KEYS[2], string.format('%.6f', sent), 'PX',
      math.ceil((sent - now) * 1000) + 1000)
  end
end
return {1, math.floor(delay * 1000000)}
"""

# KEYS[1]: the bucket. ARGV: the seconds to hold it, its interval and burst. No request gets a
# slot before the hold ends.
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local floor = now + tonumber(ARGV[1]) + (tonumber(ARGV[3]) - 1) * tonumber(ARGV[2])
if floor > (tonumber(redis.call('GET', KEYS[1])) or 0) then
  redis.call('SET', KEYS[1], string.format('%.6f', floor), 'PX',
    math.ceil((floor - now) * 1000) + 1000)
end
return 1
"""


def _margin(limit: RateLimit) -> float:
    """How much later than the bucket allows the store hands out a slot (see above)."""
    return min(0.5 * limit.interval, 1.0)


def _reserved(reply: object) -> tuple[bool, float]:
    """The reserve script's reply: (reserved, delay in seconds); ``ValueError`` if it is not
    one (a store answering something else is a failing store)."""
    if not (isinstance(reply, list) and len(reply) == 2 and reply[0] in (0, 1)):
        raise ValueError(f"unexpected reply {reply!r:.80}")
    delay = reply[1]
    if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
        raise ValueError(f"unexpected delay {delay!r:.80}")
    return reply[0] == 1, delay / 1e6


def _held(reply: object) -> None:
    if reply != 1:
        raise ValueError(f"unexpected reply {reply!r:.80}")


class SharedRateLimiter(RateLimiter):
    """A ``RateLimiter`` whose buckets are the store's, for every process on the account
    ``namespace``; its own (adaptive) buckets while the store is down."""

    def __init__(self, limits: RateLimits, account: Account, **options: Any):
        super().__init__(limits, **options)
        self.account = account
        self.store = account.store
        self._general_key = account.key("pace", "general")
        self._launch_key = account.key("pace", "launch")
        self._reserve = self.store.script("reserve", _RESERVE)
        self._hold = self.store.script("hold", _HOLD)

    def for_account(self, *, api_key: str, base_url: str) -> SharedRateLimiter:
        """The same limits and store, for another account's buckets."""
        account = Account(self.store, namespace(api_key, base_url))
        return SharedRateLimiter(self.limits, account, clock=self._clock, sleep=self._sleep)

    def budget(self) -> SharedBudget:
        return SharedBudget(self.account)

    def shared_account(self) -> Account:
        return self.account

    def run_lease(self, run_id: str) -> AbstractAsyncContextManager[None]:
        return run_lease(self.account, run_id)

    async def close(self) -> None:
        await self.store.close()

    async def acquire(self, *, launch: bool = False, max_wait: float = math.inf) -> float:
        waited = 0.0
        if launch:
            try:
                delay = await self._take(self._launch_key, self.limits.launch, max_wait)
            except StoreDown:
                return await super().acquire(launch=launch, max_wait=max_wait)
            waited += await self._wait(delay, "launch")
        try:
            # A launch that waited for its slot takes the general one whatever it costs, as
            # the local buckets do: the transport judges the time left.
            limit = math.inf if launch else max_wait
            delay = await self._take(self._general_key, self.limits.general, limit, launch)
        except StoreDown:
            if not launch:
                return await super().acquire(max_wait=max_wait)
            delay = self._general.reserve(self._clock())
        return waited + await self._wait(delay, "general")

    async def _take(
        self, key: str, limit: RateLimit, max_wait: float, launch: bool = False
    ) -> float:
        keys = [key, self._launch_key] if launch else [key]
        args = [
            repr(limit.interval),
            limit.burst,
            -1 if max_wait == math.inf else repr(max_wait),
            repr(self.limits.launch.interval),
            repr(_margin(limit)),
        ]
        reserved, delay = await self.store.run_script(
            "rate limit", self._reserve, keys, args, _reserved
        )
        if not reserved:
            raise SlotTooFar(delay)
        return delay

    async def throttled(
        self, *, launch: bool = False, retry_after: float | None = None, cap: float = math.inf
    ) -> None:
        limit = self.limits.launch if launch else self.limits.general
        key = self._launch_key if launch else self._general_key
        wait = min(cap, limit.interval if retry_after is None else retry_after)
        args = [repr(wait), repr(limit.interval), limit.burst]
        try:
            await self.store.run_script("rate limit", self._hold, [key], args, _held)
        except StoreDown:
            await super().throttled(launch=launch, retry_after=retry_after, cap=cap)
