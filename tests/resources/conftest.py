"""Fixtures for the resource tests: an emulator on a manual clock, and ``api``, which runs each
call through the async client or the generated sync facade (the same test, twice)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from lambda_cloud import AsyncLambdaCloud, LambdaCloud, RetryPolicy
from lambda_cloud.emulator import Emulator, Fault, ManualClock
from lambda_cloud.types import FirewallRule, NetworkProtocol

#: Retries without waiting, so retry tests cost no time.
NO_WAIT_RETRIES = RetryPolicy(max_retries=2, initial_delay=0, max_delay=0, jitter=0)

Call = Callable[[Any], Any]


class Api:
    """Runs ``fn(client)`` on an async client or on the sync facade (in a worker thread, so the
    emulator on this loop keeps serving). Async iterators and iterators come back as lists."""

    def __init__(self, mode: str, emu: Emulator) -> None:
        self.mode = mode
        self.emu = emu
        self.client = self._client(emu.api_key)

    def _client(self, api_key: str) -> Any:
        cls = AsyncLambdaCloud if self.mode == "async" else LambdaCloud
        return cls(
            api_key=api_key,
            base_url=self.emu.base_url,
            rate_limits=None,
            max_retries=NO_WAIT_RETRIES,
        )

    async def __call__(self, fn: Call, *, api_key: str | None = None) -> Any:
        client = self.client if api_key is None else self._client(api_key)
        try:
            return await self._run(client, fn)
        finally:
            if client is not self.client:
                await self._close(client)

    async def _run(self, client: Any, fn: Call) -> Any:
        if self.mode == "async":
            result = fn(client)
            if inspect.isawaitable(result):
                return await result
            if hasattr(result, "__aiter__"):
                return [item async for item in result]
            return result

        def run() -> Any:
            result = fn(client)
            return list(result) if isinstance(result, Iterator) else result

        return await asyncio.to_thread(run)

    async def _close(self, client: Any) -> None:
        if self.mode == "async":
            await client.aclose()
        else:
            await asyncio.to_thread(client.close)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
async def emu(clock: ManualClock) -> AsyncIterator[Emulator]:
    async with Emulator(clock=clock, seed=7) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AsyncLambdaCloud]:
    """An async client, for tests that need no sync twin."""
    async with AsyncLambdaCloud(
        api_key=emu.api_key, base_url=emu.base_url, rate_limits=None, max_retries=NO_WAIT_RETRIES
    ) as c:
        yield c


@pytest.fixture(params=["async", "sync"])
async def api(request: pytest.FixtureRequest, emu: Emulator) -> AsyncIterator[Api]:
    wrapper = Api(request.param, emu)
    try:
        yield wrapper
    finally:
        await wrapper._close(wrapper.client)


@pytest.fixture
def unsent(emu: Emulator) -> Iterator[None]:
    """Fails the test if any request reaches the emulator (for client-side validation)."""
    tripwire = emu.faults.add(Fault(kind="status", status=500, code="test/request-was-sent"))
    yield
    assert tripwire.fired == 0, "a request was sent"


def tcp(port: int, source: str = "0.0.0.0/0", description: str = "") -> FirewallRule:
    """A rule allowing TCP to one port."""
    return FirewallRule(
        protocol=NetworkProtocol.TCP,
        port_range=(port, port),
        source_network=source,
        description=description,
    )


async def ssh_key(api: Api, name: str = "key") -> str:
    """Add a generated SSH key; return its name, for launches."""
    await api(lambda c: c.ssh_keys.create(name))
    return name


async def launch(api: Api, *, region: str = "us-west-1", **options: Any) -> str:
    """Launch one gpu_1x_a10 with a fresh SSH key; return the instance id."""
    key = await ssh_key(api, f"key-{len(api.emu.instances())}")
    ids = await api(
        lambda c: c.instances.launch(
            region_name=region,
            instance_type_name="gpu_1x_a10",
            ssh_key_names=[key],
            **options,
        )
    )
    return str(ids[0])


async def terminate(api: Api, clock: ManualClock, instance_id: str) -> None:
    """Terminate an instance and let it reach ``terminated``."""
    await api(lambda c: c.instances.terminate([instance_id]))
    clock.advance(3600)
