"""Server-side enforcement of the documented rate limits, per API key.

The limits are written here from the API's own text (about one request a second; a launch at
most every 12 seconds, five a minute), not taken from the client, so the two can be compared.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["GENERAL", "LAUNCH", "Limit", "ServerRateLimiter", "retry_after_headers"]


@dataclass(frozen=True)
class Limit:
    """``rate`` requests per second sustained, ``burst`` at once (a GCRA token bucket)."""

    rate: float
    burst: int

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    def scaled(self, time_scale: float) -> Limit:
        return Limit(rate=self.rate / time_scale, burst=self.burst)


GENERAL = Limit(rate=1.0, burst=5)
LAUNCH = Limit(rate=1.0 / 12.0, burst=5)

# A request may arrive this early and still pass: a client pacing itself exactly sees its
# requests land with slightly different latencies, and should not be punished for the jitter.
_MAX_LEEWAY = 0.010
_LEEWAY_FRACTION = 0.25


class _Bucket:
    __slots__ = ("leeway", "limit", "tat")

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.tat = float("-inf")
        self.leeway = min(_MAX_LEEWAY, _LEEWAY_FRACTION * limit.interval)

    def wait(self, now: float) -> float:
        allowed_at = max(self.tat, now) - (self.limit.burst - 1) * self.limit.interval
        return max(0.0, allowed_at - now)

    def take(self, now: float) -> None:
        self.tat = max(self.tat, now) + self.limit.interval


class ServerRateLimiter:
    """One general bucket per API key, plus a launch bucket that launches also draw from."""

    def __init__(self, clock: Callable[[], float], time_scale: float) -> None:
        self.general = GENERAL.scaled(time_scale)
        self.launch = LAUNCH.scaled(time_scale)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, bool], _Bucket] = {}

    def _bucket(self, key: str, launch: bool) -> _Bucket:
        bucket = self._buckets.get((key, launch))
        if bucket is None:
            bucket = _Bucket(self.launch if launch else self.general)
            self._buckets[(key, launch)] = bucket
        return bucket

    def check(self, key: str, *, launch: bool = False) -> float | None:
        """Admit one request (None) or return the seconds until it would be admitted.

        A refused request takes no token from either bucket.
        """
        with self._lock:
            now = self._clock()
            buckets = [self._bucket(key, False)]
            if launch:
                buckets.append(self._bucket(key, True))
            waits = [bucket.wait(now) for bucket in buckets]
            if any(w > b.leeway for w, b in zip(waits, buckets, strict=True)):
                return max(waits)
            for bucket in buckets:
                bucket.take(now)
            return None


def retry_after_headers(seconds: float, *, at_least_one: bool = True) -> dict[str, str]:
    """``Retry-After`` in whole seconds (rounded up) and ``Retry-After-Ms`` in milliseconds."""
    # Rounded first, so float noise (0.010000000000000002 s) does not add a whole unit.
    whole = math.ceil(round(seconds, 6))
    millis = math.ceil(round(seconds * 1000, 3))
    if at_least_one:
        whole, millis = max(1, whole), max(1, millis)
    return {"Retry-After": str(whole), "Retry-After-Ms": str(millis)}
