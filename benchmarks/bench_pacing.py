"""``launch_many`` pacing: how close N launches come to the launch rate limit's bound.

The launch limit (a launch every 12 s, bursts of 5) means N launch requests cannot all be sent
before ``(N - 5) * 12`` seconds have passed. The emulator compresses time (``--time-scale``)
and enforces the same limits server-side; the client paces itself with the matching limits.

- one region: plenty of capacity in one region, N launches, N requests;
- fallback: the default capacity, spread so the run falls back from region to region; each
  full region costs a refused launch, so the bound counts the launch requests actually sent.

The ratio is wall time / bound; the target is <= 1.05 (at most 5 % slower than the limit).

    python -m benchmarks.bench_pacing [--count N] [--time-scale S] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Mapping
from typing import Any

import aiohttp

from lambda_cloud import AsyncLambdaCloud, RateLimits
from lambda_cloud.emulator import Emulator

from ._results import Figure, record

TARGET_RATIO = 1.05
TYPE = "gpu_1x_a10"
LAUNCH_PATH = "/api/v1/instance-operations/launch"


def _launch_counter() -> tuple[aiohttp.TraceConfig, list[int]]:
    sent = [0]
    config = aiohttp.TraceConfig()

    async def on_start(session: Any, ctx: Any, params: aiohttp.TraceRequestStartParams) -> None:
        if params.url.path == LAUNCH_PATH:
            sent[0] += 1

    config.on_request_start.append(on_start)
    return config, sent


async def _round(
    count: int, time_scale: float, capacity: Mapping[tuple[str, str], int] | None
) -> tuple[float, float, int, int]:
    """One launch of ``count``: (elapsed, bound, launch requests, server 429s)."""
    trace, sent = _launch_counter()
    async with (
        Emulator(time_scale=time_scale, capacity=capacity, enforce_rate_limits=True) as emu,
        AsyncLambdaCloud(
            api_key=emu.api_key,
            base_url=emu.base_url,
            rate_limits=emu.rate_limits,
            trace_configs=[trace],
        ) as client,
    ):
        await client.ssh_keys.create(name="bench")
        limit = RateLimits.coerce(emu.rate_limits).launch  # the emulator gives plain numbers
        started = time.perf_counter()
        report = await client.instances.launch_many(
            count, instance_type_name=TYPE, ssh_key_names=["bench"]
        )
        elapsed = time.perf_counter() - started
        report.raise_for_errors()
        bound = max(0, sent[0] - limit.burst) * limit.interval
        return elapsed, bound, sent[0], emu.rate_limited_count


async def main(count: int, time_scale: float, rounds: int) -> int:
    scenarios: dict[str, Mapping[tuple[str, str], int] | None] = {
        "one region": {(TYPE, "us-west-1"): count},
        # Listed by /instance-types in this order, so the run fills each and falls back.
        "fallback": {
            (TYPE, "europe-central-1"): count // 4,
            (TYPE, "us-east-1"): count // 3,
            (TYPE, "us-west-1"): count // 3,
            (TYPE, "us-south-1"): count,
        },
    }
    interval = 12.0 * time_scale
    print(f"{count} launches, a launch every {interval * 1000:.0f} ms after a burst of 5")
    worst = 0.0
    figures = []
    for name, capacity in scenarios.items():
        ratios = []
        for _ in range(rounds):
            elapsed, bound, sent, throttled = await _round(count, time_scale, capacity)
            ratios.append(elapsed / bound)
            print(
                f"  {name:<11} {elapsed:6.3f} s for {sent} launch requests, bound {bound:6.3f} s,"
                f" ratio {elapsed / bound:.4f}, server 429s {throttled}"
            )
        print(f"  {name:<11} median ratio {statistics.median(ratios):.4f}, max {max(ratios):.4f}")
        worst = max(worst, max(ratios))
        figures.append(
            Figure(
                scenario=f"launch_many({count}) pace, {name}",
                measure="wall / rate-limit bound (worst round)",
                value=max(ratios),
                target=f"<= {TARGET_RATIO}",
                detail=f"median {statistics.median(ratios):.4f} of {rounds} rounds",
            )
        )
    record("bench_pacing", figures)
    verdict = "meets" if worst <= TARGET_RATIO else "MISSES"
    print(f"worst ratio {worst:.4f}: {verdict} the target of {TARGET_RATIO}")
    return 0 if worst <= TARGET_RATIO else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--time-scale", type=float, default=0.01)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.count, args.time_scale, args.rounds)))
