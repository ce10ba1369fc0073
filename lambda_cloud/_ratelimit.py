"""Client-side pacing for the API's documented rate limits.

Each limit is a GCRA token bucket (one "theoretical arrival time" per bucket, as the server keeps
it): a request reserves the earliest slot the bucket allows and sleeps until then. Reservation
happens synchronously on the event loop, so concurrent callers are served in arrival order with
no lock, and pacing stays within a rounding error of the bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import attrs

from ._clock import monotonic
from ._validation import check_real
from .errors import ValidationError

__all__ = ["DEFAULT_RATE_LIMITS", "RateLimit", "RateLimiter", "RateLimits", "RateLimitsLike"]

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


@attrs.frozen(kw_only=True)
class RateLimits:
    """The limits one client honours.

    The defaults follow the API's documentation: about one request per second in general, and a
    launch at most every 12 seconds (five a minute). A launch counts against both buckets.
    """

    general: RateLimit = RateLimit(rate=1.0, burst=5)
    launch: RateLimit = RateLimit(rate=1.0 / 12.0, burst=5)

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
        return cls(**{name: _bucket(spec, f"rate_limits.{name}") for name, spec in value.items()})

    def scaled(self, time_scale: float) -> RateLimits:
        """The same limits with every interval multiplied by ``time_scale``."""
        return RateLimits(
            general=RateLimit(rate=self.general.rate / time_scale, burst=self.general.burst),
            launch=RateLimit(rate=self.launch.rate / time_scale, burst=self.launch.burst),
        )


def _bucket(spec: object, field: str) -> RateLimit:
    """A bucket given as ``{"rate": ..., "burst": ...}`` (``burst`` defaults to 1)."""
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


#: ``RateLimits``, or the same numbers as plain mappings (see ``RateLimits.coerce``).
RateLimitsLike = RateLimits | Mapping[str, Mapping[str, float]]


class _Bucket:
    __slots__ = ("_limit", "_tat")

    def __init__(self, limit: RateLimit) -> None:
        self._limit = limit
        self._tat = float("-inf")  # theoretical arrival time of the next conforming request

    def peek(self, now: float) -> float:
        """The delay a reservation made now would get (nothing is reserved)."""
        allowed_at = max(self._tat, now) - (self._limit.burst - 1) * self._limit.interval
        return max(0.0, allowed_at - now)

    def reserve(self, now: float) -> float:
        """Reserve the next slot; return the delay before it may be used."""
        delay = self.peek(now)
        self._tat = max(self._tat, now) + self._limit.interval
        return delay

    def sent_at(self, when: float) -> None:
        """Record that the reserved request left at ``when``, later than its slot."""
        self._tat = max(self._tat, when + self._limit.interval)

    def hold_until(self, when: float) -> None:
        """Let no request through before ``when`` (after a server-side 429)."""
        floor = when + (self._limit.burst - 1) * self._limit.interval
        self._tat = max(self._tat, floor)


class RateLimiter:
    """Token buckets shared by everything one client (and its ``with_options`` copies) sends."""

    def __init__(
        self,
        limits: RateLimits,
        *,
        clock: Callable[[], float] = monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._general = _Bucket(limits.general)
        self._launch = _Bucket(limits.launch)

    async def acquire(self, *, launch: bool = False) -> float:
        """Wait for a slot in the launch bucket (for a launch), then in the general bucket;
        return the seconds waited."""
        waited = 0.0
        if launch:
            waited += await self._wait(self._launch.reserve(self._clock()), "launch")
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

    def delay(self, *, launch: bool = False) -> float:
        """Seconds a request sent now would wait for its slot; reserves nothing."""
        now = self._clock()
        delay = self._general.peek(now)
        if launch:
            delay = max(delay, self._launch.peek(now))
        return delay

    def back_off(self, seconds: float, *, launch: bool = False) -> None:
        """Hold every later request for ``seconds`` after the server said 429."""
        until = self._clock() + seconds
        self._general.hold_until(until)
        if launch:
            self._launch.hold_until(until)


#: The documented limits, as applied by default.
DEFAULT_RATE_LIMITS = RateLimits()
