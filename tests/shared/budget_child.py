"""One of several processes making a spend-guarded ``launch_many`` at once, for the test of
the budget across processes: ``python -m tests.shared.budget_child BASE_URL COUNT TIME_SCALE
REDIS_URL CEILING`` (the API key in ``$LAMBDA_API_KEY``). It says "ready", waits for a line on
stdin, launches, and prints ``{"launched": n, "raised": error class name or null}``."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import orjson

from lambda_cloud import AsyncLambdaCloud, RateLimits, SpendLimitExceededError


async def main(base_url: str, count: int, time_scale: float, redis_url: str, ceiling: int) -> None:
    limits = RateLimits(shared=redis_url).scaled(time_scale)
    report: dict[str, Any] = {"launched": 0, "raised": None}
    async with AsyncLambdaCloud(
        base_url=base_url, rate_limits=limits, max_hourly_cost_cents=ceiling
    ) as client:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        try:
            launched = await client.instances.launch_many(
                count, instance_type_name="gpu_1x_a10", ssh_key_names=["k"], poll_interval=0.01
            )
        except SpendLimitExceededError as exc:
            report["raised"] = type(exc).__name__
        else:
            launched.raise_for_errors()
            report["launched"] = len(launched.instances)
    sys.stdout.write(orjson.dumps(report).decode() + "\n")


if __name__ == "__main__":
    base_url, count, time_scale, redis_url, ceiling = sys.argv[1:]
    asyncio.run(main(base_url, int(count), float(time_scale), redis_url, int(ceiling)))
