"""Clocks the emulator can read its time from."""

from __future__ import annotations

import threading
import time
from asyncio import events

__all__ = ["ManualClock", "loop_time"]


def loop_time() -> float:
    """The emulator's default clock: the running event loop's time (what its held and delayed
    requests are timed by), or ``time.monotonic()`` when no loop runs. asyncio's loop reads
    ``time.monotonic()`` too; a test loop on virtual time drives the emulator along with it."""
    loop = events._get_running_loop()
    return time.monotonic() if loop is None else loop.time()


class ManualClock:
    """A clock that moves only when told to: pass it as ``Emulator(clock=...)``.

    Every lifecycle step and rate-limit bucket reads this clock, so a test decides exactly when
    an instance finishes booting by calling :meth:`advance`.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds``; return the new time."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now += seconds
            return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r})"
