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
from lambda_cloud.emulator.ratelimit import ServerRateLimiter
from lambda_cloud.shared.pacing import SharedRateLimiter
from lambda_cloud.shared.store import Account, Store, namespace
from tests.sharing import run_processes

redis = pytest.importorskip("redis", reason="needs lambda-cloud[redis]")


async def test_processes_sharing_a_key_share_one_pace(redis_url: str) -> None:
    # A request every 200 ms: the store's margin (half of that, see below) covers a process's
    # first request arriving up to 100 ms later than a later one, on a loaded machine too.
    async with Emulator(time_scale=0.2, enforce_rate_limits=True) as emu:
        reports = await run_processes(emu, 3, 8, extra=("--shared", redis_url))
        throttled = emu.rate_limited()
    assert [report["raised"] for report in reports] == [[], [], []]
    assert sum(report["ok"] for report in reports) == 24
    assert throttled == 0  # the store never hands out a slot the API would refuse


async def test_the_store_hands_out_slots_at_the_limit(redis_url: str) -> None:
    # Four processes' limiters (a store each, as separate processes have) ask at once: the
    # first four get the burst, the fifth half an interval later (the margin), the others one
    # interval apart from then, whoever asks. A request a second (the sleeps are recorded, not
    # slept): the asking may take up to the margin, half a second, however loaded the machine
    # (at ten a second, a fifth request asked 50 ms after the first found no wait left).
    limits = RateLimits(general=RateLimit(rate=1.0, burst=5), shared=redis_url)
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
    assert len(slots) == 8  # the burst's first four did not wait
    for index, delay in enumerate(slots):  # asked over `elapsed` seconds
        assert 0.5 + index * 1.0 - elapsed - 0.001 <= delay <= 0.5 + index * 1.0 + 0.001


async def test_a_first_request_that_reaches_the_api_late_costs_no_429(redis_url: str) -> None:
    # A process's first request opens its connection: it reaches the API later than its slot,
    # and the API's bucket starts from then, not from when the store handed the slot out. The
    # requests after the burst, sent on time, must still not be early for the API. Slots are
    # taken at once (the sleeps are recorded, not slept) and played against the emulator's
    # limiter: a request leaves when its slot comes and takes 10 ms to arrive; the burst's
    # five, each the first of its process, take 400 ms. A request every two seconds, so the
    # margin (a second) leaves 600 ms for the machine's hiccups between the store's clock and
    # this test's (half a second left 100 ms).
    limits = RateLimits(shared=redis_url).scaled(2.0)  # bursts of five
    account = Account(Store(SharedState.coerce(redis_url)), "late")
    arrived = [0.0]  # the emulator's clock: when the request it checks arrived
    server = ServerRateLimiter(lambda: arrived[0], 2.0)
    arrivals = []
    limiter = SharedRateLimiter(limits, account, sleep=Recorder())
    started = time.monotonic()
    try:
        for index in range(10):
            delay = await limiter.acquire()
            asked = time.monotonic() - started
            arrivals.append(asked + delay + (0.4 if index < 5 else 0.01))
    finally:
        await limiter.close()
    refused = []
    for index, at in sorted(enumerate(arrivals), key=lambda pair: pair[1]):
        arrived[0] = at
        if server.check("key") is not None:
            refused.append(index)
    assert refused == []


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
        assert 10.0 < info.value.wait <= 11.0  # and a second's margin (see above)
        assert 0.0 < await limiter.acquire() <= 1.5  # a read: only the general bucket
        await limiter.throttled(retry_after=30.0)  # a 429 holds every process back
        with pytest.raises(SlotTooFar) as info:
            await limiter.acquire(max_wait=20.0)
        assert 29.5 < info.value.wait <= 30.5
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
