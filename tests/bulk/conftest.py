"""Fixtures for the bulk operations' tests: a time-compressed emulator and a client for it.

Every async test here (and its fixtures) runs on virtual time: ``tests/virtual_time.py``'s
loop, whose clock the emulator (its default clock is the running loop's) and the client (its
deadlines, buckets and horizons read ``lambda_cloud._clock``) both read. A request timeout,
settle horizon, deadline, poll interval or fault delay lasts exactly what it says, and work in
between takes no time: a scenario's outcome does not depend on how busy the machine is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from lambda_cloud import AsyncLambdaCloud
from lambda_cloud.emulator import Emulator

from ..virtual_time import VirtualTimeLoop
from .helpers import KEY, RequestLog, make_client


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    """pytest-asyncio's hook (1.4+): the loop this folder's async tests and fixtures run on.

    A test marked ``real_time`` waits on another process, which a virtual clock cannot see
    (it would skip ahead while the other side works): it runs on asyncio's own loop."""
    if item.get_closest_marker("real_time"):
        return {"real_time": asyncio.new_event_loop}
    return {"virtual_time": VirtualTimeLoop}


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(time_scale=0.001, seed=7) as emulator:
        yield emulator


@pytest.fixture
def requests() -> RequestLog:
    return RequestLog()


@pytest.fixture
async def client(emu: Emulator, requests: RequestLog) -> AsyncIterator[AsyncLambdaCloud]:
    async with make_client(emu, requests) as c:
        await c.ssh_keys.create(name=KEY)
        requests.clear()
        yield c
