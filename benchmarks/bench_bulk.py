"""``launch_many`` CPU per slot: does the client's work grow faster than the number of slots?

The emulator runs in its own process (its CPU is not counted), with room for every slot in one
region and no rate limits; the client launches N instances and its process CPU time is divided
by N. The ratio is CPU per slot at the large count over CPU per slot at the small count; the
target is <= 1.2 (the run's bookkeeping is O(1) per event, so the per-slot cost stays flat).
Each count is measured ``--rounds`` times, interleaved, against a fresh emulator; medians.

    python -m benchmarks.bench_bulk [--small N] [--large N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import multiprocessing.connection
import platform
import statistics
import sys
import time

from lambda_cloud import AsyncLambdaCloud
from lambda_cloud.emulator import Emulator

from ._results import Figure, record

TARGET_RATIO = 1.2
TYPE = "gpu_1x_a10"
REGION = "us-west-1"
KEY = "bench"


def serve(slots: int, conn: multiprocessing.connection.Connection) -> None:
    """The emulator's process, room for ``slots`` instances of ``TYPE`` in ``REGION``: sends
    (base URL, API key, its CPU seconds so far), serves until told to stop, sends its CPU again."""

    async def main() -> None:
        async with Emulator(time_scale=0.001, capacity={(TYPE, REGION): slots}) as emu:
            conn.send((emu.base_url, emu.api_key, time.process_time()))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)
            conn.send(time.process_time())

    asyncio.run(main())


async def _launch(base_url: str, api_key: str, count: int) -> float:
    """Client CPU seconds per slot for one ``launch_many(count)``."""
    async with AsyncLambdaCloud(api_key=api_key, base_url=base_url, rate_limits=None) as client:
        await client.ssh_keys.create(KEY)
        started = time.process_time()
        report = await client.instances.launch_many(
            count,
            instance_type_name=TYPE,
            ssh_key_names=[KEY],
            region_names=[REGION],
            max_concurrency=16,
            poll_interval=0.01,
        )
        cpu = time.process_time() - started
    report.raise_for_errors()
    return cpu / count


def _round(count: int) -> tuple[float, float]:
    """(client CPU per slot, emulator CPU per slot) against a fresh emulator process."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(count, child), daemon=True)
    server.start()
    try:
        base_url, api_key, server_cpu = parent.recv()
        per_slot = asyncio.run(_launch(base_url, api_key, count))
        parent.send("stop")
        server_cpu = parent.recv() - server_cpu
    finally:
        server.join(timeout=30)
    return per_slot, server_cpu / count


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    results: dict[int, list[tuple[float, float]]] = {args.small: [], args.large: []}
    for _ in range(args.rounds):
        for count in results:  # interleaved, so drift hits both alike
            results[count].append(_round(count))
    print(
        f"machine: {platform.machine()}, {multiprocessing.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    medians = {}
    for count, rounds in results.items():
        client = statistics.median(r[0] for r in rounds)
        server = statistics.median(r[1] for r in rounds)
        medians[count] = client
        print(
            f"launch_many({count:>6}): client {client * 1e6:7.1f} us CPU/slot "
            f"(emulator {server * 1e6:7.1f} us/slot, in its own process)"
        )
    ratio = medians[args.large] / medians[args.small]
    detail = ", ".join(f"{n:,} slots {c * 1e6:.0f} us" for n, c in medians.items())
    record(
        "bench_bulk",
        [
            Figure(
                scenario=f"launch_many CPU per slot, {args.large:,} vs {args.small:,} slots",
                measure="client CPU/slot ratio",
                value=ratio,
                target=f"<= {TARGET_RATIO}",
                detail=detail,
            )
        ],
    )
    verdict = "ok" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(
        f"CPU per slot, {args.large} vs {args.small}: {ratio:.2f}x (target <= {TARGET_RATIO}) "
        f"{verdict}"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
