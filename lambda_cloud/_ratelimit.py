"""Client-side pacing for the API's documented rate limits.

Each limit is a GCRA token bucket (one "theoretical arrival time" per bucket, as the server keeps
it): a request reserves the earliest slot the bucket allows and sleeps until then. Reservation
happens synchronously on the event loop, so concurrent callers are served in arrival order with
no lock, and pacing stays within a rounding error of the bound.

A client alone on its key would never be throttled. Other processes using the same key spend
from the same server-side buckets unseen, so an adaptive bucket (the default) reads each 429
as their share: it slows down, and speeds up again as time passes without one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import attrs

from ._budget import Budget
from ._clock import monotonic
from ._validation import check_real
from .errors import ValidationError
from .shared.options import SHARED_STATE_ENV, SharedState, SharedStateLike

if TYPE_CHECKING:
    from .shared.store import Account

__all__ = [
    "DEFAULT_RATE_LIMITS",
    "RateLimit",
    "RateLimiter",
    "RateLimits",
    "RateLimitsLike",
    "SlotTooFar",
    "limiter_for",
]

log = logging.getLogger("lambda_cloud")


@attrs.frozen(kw_only=True)
class RateLimit:
    """One token bucket: ``rate`` requests per second on average, ``burst`` at once."""

    rate: float = attrs.field(validator=attrs.validators.gt(0))
    burst: int = attrs.field(default=1, validator=attrs.validators.ge(1))

    @property
    def interval(self) -> float:
        """Seconds between two requests at the sustained rate."""
        return 1.0 / self.rate


def _shared(value: SharedStateLike | None) -> SharedState | None:
    return None if value is None else SharedState.coerce(value)


@attrs.frozen(kw_only=True)
class RateLimits:
    """The limits one client honours.

    The defaults follow the API's documentation: about one request per second in general, and a
    launch at most every 12 seconds (five a minute). A launch counts against both buckets.
    With ``adaptive`` (the default), a 429 slows the bucket it hit down, and it speeds up
    again with the time since, up to these limits: processes sharing a key settle on shares of
    it. ``adaptive=False`` paces to the limits as if the client were the key's only user.
    ``shared`` (a ``redis://`` URL or a ``SharedState``; by default ``$LAMBDA_CLOUD_SHARED_STATE``)
    keeps the buckets in Redis, one pair for every process using the key; there too a
    ``launch_many`` with a ``run_id`` holds a lease on it, and the spend budget its books.
    """

    general: RateLimit = RateLimit(rate=1.0, burst=5)
    launch: RateLimit = RateLimit(rate=1.0 / 12.0, burst=5)
    adaptive: bool = True
    shared: SharedState | None = attrs.field(default=None, converter=_shared)

    @classmethod
    def coerce(cls, value: RateLimitsLike) -> RateLimits:
        """``value`` as ``RateLimits``; a mapping such as ``Emulator.rate_limits`` gives, e.g.
        ``{"general": {"rate": 1.0, "burst": 5}, "launch": {"rate": 0.0833, "burst": 5}}``,
        sets the buckets it names (the others keep their defaults)."""
        if isinstance(value, RateLimits):
            return value
        if not isinstance(value, Mapping):
            raise ValidationError(
                "rate_limits", f"expected RateLimits or a mapping, got {type(value).__name__}"
            )
        unknown = [repr(name) for name in value if name not in ("general", "launch")]
        if unknown:
            raise ValidationError("rate_limits", f"unknown buckets: {', '.join(unknown)}")
        default = cls()
        return attrs.evolve(
            default,
            general=_bucket(value.get("general"), "rate_limits.general", default.general),
            launch=_bucket(value.get("launch"), "rate_limits.launch", default.launch),
        )

    def scaled(self, time_scale: float) -> RateLimits:
        """The same limits with every interval multiplied by ``time_scale``."""
        return attrs.evolve(
            self,
            general=RateLimit(rate=self.general.rate / time_scale, burst=self.general.burst),
            launch=RateLimit(rate=self.launch.rate / time_scale, burst=self.launch.burst),
        )


def _bucket(spec: object, field: str, default: RateLimit) -> RateLimit:
    """A bucket given as ``{"rate": ..., "burst": ...}`` (``burst`` defaults to 1); ``default``
    when not given."""
    if spec is None:
        return default
    if not isinstance(spec, Mapping) or "rate" not in spec or not set(spec) <= {"rate", "burst"}:
        raise ValidationError(field, f'expected {{"rate": ..., "burst": ...}}, got {spec!r}')
    rate = check_real(spec["rate"], f"{field}.rate")
    burst = check_real(spec.get("burst", 1), f"{field}.burst")
    # NaN compares false, so it fails here too; an infinite rate is no pacing, which is allowed.
    if not rate > 0:
        raise ValidationError(f"{field}.rate", f"must be a positive number, got {rate!r}")
    if not isinstance(burst, int) or burst < 1:
        raise ValidationError(f"{field}.burst", f"must be a positive int, got {burst!r}")
    return RateLimit(rate=rate, burst=burst)


def limiter_for(limits: RateLimits | None, *, api_key: str, base_url: str) -> RateLimiter | None:
    """The limiter a client paces with: ``None`` for no pacing, the store's buckets when
    ``limits.shared`` (or ``$LAMBDA_CLOUD_SHARED_STATE``) names one, else its own."""
    if limits is None:
        return None
    if limits.shared is None and os.environ.get(SHARED_STATE_ENV):
        limits = attrs.evolve(limits, shared=os.environ[SHARED_STATE_ENV])
    if limits.shared is None:
        return RateLimiter(limits)
    from .shared.pacing import SharedRateLimiter
    from .shared.store import Account, Store, namespace

    return SharedRateLimiter(limits, Account(Store(limits.shared), namespace(api_key, base_url)))


#: ``RateLimits``, or the same numbers as plain mappings (see ``RateLimits.coerce``).
RateLimitsLike = RateLimits | Mapping[str, Mapping[str, float]]


class SlotTooFar(Exception):
    """The next slot is ``wait`` seconds away, at or past what the caller may wait: nothing
    was reserved."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"the next rate-limit slot is {wait:.3f}s away")
        self.wait = wait


# Adaptive pacing, as botocore's adaptive retry mode and TCP CUBIC do it. A 429 cuts the rate of
# the bucket it hit to ``_BETA`` of what it was (once per interval of the limit: a burst refused
# at once says no more than one refusal) and remembers the rate it was refused at, its peak. The
# rate then grows back with the time since the cut, not per request let through: concave up to
# the peak, reached ``K`` intervals of the limit later, lingering near it (where the others'
# shares left room before), then convex past it, probing for room they have since left. Growth
# by time is the same for every process, so shares even out (growth per request favours
# whoever already sends most, and the process it starved is left alone at a crawl at the end);
# and a process whose companions are done is back at the limit within a few intervals.
# Rates are fractions of the limit and times intervals of it, so the curve fits every bucket.
_BETA = 0.7
_GROWTH = 0.005  # CUBIC's C: from a peak of 1/4, back at the limit 8 intervals after the cut
# No bucket slows below this fraction of its limit, so no process sharing a key starves.
_FLOOR = 1.0 / 16.0


def recovered(peak: float, since: float) -> float:
    """The fraction of its limit an adaptive bucket paces to ``since`` intervals of the limit
    after a 429 cut it from ``peak`` (a fraction of the limit)."""
    plateau: float = (peak * (1.0 - _BETA) / _GROWTH) ** (1.0 / 3.0)  # CUBIC's K
    return max(_FLOOR, min(1.0, peak + _GROWTH * (since - plateau) ** 3))


class _Bucket:
    __slots__ = ("_adaptive", "_cut_at", "_limit", "_peak", "_tat")

    def __init__(self, limit: RateLimit, *, adaptive: bool) -> None:
        self._limit = limit
        self._adaptive = adaptive
        self._peak = 1.0  # the pace (a fraction of the limit) the last 429 cut
        self._cut_at = -math.inf  # when that was
        self._tat = -math.inf  # theoretical arrival time of the next conforming request

    def rate(self, now: float) -> float:
        """Requests per second the bucket paces to at ``now``: the limit, or less after a 429."""
        if self._cut_at == -math.inf:
            return self._limit.rate
        since = (now - self._cut_at) * self._limit.rate
        return self._limit.rate * recovered(self._peak, since)

    def _burst(self, rate: float) -> int:
        # A slowed bucket sends no burst: the tokens it would spend are the other processes'.
        return self._limit.burst if rate >= self._limit.rate else 1

    def peek(self, now: float) -> float:
        """The delay a reservation made now would get (nothing is reserved)."""
        rate = self.rate(now)
        allowed_at = max(self._tat, now) - (self._burst(rate) - 1) / rate
        return max(0.0, allowed_at - now)

    def reserve(self, now: float) -> float:
        """Reserve the next slot; return the delay before it may be used."""
        delay = self.peek(now)
        self._tat = max(self._tat, now) + 1.0 / self.rate(now)
        return delay

    def sent_at(self, when: float) -> None:
        """Record that the reserved request left at ``when``, later than its slot."""
        self._tat = max(self._tat, when + 1.0 / self.rate(when))

    def throttled(self, now: float, retry_after: float | None, cap: float, jitter: float) -> None:
        """The server answered 429: slow down (adaptive buckets), and let no request through
        before its ``Retry-After`` (one interval without one), ``cap`` seconds at most; an
        adaptive bucket then takes one of the server's next tokens at random (``jitter``,
        0 to 1, picks which)."""
        rate = self.rate(now)
        # The refused request took no token from the server: its slot here is free again.
        self._tat = max(now, self._tat - 1.0 / rate)
        if self._adaptive and (now - self._cut_at) * self._limit.rate >= 1.0:
            self._peak, self._cut_at = rate / self._limit.rate, now
            rate = self.rate(now)
        wait = min(cap, 1.0 / rate if retry_after is None else retry_after)
        if self._adaptive:
            # Processes refused together must not all come back at the instant the server
            # named, to collide again: its tokens come an interval of the limit apart from
            # then, and each takes one of as many of them as its pace is shares of the limit.
            skip = math.floor(jitter * self._limit.rate / rate)
            wait = min(cap, wait + skip / self._limit.rate)
        self._tat = max(self._tat, now + wait + (self._burst(rate) - 1) / rate)


class RateLimiter:
    """Token buckets shared by everything one client (and its ``with_options`` copies) sends.

    With ``limits.adaptive`` (the default), a 429 lowers the rate of the bucket it hit, and it
    grows back with the time since, up to the limit.
    """

    def __init__(
        self,
        limits: RateLimits,
        *,
        clock: Callable[[], float] = monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._general = _Bucket(limits.general, adaptive=limits.adaptive)
        self._launch = _Bucket(limits.launch, adaptive=limits.adaptive)

    def for_account(self, *, api_key: str, base_url: str) -> RateLimiter:
        """The limiter a copy of the client on another account uses (these buckets: a process
        paces everything it sends alike)."""
        return self

    async def close(self) -> None:
        """Release what the limiter holds (a shared store's connections)."""

    def budget(self) -> Budget:
        """Spend books for a client pacing with this limiter: its own (a shared limiter keeps
        them in its store)."""
        return Budget()

    def shared_account(self) -> Account | None:
        """The account's state in the shared store, if there is one (``None``: this process
        paces, budgets and leases alone)."""
        return None

    def run_lease(self, run_id: str) -> AbstractAsyncContextManager[None]:
        """The lease a bulk run of ``run_id`` holds while it goes: none for a process alone
        (a shared limiter takes it in its store)."""
        return contextlib.nullcontext()

    @property
    def rates(self) -> dict[str, float]:
        """Each bucket's pace now, in requests per second (below its limit after a 429)."""
        now = self._clock()
        return {"general": self._general.rate(now), "launch": self._launch.rate(now)}

    async def acquire(self, *, launch: bool = False, max_wait: float = math.inf) -> float:
        """Wait for a slot in the launch bucket (for a launch), then in the general bucket;
        return the seconds waited. A slot ``max_wait`` seconds away or more raises
        ``SlotTooFar`` with nothing reserved."""
        now = self._clock()
        ahead = self._general.peek(now)
        if launch:
            ahead = max(ahead, self._launch.peek(now))
        if ahead > 0 and ahead >= max_wait:
            raise SlotTooFar(ahead)
        waited = 0.0
        if launch:
            waited += await self._wait(self._launch.reserve(now), "launch")
        # Reserved only once the launch may go, so a launch waiting for its own slot holds up
        # no other request.
        waited += await self._wait(self._general.reserve(self._clock()), "general")
        if launch:
            # The general bucket may have held the launch back; the server counts it as sent now.
            self._launch.sent_at(self._clock())
        return waited

    async def _wait(self, delay: float, bucket: str) -> float:
        if delay > 0:
            log.debug("rate limit: waiting %.3fs for a slot in the %s bucket", delay, bucket)
            await self._sleep(delay)
        return delay

    async def throttled(
        self, *, launch: bool = False, retry_after: float | None = None, cap: float = math.inf
    ) -> None:
        """The server answered 429 (to a launch, with ``launch``): slow the bucket it hit down
        and hold it for ``retry_after`` seconds, ``cap`` at most."""
        bucket, name = (self._launch, "launch") if launch else (self._general, "general")
        now = self._clock()
        bucket.throttled(now, retry_after, cap, self._rand())
        log.debug("rate limit: 429 on the %s bucket; pacing at %.3g/s", name, bucket.rate(now))


#: The documented limits, as applied by default.
DEFAULT_RATE_LIMITS = RateLimits()
