"""Fixtures for the fleet tests: a time-compressed emulator and a client for it, on virtual
time as in ``tests/bulk`` (the emulator's clock and the client's sleeps and timeouts are the
loop's, so no outcome depends on how busy the machine is)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from lambda_cloud import AsyncLambdaCloud
from lambda_cloud.emulator import Emulator

from ..bulk.helpers import KEY, make_client
from ..virtual_time import VirtualTimeLoop


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    """Virtual time for every async test here, but one marked ``real_time`` (it waits on
    another process, which a virtual clock cannot see)."""
    if item.get_closest_marker("real_time"):
        return {"real_time": asyncio.new_event_loop}
    return {"virtual_time": VirtualTimeLoop}


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    # Ended instances stay listed for 100 (virtual) seconds, so a plan can say how they ended.
    async with Emulator(time_scale=0.001, seed=22, terminated_retention=10**5) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AsyncLambdaCloud]:
    async with make_client(emu) as c:
        await c.ssh_keys.create(name=KEY)
        yield c
