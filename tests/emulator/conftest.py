"""Fixtures for the emulator's own tests: a manual clock and a plain aiohttp session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from lambda_cloud.emulator import Emulator, ManualClock

# The plugin's fixtures, for runs where the package's pytest11 entry point is not installed.
from lambda_cloud.testing import (  # noqa: F401
    async_lambda_client,
    lambda_client,
    lambda_emulator,
    lambda_emulator_options,
)

from .helpers import Api


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {}


@pytest.fixture
async def emu(clock: ManualClock, emulator_options: dict[str, Any]) -> AsyncIterator[Emulator]:
    async with Emulator(clock=clock, seed=1234, **emulator_options) as emulator:
        yield emulator


@pytest.fixture
async def api(emu: Emulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, emu)


@pytest.fixture
async def keyed(api: Api) -> Api:
    """``api`` with an SSH key named ``my-key`` already added."""
    await api.add_key()
    return api
