"""Fixtures for the bulk operations' tests: a time-compressed emulator and a client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lambda_cloud import AsyncLambdaCloud
from lambda_cloud.emulator import Emulator

from .helpers import KEY, RequestLog, make_client


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
