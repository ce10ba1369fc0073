"""Adaptive pacing: a 429 slows the bucket it hit down, requests let through speed it up again,
and a throttled call is retried until its time is up; so processes sharing a key, each unaware
of the others, all get their calls through."""

from __future__ import annotations

import pytest

from lambda_cloud import RateLimit, RateLimits
from lambda_cloud._ratelimit import RateLimiter, SlotTooFar, recovered
from lambda_cloud.emulator import Emulator

from ..sharing import run_processes

LIMITS = RateLimits(general=RateLimit(rate=1.0, burst=5), launch=RateLimit(rate=0.1, burst=2))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(clock: Clock, limits: RateLimits = LIMITS) -> RateLimiter:
    return RateLimiter(limits, clock=clock, sleep=clock.sleep, rand=lambda: 0.0)


async def test_a_429_slows_the_bucket_down_and_time_speeds_it_up() -> None:
    clock = Clock()
    pacer = limiter(clock)
    await pacer.acquire()
    await pacer.throttled(retry_after=2.0)
    assert pacer.rates == {"general": pytest.approx(0.7), "launch": 0.1}
    # The server's Retry-After first; then one request per (slower) interval, no burst.
    assert await pacer.acquire() == pytest.approx(2.0)
    # The slot reserved at the cut's pace; two seconds on, the pace is already recovering.
    assert await pacer.acquire() == pytest.approx(1 / 0.7)
    assert 0.7 < pacer.rates["general"] < 1.0
    rates = []
    for _ in range(6):
        clock.now += 1.0
        rates.append(pacer.rates["general"])
    # Back to the pace it was refused at, lingering there, then past it; never past the limit.
    assert rates == sorted(rates)
    assert rates[-1] == 1.0


async def test_one_cut_per_interval_and_a_floor() -> None:
    clock = Clock()
    pacer = limiter(clock)
    for _ in range(5):  # a burst refused at once says no more than one refusal
        await pacer.throttled()
    assert pacer.rates["general"] == pytest.approx(0.7)
    clock.now += 0.5  # within an interval of the limit: no second cut
    await pacer.throttled()
    assert pacer.rates["general"] > 0.7
    clock.now += 1.0  # past it
    await pacer.throttled()
    assert pacer.rates["general"] == pytest.approx(0.7 * recovered(1.0, 1.5))
    for _ in range(30):  # refused every interval of the limit: down near the floor
        clock.now += 1.0
        await pacer.throttled()
        assert pacer.rates["general"] >= 1.0 / 16.0
    assert pacer.rates["general"] < 0.1


async def test_the_refused_request_gives_its_slot_back() -> None:
    clock = Clock()
    pacer = limiter(clock, RateLimits(general=RateLimit(rate=1.0, burst=1)))
    await pacer.acquire()
    await pacer.throttled(retry_after=0.25)
    # Sent again once the server says, not an interval after the slot it was refused in.
    assert await pacer.acquire() == pytest.approx(0.25)


async def test_a_launch_429_slows_the_launch_bucket_only() -> None:
    clock = Clock()
    pacer = limiter(clock)
    await pacer.throttled(launch=True, retry_after=5.0)
    assert pacer.rates == {"general": 1.0, "launch": pytest.approx(0.07)}
    assert await pacer.acquire() == 0.0  # reads are not held up
    with pytest.raises(SlotTooFar) as info:
        await pacer.acquire(launch=True, max_wait=4.0)
    assert info.value.wait == pytest.approx(5.0)
    assert await pacer.acquire(launch=True) == pytest.approx(5.0)
    assert 0.07 < pacer.rates["launch"] < 0.1  # recovering, five seconds on


async def test_fixed_pacing_holds_but_keeps_its_rate() -> None:
    clock = Clock()
    pacer = limiter(clock, RateLimits(adaptive=False))
    await pacer.throttled(retry_after=3.0)
    assert pacer.rates["general"] == 1.0
    assert await pacer.acquire() == pytest.approx(3.0)


async def test_a_hold_is_spread_over_one_interval_of_the_limit_within_the_cap() -> None:
    clock = Clock()
    pacer = RateLimiter(LIMITS, clock=clock, sleep=clock.sleep, rand=lambda: 1.0)
    await pacer.throttled(retry_after=1.0)
    assert await pacer.acquire() == pytest.approx(1.0 + 1.0)
    clock.now += 10.0
    await pacer.throttled(retry_after=30.0, cap=0.25)
    assert await pacer.acquire() == pytest.approx(0.25)


async def test_processes_sharing_a_key_all_get_their_calls_through() -> None:
    # Three processes, default settings in compressed time: each alone would burst five and
    # pace at the limit, so together they are throttled, and must slow down rather than raise.
    async with Emulator(time_scale=0.05, enforce_rate_limits=True) as emu:
        reports = await run_processes(emu, 3, 8)
        throttled = emu.rate_limited()
    assert [report["raised"] for report in reports] == [[], [], []]
    assert sum(report["ok"] for report in reports) == 24
    assert throttled > 0  # they did get in each other's way
