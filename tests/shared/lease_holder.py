"""A process holding a ``launch_many`` run-id lease until it is killed, for the test of a lease
left by a crashed run: ``python -m tests.shared.lease_holder BASE_URL REDIS_URL RUN_ID TTL``
(the API key in ``$LAMBDA_API_KEY``). The run hunts for capacity that never comes."""

from __future__ import annotations

import asyncio
import sys

from lambda_cloud import AsyncLambdaCloud, Hunt, RateLimits, SharedState


async def main(base_url: str, redis_url: str, run_id: str, ttl: float) -> None:
    shared = SharedState(url=redis_url, lease_ttl=ttl)
    limits = RateLimits(shared=shared).scaled(0.001)
    async with AsyncLambdaCloud(base_url=base_url, rate_limits=limits) as client:
        await client.instances.launch_many(
            1,
            instance_type_name="gpu_1x_a10",
            ssh_key_names=["k"],
            run_id=run_id,
            hunt=Hunt(timeout=3600, poll_interval=0.05),
        )


if __name__ == "__main__":
    base_url, redis_url, run_id, ttl = sys.argv[1:]
    asyncio.run(main(base_url, redis_url, run_id, float(ttl)))
