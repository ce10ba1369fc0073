"""Waiting for a rate-limit slot counts against the call's timeout, and a wait that alone would
pass it raises ``PacingTimeoutError`` before anything is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from lambda_cloud import (
    APITimeoutError,
    AsyncLambdaCloud,
    PacingTimeoutError,
    RateLimit,
    RateLimits,
)
from lambda_cloud._ratelimit import RateLimiter
from tests.conftest import Canned

LIMITS = RateLimits(general=RateLimit(rate=1.0, burst=1), launch=RateLimit(rate=0.1, burst=1))


def still_limiter(client: AsyncLambdaCloud) -> list[float]:
    """Give ``client`` a limiter whose clock never moves and whose waits are instant; return
    the waits it was asked for."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client._transport.rate_limiter = RateLimiter(LIMITS, clock=lambda: 50.0, sleep=sleep)
    return slept


async def test_a_wait_past_the_timeout_raises_before_sending(canned: Canned) -> None:
    canned.reply(200, {"data": []})
    async with AsyncLambdaCloud(
        api_key="k", base_url=canned.base_url, rate_limits=LIMITS, timeout=2.5
    ) as client:
        slept = still_limiter(client)
        for _ in range(3):  # slots at 0, 1 and 2 seconds: within the timeout
            await client.instances.list()
        with pytest.raises(PacingTimeoutError) as info:
            await client.instances.list()  # its slot is 3 s away
    assert slept == [1.0, 2.0]
    assert len(canned.requests) == 3
    error = info.value
    assert isinstance(error, APITimeoutError)
    assert error.sent is False
    assert (error.wait, error.timeout) == (3.0, 2.5)
    assert "nothing was sent" in str(error)


async def test_the_refused_call_takes_no_slot(canned: Canned) -> None:
    canned.reply(200, {"data": []})
    async with AsyncLambdaCloud(
        api_key="k", base_url=canned.base_url, rate_limits=LIMITS, timeout=1.5
    ) as client:
        slept = still_limiter(client)
        await client.instances.list()
        await client.instances.list()
        for _ in range(3):
            with pytest.raises(PacingTimeoutError):
                await client.instances.list()
        # A longer per-call timeout still gets the very next slot (2 s), not one behind the
        # refused calls.
        await client.instances.list(timeout=10)
    assert slept == [1.0, 2.0]


async def test_a_launch_waiting_for_its_bucket_is_refused_not_unknown(canned: Canned) -> None:
    canned.reply(200, {"data": {"instance_ids": ["i-1"]}})
    async with AsyncLambdaCloud(
        api_key="k", base_url=canned.base_url, rate_limits=LIMITS, timeout=5
    ) as client:
        still_limiter(client)
        launch = {"region_name": "us-east-1", "instance_type_name": "t", "ssh_key_names": ["k"]}
        assert await client.instances.launch(**launch) == ["i-1"]  # type: ignore[arg-type]
        with pytest.raises(PacingTimeoutError) as info:  # the launch bucket: 10 s away
            await client.instances.launch(**launch)  # type: ignore[arg-type]
    assert info.value.wait == 10.0
    assert len(canned.requests) == 1


@pytest.fixture
async def slow_url() -> AsyncIterator[str]:
    """A server answering every request after 0.4 s."""

    async def handle(request: web.Request) -> web.Response:
        await asyncio.sleep(0.4)
        return web.json_response({"data": []})

    app = web.Application()
    app.router.add_get("/api/v1/instances", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/api/v1"
    finally:
        await runner.cleanup()


async def test_the_wait_is_taken_from_the_time_left_to_answer(slow_url: str) -> None:
    async with AsyncLambdaCloud(
        api_key="k", base_url=slow_url, rate_limits=LIMITS, timeout=1.2, max_retries=0
    ) as client:
        slept = still_limiter(client)
        assert await client.instances.list() == []  # no wait: 1.2 s for a 0.4 s answer
        with pytest.raises(APITimeoutError) as info:
            await client.instances.list()  # waited 1 s for its slot: 0.2 s left
    assert slept == [1.0]
    assert not isinstance(info.value, PacingTimeoutError)
    assert info.value.sent is True
