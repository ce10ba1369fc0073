"""The one clock the client measures time on: the running event loop's.

Deadlines, rate-limit buckets and the bulk engine's horizons are compared with the sleeps and
timeouts that end them, and those run on the event loop's clock (``loop.time()``: asyncio's
``sleep``, ``wait_for`` and ``timeout``, aiohttp's request timeouts). Reading the same clock
keeps the two consistent on any loop, including one whose time is not the wall clock's (a test
loop that runs on virtual time). asyncio's own loop reads ``time.monotonic()``, so nothing
changes there; outside a running loop ``time.monotonic()`` is read directly.
"""

from __future__ import annotations

import time
from asyncio import events

__all__ = ["monotonic"]


def monotonic() -> float:
    """Seconds on the running loop's clock (``time.monotonic()`` when no loop runs)."""
    loop = events._get_running_loop()
    return time.monotonic() if loop is None else loop.time()
