"""The virtual-time loop the load-independent tests run on (``tests/virtual_time.py``), and the
client's clock (``lambda_cloud._clock``), which follows whatever loop runs it."""

from __future__ import annotations

import asyncio
import time

import pytest

from lambda_cloud import APITimeoutError, AsyncLambdaCloud
from lambda_cloud._clock import monotonic
from lambda_cloud._deadline import Deadline
from lambda_cloud._ratelimit import RateLimiter, RateLimits
from lambda_cloud.emulator import Emulator, Fault

from .. import virtual_time
from ..conftest import FAST_RETRIES, PUBLIC_KEY


def test_an_idle_loop_jumps_to_its_next_timer() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.sleep(3600)
        slept = loop.time() - start
        with pytest.raises(asyncio.TimeoutError):  # past asyncio's longest select (one day)
            await asyncio.wait_for(asyncio.Event().wait(), 86_400 * 3)
        return slept, loop.time() - start

    slept, total = virtual_time.run(main(), start=100.0)
    assert slept == 3600
    assert total == 3600 + 86_400 * 3


def test_timers_fire_in_order_at_their_time() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        fired: list[tuple[str, float]] = []
        for name, delay in (("c", 0.3), ("a", 0.1), ("b", 0.2)):
            loop.call_later(delay, lambda n=name: fired.append((n, loop.time())))
        await asyncio.sleep(1)
        return fired

    assert virtual_time.run(main(), start=0.0) == [("a", 0.1), ("b", 0.2), ("c", 0.3)]


def test_the_clock_waits_for_a_thread() -> None:
    """A job handed to a thread stops the clock: a timer due before the job ends does not
    fire first, however long the job takes in real time."""

    async def main() -> tuple[bool, bool, float]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        job = loop.run_in_executor(None, time.sleep, 0.05)
        timer = asyncio.ensure_future(asyncio.sleep(0.001))
        await asyncio.wait([job, timer], return_when=asyncio.FIRST_COMPLETED)
        job_first, timer_first = job.done(), timer.done()
        await timer
        return job_first, timer_first, loop.time() - start

    job_first, timer_first, elapsed = virtual_time.run(main())
    assert job_first and not timer_first
    assert elapsed == pytest.approx(0.001)


def test_a_request_in_flight_does_not_let_the_clock_run() -> None:
    """A server on the loop answers within no virtual time at all: a 1 ms request timeout never
    trips on a busy machine; a server holding the request 2 ms trips it, after exactly 1 ms."""

    async def main() -> tuple[list[float], float]:
        loop = asyncio.get_running_loop()
        async with (
            Emulator(clock=loop.time, seed=1) as emu,
            AsyncLambdaCloud(
                api_key=emu.api_key, base_url=emu.base_url, rate_limits=None, timeout=0.001
            ) as client,
        ):
            took = []
            for _ in range(20):
                start = loop.time()
                await client.instances.list()
                took.append(loop.time() - start)
            emu.faults.add(Fault(kind="delay", delay=0.002, method="GET", path="/instances"))
            start = loop.time()
            with pytest.raises(APITimeoutError):
                await client.instances.list(max_retries=0)
            return took, loop.time() - start

    took, timed_out_after = virtual_time.run(main())
    assert took == [0.0] * 20
    assert timed_out_after == pytest.approx(0.001)


def test_the_emulator_and_the_client_share_the_virtual_clock() -> None:
    """An hour-long boot, waited for with the client's own polls and deadline, on a loop that
    skips the idle hour."""

    async def main() -> tuple[str, float]:
        loop = asyncio.get_running_loop()
        async with (
            Emulator(clock=loop.time, seed=1, boot_delay=3600) as emu,
            AsyncLambdaCloud(
                api_key=emu.api_key,
                base_url=emu.base_url,
                rate_limits=None,
                max_retries=FAST_RETRIES,
            ) as client,
        ):
            await client.ssh_keys.create("k", PUBLIC_KEY)
            [instance_id] = await client.instances.launch(
                region_name="us-west-1", instance_type_name="gpu_1x_a10", ssh_key_names=["k"]
            )
            start = loop.time()
            [instance] = await client.instances.wait_for(
                [instance_id], "active", poll_interval=60, timeout=7200
            )
            return instance.status.value, loop.time() - start

    status, waited = virtual_time.run(main())
    assert status == "active"
    assert 3600 <= waited <= 3660  # the first poll at or after the boot's end


def test_the_client_clock_is_the_running_loops() -> None:
    async def main() -> tuple[float, float, float, float]:
        loop = asyncio.get_running_loop()
        deadline = Deadline(10.0)
        limiter = RateLimiter(RateLimits.coerce({"general": {"rate": 1.0, "burst": 1}}))
        await limiter.acquire()
        waited = await limiter.acquire()  # one a second: the second waits a (virtual) second
        return monotonic(), loop.time(), deadline.remaining(), waited

    now, loop_now, remaining, waited = virtual_time.run(main(), start=50.0)
    assert now == loop_now == 51.0
    assert remaining == 9.0
    assert waited == 1.0


def test_the_client_clock_without_a_loop_is_monotonic() -> None:
    before = time.monotonic()
    now = monotonic()
    assert before <= now <= time.monotonic()


async def test_the_client_clock_on_an_ordinary_loop_is_its_time() -> None:
    assert monotonic() <= asyncio.get_running_loop().time()


async def test_only_tests_bulk_runs_on_virtual_time() -> None:
    # tests/bulk/conftest.py's loop hook is its folder's alone (tests/bulk/test_on_virtual_time.py
    # checks the other side): an async test elsewhere runs on asyncio's own loop.
    assert not isinstance(asyncio.get_running_loop(), virtual_time.VirtualTimeLoop)
