"""A point in time an operation must end by, on an injectable clock."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import math
from collections.abc import Callable, Iterator

from ._clock import monotonic

__all__ = ["Deadline", "current_deadline", "retrying_until"]


class Deadline:
    """The end of an operation's time budget; ``None`` seconds means no end."""

    def __init__(self, seconds: float | None, *, clock: Callable[[], float] = monotonic) -> None:
        self._clock = clock
        self._at = math.inf if seconds is None else clock() + seconds

    @property
    def finite(self) -> bool:
        """Whether there is an end at all."""
        return self._at != math.inf

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

    def earliest(self, other: Deadline) -> Deadline:
        """Whichever of the two ends first."""
        return self if self._at <= other._at else other

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, or until the deadline if that comes first."""
        await asyncio.sleep(min(seconds, self.remaining()))


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "lambda_cloud_deadline", default=None
)


@contextlib.contextmanager
def retrying_until(deadline: Deadline) -> Iterator[None]:
    """Within this block (and the tasks it starts), requests retry until ``deadline`` instead
    of a number of times: an operation's deadline reaches the requests made on its behalf, as
    a gRPC deadline does, without every method growing a parameter for it."""
    token = _current.set(deadline)
    try:
        yield
    finally:
        _current.reset(token)


def current_deadline() -> Deadline | None:
    """The deadline set by the innermost ``retrying_until``, if any."""
    return _current.get()
