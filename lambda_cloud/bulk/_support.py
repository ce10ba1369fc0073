"""What the bulk operations share: an overall deadline, persistent retries, argument checks."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

from .._retry import RetryPolicy, RetryRule, backoff_delay, retry_after_of, should_retry
from .._validation import check_ids
from ..errors import LambdaCloudError, RateLimitError, ValidationError
from .errors import DeadlineExceededError

if TYPE_CHECKING:
    from .._client import AsyncLambdaCloud

__all__ = [
    "Deadline",
    "call_persistently",
    "check_names",
    "check_positive",
    "distinct_ids",
    "retry_policy",
]

T = TypeVar("T")


class Deadline:
    """The end of an operation's time budget; ``None`` seconds means no end."""

    def __init__(
        self, seconds: float | None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._at = math.inf if seconds is None else clock() + seconds

    def remaining(self) -> float:
        """Seconds left (``inf`` without a deadline, never negative)."""
        return max(0.0, self._at - self._clock())

    @property
    def expired(self) -> bool:
        """Whether no time is left."""
        return self.remaining() <= 0.0

    def allows(self, seconds: float) -> bool:
        """Whether waiting ``seconds`` still ends before the deadline."""
        return seconds < self.remaining()

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, or until the deadline if that comes first."""
        await asyncio.sleep(min(seconds, self.remaining()))


def retry_policy(client: AsyncLambdaCloud, retries: int | RetryPolicy | None) -> RetryPolicy:
    """The policy a bulk operation spaces its own retries with: the call's, else the client's."""
    return client._transport.retry_policy if retries is None else RetryPolicy.coerce(retries)


async def call_persistently(
    call: Callable[[], Awaitable[T]],
    *,
    deadline: Deadline,
    policy: RetryPolicy,
    until_deadline: bool = False,
) -> T:
    """Run a safe-to-repeat request until it succeeds.

    The transport already retried it under ``policy``; this adds rounds on top, so a bulk
    operation rides out a longer outage. A 429 means nothing happened, so it is retried for as
    long as the deadline allows; other transient failures get ``policy.max_retries`` more
    rounds, or (``until_deadline``, for a finite ``deadline``) as many as the deadline allows.
    Running out of time raises ``DeadlineExceededError`` (a 429 never surfaces).
    """
    attempt = failures = 0
    while True:
        try:
            return await call()
        except LambdaCloudError as exc:
            if not should_retry(exc, RetryRule.SAFE):
                raise
            throttled = isinstance(exc, RateLimitError)
            if not throttled and not until_deadline:
                failures += 1
                if failures > policy.max_retries:
                    raise
            delay = backoff_delay(policy, attempt, retry_after_of(exc))
            attempt += 1
            if not deadline.allows(delay):
                raise DeadlineExceededError(f"gave up retrying at the deadline: {exc}") from exc
            await asyncio.sleep(delay)


def distinct_ids(ids: Iterable[str], field: str = "ids") -> list[str]:
    """Validated ids with duplicates dropped, first occurrence first."""
    return list(dict.fromkeys(check_ids(ids, field)))


def check_positive(value: float, field: str, *, integer: bool = False) -> None:
    """A positive number (an ``int`` when ``integer``), else ``ValidationError``."""
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    if (
        isinstance(value, bool)
        or not isinstance(value, kinds)
        or not 0 < value < math.inf  # an infinite poll interval would sleep forever
    ):
        expected = "a positive integer" if integer else "a positive finite number"
        raise ValidationError(field, f"must be {expected}, got {value!r}")


def check_names(values: Sequence[str] | None, field: str) -> list[str] | None:
    """A non-empty list of distinct non-empty strings, or ``None``."""
    if values is None:
        return None
    if isinstance(values, str):
        raise ValidationError(field, "expected a list, got a single string")
    names = list(dict.fromkeys(values))
    if not names or not all(isinstance(v, str) and v for v in names):
        raise ValidationError(field, "expected a non-empty list of non-empty strings")
    return names
