"""Run leases: one ``launch_many`` of a run id at a time, wherever it runs. A second run is
refused with ``RunLeasedError`` before it launches anything; the lease is renewed while its run
goes, released when it ends, and lapses when its holder crashed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    BulkLaunchReport,
    Hunt,
    ProgressEvent,
    ProgressKind,
    RateLimits,
    RunLeasedError,
    SharedState,
    SharedStateError,
)
from lambda_cloud.emulator import Emulator
from lambda_cloud.shared.store import Store, namespace
from tests.sharing import ROOT

redis = pytest.importorskip("redis", reason="needs lambda-cloud[redis]")

TYPE, REGION = "gpu_1x_a10", "us-west-1"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(time_scale=0.001, capacity={}) as emulator:
        yield emulator


def client_for(emu: Emulator, shared: SharedState | str) -> AsyncLambdaCloud:
    """A client of its own store, as another process's would be."""
    limits = RateLimits(shared=shared).scaled(0.001)
    return AsyncLambdaCloud(api_key=emu.api_key, base_url=emu.base_url, rate_limits=limits)


def lease_key(emu: Emulator, run_id: str) -> str:
    return f"lambda-cloud:{{{namespace(emu.api_key, emu.base_url)}}}:run:{run_id}"


async def launch(
    client: AsyncLambdaCloud, count: int, run_id: str, **options: Any
) -> BulkLaunchReport:
    return await client.instances.launch_many(
        count, instance_type_name=TYPE, ssh_key_names=["k"], run_id=run_id, **options
    )


async def test_a_second_run_of_a_run_id_is_refused_while_the_first_goes(
    emu: Emulator, redis_url: str
) -> None:
    hunting = asyncio.Event()

    def progress(event: ProgressEvent) -> None:
        if event.kind is ProgressKind.WAITING_FOR_CAPACITY:
            hunting.set()

    async with client_for(emu, redis_url) as first, client_for(emu, redis_url) as second:
        await first.ssh_keys.create("k")
        hunt = Hunt(timeout=3600, poll_interval=0.01)
        running = asyncio.ensure_future(launch(first, 3, "train", hunt=hunt, on_progress=progress))
        await hunting.wait()  # the first run holds its lease and waits for capacity
        with pytest.raises(RunLeasedError) as info:
            await launch(second, 3, "train")
        assert info.value.run_id == "train"
        assert f"pid {os.getpid()}" in info.value.holder
        assert 0 < info.value.expires_in <= 30
        await launch(second, 2, "other", hunt=Hunt(timeout=0.01, poll_interval=0.01))
        emu.set_capacity(TYPE, REGION, 5)
        (await running).raise_for_errors()
        # The lease went with the run: a rerun goes ahead, and adopts what it launched.
        report = await launch(second, 3, "train")
    assert len(report.instances) == 3
    assert len(emu.instances()) == 3
    assert redis.Redis.from_url(redis_url).exists(lease_key(emu, "train")) == 0


async def test_a_crashed_run_s_lease_lapses(emu: Emulator, redis_url: str) -> None:
    async with client_for(emu, redis_url) as client:
        await client.ssh_keys.create("k")
        argv = ["-m", "tests.shared.lease_holder", emu.base_url, redis_url, "crashy", "3.0"]
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            *argv,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "LAMBDA_API_KEY": emu.api_key},
        )
        store = redis.Redis.from_url(redis_url)
        key = lease_key(emu, "crashy")
        try:
            deadline = time.monotonic() + 60
            while not store.exists(key):  # the holder took its lease
                assert holder.returncode is None and time.monotonic() < deadline
                await asyncio.sleep(0.01)
        finally:
            holder.kill()  # no cleanup, no release: a crash
            await holder.wait()
        with pytest.raises(RunLeasedError):
            await launch(client, 1, "crashy")
        deadline = time.monotonic() + 30
        while store.exists(key):  # nobody renews it any more: it lapses
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        emu.set_capacity(TYPE, REGION, 1)
        (await launch(client, 1, "crashy")).raise_for_errors()
    assert len(emu.instances()) == 1


@contextlib.asynccontextmanager
async def hunting_run(
    emu: Emulator, redis_url: str, run_id: str
) -> AsyncIterator[tuple[AsyncLambdaCloud, Any, str, asyncio.Future[BulkLaunchReport]]]:
    """A first run of ``run_id`` hunting (so holding its lease) on a client of its own, and
    a second client on the same store: ``(second, store, lease key, first run)``. The first
    run is cancelled on the way out, and must then have released its lease."""
    shared = SharedState(url=redis_url, lease_ttl=3.0, timeout=5.0)
    hunting = asyncio.Event()

    def progress(event: ProgressEvent) -> None:
        hunting.set()

    async with client_for(emu, shared) as first, client_for(emu, shared) as second:
        await first.ssh_keys.create("k")
        hunt = Hunt(timeout=3600, poll_interval=0.01)
        running = asyncio.ensure_future(launch(first, 1, run_id, hunt=hunt, on_progress=progress))
        store = redis.Redis.from_url(redis_url)
        await hunting.wait()
        key = lease_key(emu, run_id)
        try:
            yield second, store, key, running
        except BaseException:
            running.cancel()
            await asyncio.wait([running])
            raise
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert not store.exists(key)  # released on the way out


async def test_the_lease_is_renewed_while_the_run_goes(emu: Emulator, redis_url: str) -> None:
    # A store slower than its timeout is one that failed: the run would go on unleased.
    async with hunting_run(emu, redis_url, "long") as (second, store, key, running):
        # Renewed: its time left goes up again (twice), however late this process runs.
        left, renewals = store.pttl(key), 0
        while renewals < 2:
            await asyncio.sleep(0.05)
            now = store.pttl(key)
            assert now > 0 and not running.done()
            renewals, left = renewals + (now > left), now
        with pytest.raises(RunLeasedError):  # just renewed: seconds to spare
            await launch(second, 1, "long")


async def test_a_lease_that_lapsed_unclaimed_is_taken_back(emu: Emulator, redis_url: str) -> None:
    async with hunting_run(emu, redis_url, "late") as (second, store, key, running):
        holder = store.get(key)
        store.delete(key)  # lapsed: its process renewed too late
        deadline = time.monotonic() + 30
        while not store.exists(key):  # the next renewal takes it back
            assert time.monotonic() < deadline and not running.done()
            await asyncio.sleep(0.05)
        assert store.get(key) == holder
        with pytest.raises(RunLeasedError):
            await launch(second, 1, "late")


async def test_a_cancel_as_the_store_replies_is_not_lost() -> None:
    # The lease's renewer was cancelled as a renewal's reply came in: Python 3.11's wait_for
    # returned the reply, and the renewer renewed on while the cancelled run waited for it.
    store = Store(SharedState(url="redis://127.0.0.1:1"))
    reply, asked = asyncio.get_running_loop().create_future(), asyncio.Event()

    async def renewal(redis: object) -> int:
        asked.set()
        return int(await reply)

    asking = asyncio.ensure_future(store.run("renewal", renewal, lambda r: r))
    await asked.wait()
    reply.set_result(1)  # the reply is in...
    asking.cancel()  # ...in the turn the caller is cancelled
    with pytest.raises(asyncio.CancelledError):
        await asking


async def test_without_the_store_a_run_goes_ahead_unless_strict(
    emu: Emulator, closed_url: str
) -> None:
    url = closed_url.replace("http://", "redis://").removesuffix("/api/v1")
    emu.set_capacity(TYPE, REGION, 2)
    async with client_for(emu, url) as client:
        await client.ssh_keys.create("k")
        (await launch(client, 1, "loose")).raise_for_errors()
    async with client_for(emu, SharedState(url=url, strict=True)) as client:
        with pytest.raises(SharedStateError):
            await launch(client, 1, "tight")
    assert len(emu.instances()) == 1
