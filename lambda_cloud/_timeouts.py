"""``within``: ``asyncio.wait_for`` without its lost cancellation.

Before Python 3.12, ``wait_for`` returns the result, and drops the cancellation, when its task is
cancelled in the same turn of the loop as the awaited one completes: a loop around it then never
sees the cancel (a lease renewer that renews forever, a cancelled run that waits on). ``within``
always lets the cancellation through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["within"]

T = TypeVar("T")


async def within(awaitable: Awaitable[T], seconds: float) -> T:
    """``await awaitable``, or ``asyncio.TimeoutError`` after ``seconds``; the awaitable is
    cancelled, and awaited, on a timeout or when the caller is cancelled."""
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait([task], timeout=seconds)
    except asyncio.CancelledError:
        await _stop(task)
        raise
    if not done:
        await _stop(task)
        raise asyncio.TimeoutError
    return task.result()


async def _stop(task: asyncio.Future[T]) -> None:
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()  # retrieved: the caller's cancel or timeout is the outcome
