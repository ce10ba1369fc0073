"""Pytest fixtures for testing code that talks to Lambda Cloud, against the local emulator.

Installed as a pytest plugin (entry point ``pytest11``: ``lambda_cloud``), so a project that
depends on ``lambda-cloud`` gets these fixtures without importing anything:

- ``lambda_emulator``: a running :class:`~lambda_cloud.emulator.Emulator` on a background
  thread, fresh for each test. Override ``lambda_emulator_options`` to change its arguments.
- ``lambda_client``: a ``lambda_cloud.LambdaCloud`` connected to it.
- ``async_lambda_client``: a ``lambda_cloud.AsyncLambdaCloud`` connected to it.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from lambda_cloud.emulator import Emulator

__all__ = [
    "async_lambda_client",
    "lambda_client",
    "lambda_emulator",
    "lambda_emulator_options",
]

try:  # pytest-asyncio's fixture decorator works in its strict mode too.
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - without pytest-asyncio, async fixtures cannot run
    _async_fixture = pytest.fixture  # type: ignore[assignment]


@pytest.fixture
def lambda_emulator_options() -> dict[str, Any]:
    """Keyword arguments for ``Emulator(...)``; override this fixture to change them.

    The default ``time_scale=0.01`` makes a one-second boot take ten milliseconds.
    """
    return {"time_scale": 0.01}


@pytest.fixture
def lambda_emulator(lambda_emulator_options: dict[str, Any]) -> Iterator[Emulator]:
    """A running emulator on a background thread, stopped after the test."""
    from lambda_cloud.emulator import Emulator

    with Emulator(**lambda_emulator_options) as emulator:
        yield emulator


def _client_kwargs(emulator: Emulator) -> dict[str, Any]:
    return {
        "api_key": emulator.api_key,
        "base_url": emulator.base_url,
        "rate_limits": emulator.rate_limits,
    }


@pytest.fixture
def lambda_client(lambda_emulator: Emulator) -> Iterator[Any]:
    """A ``lambda_cloud.LambdaCloud`` client talking to ``lambda_emulator``."""
    # Imported here so the plugin (and the emulator) load even where the client cannot.
    lambda_cloud = importlib.import_module("lambda_cloud")
    with lambda_cloud.LambdaCloud(**_client_kwargs(lambda_emulator)) as client:
        yield client


@_async_fixture
async def async_lambda_client(lambda_emulator: Emulator) -> AsyncIterator[Any]:
    """A ``lambda_cloud.AsyncLambdaCloud`` client talking to ``lambda_emulator``."""
    lambda_cloud = importlib.import_module("lambda_cloud")
    async with lambda_cloud.AsyncLambdaCloud(**_client_kwargs(lambda_emulator)) as client:
        yield client
