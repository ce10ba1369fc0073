"""One pace for every process using a key, kept in Redis: processes sharing a key draw from one
pair of buckets, so the API has nothing to refuse; and a store that fails costs a warning and
the fallback to each process's own adaptive pacing, never a call."""

from __future__ import annotations

import asyncio
import time

import pytest

from lambda_cloud import AsyncLambdaCloud, RateLimit, RateLimits, SharedState
from lambda_cloud._ratelimit import SlotTooFar
from lambda_cloud.emulator import Emulator
from lambda_cloud.shared.pacing import SharedRateLimiter
from lambda_cloud.shared.store import Account, Store, namespace
from tests.sharing import run_processes

redis = pytest.importorskip("redis", reason="needs lambda-cloud[redis]")


async def test_processes_sharing_a_key_share_one_pace(redis_url: str) -> None:
    async with Emulator(time_scale=0.05, enforce_rate_limits=True) as emu:
        reports = await run_processes(emu, 3, 8, extra=("--shared", redis_url))
        throttled = emu.rate_limited()
    assert [report["raised"] for report in reports] == [[], [], []]
    assert sum(report["ok"] for report in reports) == 24
    # The store never hands out a slot past the limit (see below), but a request that leaves
    # its slot late (a busy machine) lets the next one arrive early by as much: at most a few,
    # retried, where processes pacing alone are refused at every turn.
    assert throttled <= 2


async def test_the_store_hands_out_slots_at_the_limit(redis_url: str) -> None:
    # Four processes' limiters (a store each, as separate processes have) ask at once: the
    # first five get the burst, the others one interval apart, whoever asks.
    limits = RateLimits(general=RateLimit(rate=10.0, burst=5), shared=redis_url)
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    limiters = [
        SharedRateLimiter(limits, Account(Store(SharedState.coerce(redis_url)), "n"), sleep=sleep)
        for _ in range(4)
    ]
    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire() for limiter in limiters for _ in range(3)))
    elapsed = time.monotonic() - started
    for limiter in limiters:
        await limiter.close()
    slots = sorted(delays)
    assert len(slots) == 7  # the burst did not wait
    for index, delay in enumerate(slots, start=1):  # asked over `elapsed` seconds
        assert index * 0.1 - elapsed - 0.001 <= delay <= index * 0.1 + 0.001


async def test_a_launch_takes_both_buckets_and_holds_the_launch_bucket(redis_url: str) -> None:
    limits = RateLimits(
        general=RateLimit(rate=1.0, burst=1), launch=RateLimit(rate=0.1, burst=1), shared=redis_url
    )
    clock = Recorder()
    account = Account(Store(SharedState.coerce(redis_url)), "n")
    limiter = SharedRateLimiter(limits, account, sleep=clock)
    try:
        assert await limiter.acquire(launch=True) == 0.0
        with pytest.raises(SlotTooFar) as info:  # the next launch is 10 s away
            await limiter.acquire(launch=True, max_wait=5.0)
        assert 9.0 < info.value.wait <= 10.0
        assert 0.0 < await limiter.acquire() <= 1.0  # a read: only the general bucket
        await limiter.throttled(retry_after=30.0)  # a 429 holds every process back
        with pytest.raises(SlotTooFar) as info:
            await limiter.acquire(max_wait=20.0)
        assert 29.0 < info.value.wait <= 30.0
    finally:
        await limiter.close()


class Recorder:
    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


async def test_the_api_key_never_reaches_the_store(redis_url: str) -> None:
    async with Emulator(time_scale=0.001) as emu:
        other = emu.add_account()
        limits = RateLimits(shared=redis_url).scaled(0.001)
        async with AsyncLambdaCloud(
            api_key=emu.api_key, base_url=emu.base_url, rate_limits=limits
        ) as client:
            await client.instances.launch(
                region_name="us-west-1",
                instance_type_name="gpu_1x_a10",
                ssh_key_names=[(await client.ssh_keys.create("k")).name],
            )
            await client.with_options(api_key=other).instances.list()
        mine, theirs = namespace(emu.api_key, emu.base_url), namespace(other, emu.base_url)
    store = redis.Redis.from_url(redis_url)
    try:
        keys = sorted(key.decode() for key in store.keys("*"))
        values = b"".join(store.get(key) or b"" for key in keys)
    finally:
        store.close()
    assert keys == sorted(
        [
            f"lambda-cloud:{{{mine}}}:pace:general",
            f"lambda-cloud:{{{mine}}}:pace:launch",
            f"lambda-cloud:{{{theirs}}}:pace:general",
        ]
    )
    for key in (emu.api_key, other):
        assert key not in "".join(keys) and key.encode() not in values
