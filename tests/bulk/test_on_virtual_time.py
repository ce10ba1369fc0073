"""This folder's async tests run on virtual time (``conftest.py``), emulator and client alike."""

from __future__ import annotations

import asyncio
from typing import cast

from lambda_cloud import AsyncLambdaCloud
from lambda_cloud._clock import monotonic
from lambda_cloud._deadline import Deadline
from lambda_cloud.bulk.api import InstancesAPI
from lambda_cloud.bulk.inventory import Inventory
from lambda_cloud.emulator import Emulator
from lambda_cloud.types.instances import Instance

from ..virtual_time import START, VirtualTimeLoop
from .helpers import KEY, LIMIT


async def test_the_loop_is_on_virtual_time(emu: Emulator) -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop)
    assert emu.clock() == monotonic() == loop.time() >= START
    start = loop.time()
    await asyncio.sleep(3600)
    assert loop.time() == start + 3600
    assert emu.clock() == loop.time()


async def test_a_boot_is_waited_for_to_the_poll_in_virtual_time(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """The fixture's emulator compresses time 1000 times: the one-second boot is 1 ms."""
    loop = asyncio.get_running_loop()
    [instance_id] = await client.instances.launch(
        region_name="us-west-1", instance_type_name="gpu_1x_a10", ssh_key_names=[KEY]
    )
    start = loop.time()
    [instance] = await client.instances.wait_for(
        [instance_id], "active", poll_interval=0.0005, timeout=LIMIT
    )
    assert instance.status == "active"
    assert 0.001 <= loop.time() - start <= 0.0015


async def test_a_lookup_never_reuses_a_listing_begun_at_the_same_clock_reading() -> None:
    """A clock that reads the same before and after something happened (virtual time here;
    a millisecond loop clock, or Windows' ``time.monotonic()`` before Python 3.13) must not make
    the run reuse a listing from before it: a late launch's instance would go unseen."""
    listed: list[float] = []

    class API:
        async def list_instances(self, deadline: Deadline) -> list[Instance]:
            listed.append(monotonic())
            return []

    inventory = Inventory(cast(InstancesAPI, API()), "run")
    await inventory.lookup(Deadline(1.0))
    await inventory.lookup(Deadline(1.0))
    assert len(listed) == 2 and listed[0] == listed[1]
