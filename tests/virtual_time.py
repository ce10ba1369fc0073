"""An event loop on virtual time, for tests whose outcome must not depend on machine speed.

``VirtualTimeLoop.time()`` is a number that moves only when the loop has nothing to do: when
no callback is ready and no socket has anything to read or room to write, the loop jumps
straight to its next timer instead of sleeping until it. Every sleep, timeout and deadline on
the loop then lasts exactly what it says, in virtual seconds, and the work in between takes no
time at all. A loaded machine runs the same scenario more slowly, with the same timings: a
20 ms request timeout trips when the server holds the request 20 ms, never because the machine
was busy.

What reads the loop's clock: asyncio (``sleep``, ``wait_for``, ``timeout``, ``call_later``),
aiohttp (request and keep-alive timeouts), the client (deadlines, rate-limit buckets, the bulk
engine's horizons: all through ``lambda_cloud._clock.monotonic``), and an emulator started on
the loop with ``Emulator(clock=asyncio.get_running_loop().time)`` (lifecycles, its rate
limiter; its held and delayed requests are loop timers anyway).

Idle means idle only if everything the test waits for runs on this loop. That holds for an
emulator started with ``async with Emulator(...)`` and clients talking to it over loopback:

- Loopback TCP is delivered within the sending system call, so bytes one side wrote are
  readable by the other as soon as ``send()`` returns; asyncio and aiohttp set ``TCP_NODELAY``,
  so the kernel never holds a small write back waiting for an acknowledgement.
- Work handed to a thread (``run_in_executor``, ``to_thread``, ``getaddrinfo``, the executor's
  shutdown) stops the clock until it is back: the loop then waits for it in real time.
- With no timer at all the loop blocks as any loop would, until a thread or the outside world
  wakes it (a test that hangs that way is stopped by pytest-timeout).

An emulator on a background thread (``with Emulator()``) is not on the loop: do not use this
loop with one.
"""

from __future__ import annotations

import asyncio
import math
import selectors
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Executor
from typing import Any, TypeVar

__all__ = ["VirtualTimeLoop", "run"]

T = TypeVar("T")

#: Where the clock starts: a fixed value, so that a run repeats exactly (float rounding
#: included), and far enough from 0 that no "never happened" default of 0.0 looks recent.
START = 10_000.0


class _Selector:
    """The loop's selector, polled without blocking: when nothing is ready the loop is idle,
    and the virtual clock moves to the next timer instead of the loop sleeping until it."""

    def __init__(self, loop: VirtualTimeLoop, selector: selectors.BaseSelector) -> None:
        self._loop = loop
        self._selector = selector

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = self._selector.select(0)
        if events or timeout == 0:  # something to do, or callbacks already waiting
            return events
        if timeout is None or self._loop.threads_working:
            # No timer (only another thread or the outside world can wake the loop), or a
            # thread is working for the loop: wait for it in real time, the clock stopped.
            return self._selector.select(timeout)
        self._loop.advance(timeout)
        return events

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._selector.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._selector.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._selector.modify(fileobj, events, data)

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._selector.get_key(fileobj)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._selector.get_map()

    def close(self) -> None:
        self._selector.close()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``time()`` is virtual (see the module's docstring)."""

    def __init__(self, start: float = START) -> None:
        self._now = start
        #: Jobs handed to threads and not back yet: while any is, the clock stands still.
        self.threads_working = 0
        #: How often, and how far in all, the clock was moved forward (idle waits skipped).
        self.jumps = 0
        self.skipped = 0.0
        super().__init__(_Selector(self, selectors.DefaultSelector()))  # type: ignore[arg-type]

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward (landing exactly on the next timer, if that is
        where ``seconds`` leads, so float rounding never leaves it a hair short of due)."""
        scheduled: list[asyncio.TimerHandle] = self._scheduled  # type: ignore[attr-defined]
        due = scheduled[0].when() if scheduled else math.inf
        target = due if due - self._now <= seconds else self._now + seconds
        self.skipped += target - self._now
        self.jumps += 1
        self._now = max(self._now, target)

    def run_in_executor(
        self, executor: Executor | None, func: Callable[..., T], *args: Any
    ) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self._thread_started(future)
        return future

    async def shutdown_default_executor(self, *args: Any, **kwargs: Any) -> None:
        self.threads_working += 1
        try:
            await super().shutdown_default_executor(*args, **kwargs)
        finally:
            self.threads_working -= 1

    def _thread_started(self, future: asyncio.Future[Any]) -> None:
        self.threads_working += 1
        # Runs on the loop once the thread is done: until then the clock cannot move past it.
        future.add_done_callback(self._thread_done)

    def _thread_done(self, future: asyncio.Future[Any]) -> None:
        self.threads_working -= 1


def run(main: Coroutine[Any, Any, T], *, start: float = START) -> T:
    """``asyncio.run(main)`` on a fresh :class:`VirtualTimeLoop` (Python 3.10 has no
    ``asyncio.Runner`` to take a loop factory): tasks left over are cancelled, async
    generators finalized and the executor shut down before the loop closes."""
    loop = VirtualTimeLoop(start)
    try:
        return loop.run_until_complete(main)
    finally:
        try:
            _cancel_all_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """What ``asyncio.run`` does with the tasks still pending when ``main`` returns."""
    pending = asyncio.all_tasks(loop)
    if not pending:
        return
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    for task in pending:
        if task.cancelled():
            continue
        if task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during virtual_time.run() shutdown",
                    "exception": task.exception(),
                    "task": task,
                }
            )
