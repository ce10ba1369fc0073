"""Per-call cost of the sync facade: ``LambdaCloud`` against ``AsyncLambdaCloud`` on loopback.

A small aiohttp server in another process answers ``GET /regions`` with a JSON envelope, so
client and server do not share a GIL. Awaited calls, facade calls and (for comparison) naive
``run_coroutine_threadsafe`` calls onto a loop thread alternate in rounds, so machine noise hits
all alike, and the medians of per-call latencies are compared. The cost of running a no-op
coroutine each way is measured too. The target is facade / awaited <= 1.3 (exit status 1 if
missed).

    python -m benchmarks.bench_sync [--rounds 10] [--calls 300]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.queues import Queue

from aiohttp import web

from lambda_cloud import AsyncLambdaCloud
from lambda_cloud._sync import LambdaCloud
from lambda_cloud._sync._runner import Runner

from ._results import Figure, record

TARGET_RATIO = 1.3
REGIONS = {"data": [{"name": "us-west-1", "description": "California, USA"}]}


def _serve(ports: Queue[int]) -> None:
    async def regions(request: web.Request) -> web.Response:
        return web.json_response(REGIONS)

    async def serve() -> None:
        app = web.Application()
        app.router.add_get("/api/v1/regions", regions)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ports.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(serve())


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def _p90_us(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1] * 1e6


def _time_each(call: Callable[[], object], count: int, into: list[float]) -> None:
    for _ in range(count):
        started = time.perf_counter()
        call()
        into.append(time.perf_counter() - started)


@contextmanager
def loop_in_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread of its own, as a naive sync wrapper would use."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def measure_calls(base_url: str, rounds: int, calls: int) -> dict[str, list[float]]:
    """Per-call latencies of ``regions.list()``: awaited, through the facade, and through
    ``run_coroutine_threadsafe`` onto a loop thread."""
    options = {"api_key": "bench", "base_url": base_url, "rate_limits": None}
    samples: dict[str, list[float]] = {"async": [], "sync": [], "naive": []}
    loop = asyncio.new_event_loop()
    async_client = AsyncLambdaCloud(**options)  # type: ignore[arg-type]
    naive_client = AsyncLambdaCloud(**options)  # type: ignore[arg-type]
    sync_client = LambdaCloud(**options)  # type: ignore[arg-type]

    async def async_batch(count: int, into: list[float]) -> None:
        for _ in range(count):
            started = time.perf_counter()
            await async_client.regions.list()
            into.append(time.perf_counter() - started)

    with loop_in_thread() as naive_loop:

        def naive() -> object:
            coro = naive_client.regions.list()
            return asyncio.run_coroutine_threadsafe(coro, naive_loop).result()

        try:
            loop.run_until_complete(async_batch(calls, []))  # warm up all three
            _time_each(sync_client.regions.list, calls, [])
            _time_each(naive, calls, [])
            for _ in range(rounds):
                loop.run_until_complete(async_batch(calls, samples["async"]))
                _time_each(sync_client.regions.list, calls, samples["sync"])
                _time_each(naive, calls, samples["naive"])
        finally:
            sync_client.close()
            asyncio.run_coroutine_threadsafe(naive_client.aclose(), naive_loop).result()
            loop.run_until_complete(async_client.aclose())
            loop.close()
    return samples


async def _noop() -> None:
    pass


def measure_hops(count: int) -> dict[str, float]:
    """Median microseconds to run a no-op coroutine, by each way of getting it onto a loop."""
    runner = Runner(_noop)
    same_thread = asyncio.new_event_loop()
    results: dict[str, list[float]] = {"facade": [], "threadsafe": [], "same": []}
    with loop_in_thread() as other:
        try:
            for _ in range(5):
                _time_each(lambda: runner.run(_noop()), count, results["facade"])
                _time_each(
                    lambda: asyncio.run_coroutine_threadsafe(_noop(), other).result(),
                    count,
                    results["threadsafe"],
                )
                _time_each(lambda: same_thread.run_until_complete(_noop()), count, results["same"])
        finally:
            runner.close(_noop())
            same_thread.close()
    return {name: _median_us(samples) for name, samples in results.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds (10)")
    parser.add_argument("--calls", type=int, default=300, help="calls per round and way (300)")
    options, _ = parser.parse_known_args(argv)  # make bench passes every script the same flags

    context = multiprocessing.get_context("spawn")
    ports: Queue[int] = context.Queue()
    server = context.Process(target=_serve, args=(ports,), daemon=True)
    server.start()
    try:
        base_url = f"http://127.0.0.1:{ports.get(timeout=60)}/api/v1"
        samples = measure_calls(base_url, options.rounds, options.calls)
    finally:
        server.terminate()
        server.join()
    hops = measure_hops(2000)

    async_us = _median_us(samples["async"])
    ratio = _median_us(samples["sync"]) / async_us
    print(f"bench_sync: regions.list() on loopback, {options.rounds} x {options.calls} calls each")
    for name, label in [
        ("async", "AsyncLambdaCloud (await)"),
        ("sync", "LambdaCloud"),
        ("naive", "run_coroutine_threadsafe"),
    ]:
        median = _median_us(samples[name])
        print(
            f"  {label:<25} median {median:6.1f} us  p90 {_p90_us(samples[name]):6.1f} us"
            f"  ratio {median / async_us:.2f}"
        )
    print("a no-op coroutine, median per call")
    print(f"  {'LambdaCloud runner':<31} {hops['facade']:6.1f} us")
    print(f"  {'run_coroutine_threadsafe':<31} {hops['threadsafe']:6.1f} us")
    print(f"  {'same-thread run_until_complete':<31} {hops['same']:6.1f} us")
    record(
        "bench_sync",
        [
            Figure(
                scenario="sync facade, regions.list() on loopback",
                measure="LambdaCloud / awaited latency (median)",
                value=ratio,
                target=f"<= {TARGET_RATIO}",
                detail=f"awaited {async_us:.0f} us, sync {_median_us(samples['sync']):.0f} us",
            )
        ],
    )
    verdict = "ok" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(f"ratio LambdaCloud / await: {ratio:.2f}  (target <= {TARGET_RATIO}: {verdict})")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
