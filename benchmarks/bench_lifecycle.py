"""Launch plus terminate, end to end: ``launch_many(N)`` then ``terminate_many`` of its ids,
against raw aiohttp + orjson sending the same launches and terminates.

The emulator runs in its own process (``bench_bulk.serve``; its CPU is shown, not counted), with
room for every instance in one region and no rate limits on either side, so what is measured
is the client's overhead, not pacing. Raw sends one ``POST /instance-operations/launch`` per
instance (``CONCURRENCY`` at a time, as ``launch_many``'s ``max_concurrency``) and one
``POST /instance-operations/terminate`` per ``DEFAULT_BATCH_SIZE`` ids: the least a client
must send. The SDK does that plus its bookkeeping (launch tokens, the final sweep's instance
list, progress, reports). The figure is the SDK's throughput over raw's (wall time, raw / SDK);
client CPU per instance is in the detail. Each round starts a fresh emulator and runs both, in
alternating order; medians of ``--rounds``.

    python -m benchmarks.bench_lifecycle [--count N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp
import orjson

from lambda_cloud import AsyncLambdaCloud
from lambda_cloud.bulk import DEFAULT_BATCH_SIZE

from ._results import Figure, record
from .bench_bulk import KEY, REGION, TYPE, serve

CONCURRENCY = 16

#: One client's run: (wall seconds, client CPU seconds) for ``count`` instances.
Runner = Callable[[str, str, int, str], Awaitable[tuple[float, float]]]


async def _sdk(base_url: str, api_key: str, count: int, prefix: str) -> tuple[float, float]:
    async with AsyncLambdaCloud(api_key=api_key, base_url=base_url, rate_limits=None) as client:
        if not await client.ssh_keys.list():
            await client.ssh_keys.create(KEY)
        wall, cpu = time.perf_counter(), time.process_time()
        launched = await client.instances.launch_many(
            count,
            instance_type_name=TYPE,
            ssh_key_names=[KEY],
            region_names=[REGION],
            name_prefix=prefix,
            max_concurrency=CONCURRENCY,
            poll_interval=0.01,
        )
        launched.raise_for_errors()
        terminated = await client.instances.terminate_many(launched.ids)
        terminated.raise_for_errors()
        return time.perf_counter() - wall, time.process_time() - cpu


async def _raw(base_url: str, api_key: str, count: int, prefix: str) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def post(path: str, body: object) -> object:
            async with session.post(f"{base_url}{path}", data=orjson.dumps(body)) as response:
                response.raise_for_status()
                return orjson.loads(await response.read())["data"]

        if not (await (await session.get(f"{base_url}/ssh-keys")).json())["data"]:
            await post("/ssh-keys", {"name": KEY})
        wall, cpu = time.perf_counter(), time.process_time()
        slots = iter(range(count))
        ids: list[str] = []

        async def launcher() -> None:
            for slot in slots:
                request = {
                    "region_name": REGION,
                    "instance_type_name": TYPE,
                    "ssh_key_names": [KEY],
                    "name": f"{prefix}-{slot}",
                }
                data = await post("/instance-operations/launch", request)
                ids.extend(data["instance_ids"])  # type: ignore[index]

        await asyncio.gather(*(launcher() for _ in range(CONCURRENCY)))
        for start in range(0, len(ids), DEFAULT_BATCH_SIZE):
            batch = ids[start : start + DEFAULT_BATCH_SIZE]
            await post("/instance-operations/terminate", {"instance_ids": batch})
        return time.perf_counter() - wall, time.process_time() - cpu


def _round(count: int, sdk_first: bool) -> dict[str, tuple[float, float]]:
    """Both clients against one fresh emulator process: name -> (wall, CPU) seconds, plus the
    emulator's CPU seconds as ``"emulator"``."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(2 * count, child), daemon=True)
    server.start()
    runners: dict[str, Runner] = {"sdk": _sdk, "raw": _raw}
    order = ["sdk", "raw"] if sdk_first else ["raw", "sdk"]
    try:
        base_url, api_key, server_cpu = parent.recv()
        measured = {
            name: asyncio.run(runners[name](base_url, api_key, count, name)) for name in order
        }
        parent.send("stop")
        measured["emulator"] = (0.0, parent.recv() - server_cpu)
    finally:
        server.join(timeout=30)
    return measured


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args, _ = parser.parse_known_args(argv)  # make bench passes every script the same options
    rounds = [_round(args.count, sdk_first=i % 2 == 0) for i in range(args.rounds)]

    def median(name: str, index: int) -> float:
        return statistics.median(r[name][index] for r in rounds)

    n = args.count
    sdk_wall, raw_wall = median("sdk", 0), median("raw", 0)
    sdk_cpu, raw_cpu = median("sdk", 1) / n, median("raw", 1) / n
    emulator = median("emulator", 1) / (2 * n)
    detail = (
        f"raw {raw_wall * 1e3:.0f} ms ({raw_cpu * 1e6:.0f} us CPU/instance), "
        f"lambda-cloud {sdk_wall * 1e3:.0f} ms ({sdk_cpu * 1e6:.0f} us CPU/instance); "
        f"emulator {emulator * 1e6:.0f} us CPU/instance in its own process"
    )
    print(f"launch_many + terminate_many of {n:,}: {detail}")
    record(
        "bench_lifecycle",
        [
            Figure(
                scenario=f"launch_many + terminate_many of {n:,} instances, end to end",
                measure="client / raw aiohttp+orjson throughput",
                value=raw_wall / sdk_wall,
                target="",
                detail=detail,
            )
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
