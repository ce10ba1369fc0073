"""Two appliers of one fleet with a shared store: the run lease makes the second wait its turn
(``RunLeasedError``), and once the first is done, the second adopts what it launched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    Hunt,
    ProgressEvent,
    ProgressKind,
    RateLimits,
    RunLeasedError,
)
from lambda_cloud.emulator import Emulator
from lambda_cloud.fleets import Fleet

pytest.importorskip("redis", reason="needs lambda-cloud[redis]")

TYPE, REGION = "gpu_1x_a10", "us-west-1"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(time_scale=0.001, capacity={}) as emulator:
        yield emulator


def client_for(emu: Emulator, redis_url: str) -> AsyncLambdaCloud:
    """A client of its own store connection, as another process's would be."""
    limits = RateLimits(shared=redis_url).scaled(0.001)
    return AsyncLambdaCloud(api_key=emu.api_key, base_url=emu.base_url, rate_limits=limits)


async def test_a_second_applier_waits_its_turn_then_adopts(emu: Emulator, redis_url: str) -> None:
    hunting = asyncio.Event()

    def progress(event: ProgressEvent) -> None:
        if event.kind is ProgressKind.WAITING_FOR_CAPACITY:
            hunting.set()

    fleet = Fleet(
        name="leased",
        count=3,
        instance_type_names=[TYPE],
        ssh_key_names=["k"],
        hunt=Hunt(timeout=3600, poll_interval=0.01),
    )
    async with client_for(emu, redis_url) as first, client_for(emu, redis_url) as second:
        await first.ssh_keys.create("k")
        applying = asyncio.ensure_future(first.fleets.apply(fleet, on_progress=progress))
        await hunting.wait()  # the first holds the lease on fleet-leased, waiting for capacity
        with pytest.raises(RunLeasedError) as info:
            await second.fleets.apply(fleet)
        assert info.value.run_id == "fleet-leased"
        emu.set_capacity(TYPE, REGION, 5)
        report = await asyncio.wait_for(applying, 30)
        assert report.converged, report.summary()
        after = await second.fleets.apply(fleet)
        assert after.converged and after.launched is None
        assert sorted(after.live) == sorted(report.live)
        assert len([i for i in emu.instances() if i["status"] != "terminated"]) == 3
