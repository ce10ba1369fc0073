"""Server-side rate limiting: 429, Retry-After, and agreement with the client's limits."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from lambda_cloud._ratelimit import RateLimiter, RateLimits
from lambda_cloud.emulator import Emulator, ManualClock
from lambda_cloud.emulator.ratelimit import ServerRateLimiter

from .helpers import Api


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"enforce_rate_limits": True}


async def test_general_limit(api: Api, emu: Emulator, clock: ManualClock) -> None:
    for _ in range(5):
        assert (await api.get("/regions")).status == 200
    throttled = await api.get("/regions")
    assert throttled.status == 429
    assert throttled.body["error"]["code"] == "global/rate-limited"
    assert throttled.headers["Retry-After"] == "1"
    assert throttled.headers["Retry-After-Ms"] == "1000"
    assert emu.rate_limited_count == 1
    # Each API key has its own buckets.
    assert (await api.get("/regions", key=emu.add_account())).status == 200
    clock.advance(0.5)
    assert (await api.get("/regions")).headers["Retry-After-Ms"] == "500"
    clock.advance(0.5)
    assert (await api.get("/regions")).status == 200
    assert (await api.get("/regions")).status == 429
    assert emu.rate_limited_count == 3


async def test_429s_are_counted_per_key(api: Api, emu: Emulator, clock: ManualClock) -> None:
    other = emu.add_account()
    for _ in range(7):
        await api.get("/regions")
    for _ in range(6):
        await api.get("/regions", key=other)
    assert (emu.rate_limited(), emu.rate_limited(emu.api_key), emu.rate_limited(other)) == (2, 2, 1)
    assert emu.rate_limited("never-used") == 0
    assert emu.rate_limited_count == 3


async def test_bad_keys_are_not_rate_limited(api: Api, emu: Emulator) -> None:
    for _ in range(8):
        assert (await api.get("/regions", auth="Bearer nope")).status == 401
    assert emu.rate_limited_count == 0


async def test_launch_limit_and_throttled_launch_has_no_effect(
    keyed: Api, emu: Emulator, clock: ManualClock
) -> None:
    for _ in range(5):
        clock.advance(1)
        assert (await keyed.launch()).status == 200
    clock.advance(1)
    throttled = await keyed.launch()
    assert throttled.status == 429
    assert throttled.headers["Retry-After"] == "7"
    assert throttled.headers["Retry-After-Ms"] == "7000"
    assert len(emu.instances()) == 5
    # The refused launch took no token: the general bucket still serves a read right away.
    assert (await keyed.get("/instances")).status == 200
    clock.advance(7)
    assert (await keyed.launch()).status == 200


def test_a_refused_request_takes_no_token() -> None:
    clock = ManualClock()
    limiter = ServerRateLimiter(clock, time_scale=1.0)
    for _ in range(5):
        assert limiter.check("k") is None
    assert limiter.check("k") == pytest.approx(1.0)
    assert limiter.check("k") == pytest.approx(1.0)
    clock.advance(1.0)
    assert limiter.check("k") is None
    assert limiter.check("k") == pytest.approx(1.0)


async def test_scaled_headers_and_matching_client_limits() -> None:
    clock = ManualClock()
    async with (
        Emulator(clock=clock, time_scale=0.01, enforce_rate_limits=True) as emu,
        aiohttp.ClientSession() as session,
    ):
        assert RateLimits.coerce(emu.rate_limits) == RateLimits().scaled(0.01)
        api = Api(session, emu)
        for _ in range(5):
            await api.get("/regions")
        throttled = await api.get("/regions")
        assert throttled.headers["Retry-After"] == "1"  # whole seconds, at least 1
        assert throttled.headers["Retry-After-Ms"] == "10"


async def test_a_client_pacing_with_emu_rate_limits_is_never_throttled() -> None:
    # Client and server share one manual clock, so the check does not depend on scheduling
    # jitter: every request reaches the server exactly when the client's bucket allows.
    clock = ManualClock()

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    async with (
        Emulator(time_scale=0.01, enforce_rate_limits=True, clock=clock) as emu,
        aiohttp.ClientSession() as session,
    ):
        api = Api(session, emu)
        limiter = RateLimiter(RateLimits.coerce(emu.rate_limits), clock=clock, sleep=sleep)

        async def paced_get() -> int:
            await limiter.acquire()
            return (await api.get("/regions")).status

        async def paced_launch() -> int:
            await limiter.acquire(launch=True)
            return (await api.launch()).status

        await limiter.acquire()
        await api.add_key()
        # One at a time: with a shared manual clock, concurrent requests would all reach the
        # server at the latest time any of them advanced the clock to.
        statuses = [await paced_get() for _ in range(20)]
        statuses += [await paced_launch() for _ in range(7)]
        assert set(statuses) == {200}
        assert emu.rate_limited_count == 0
