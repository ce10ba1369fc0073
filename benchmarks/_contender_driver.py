"""Runs INSIDE the contenders' virtual environment (``benchmarks/.contenders/venv``), never in
the project's: it imports ``lambda_ai_cloud_api_client``, which is no dependency of this project.

Against the server ``bench_contenders`` started, it alternates, ``rounds`` times: raw aiohttp +
orjson (the ceiling, measured here so the ratio comes from this same process and run), the
contender's ``list_instances.asyncio`` and its ``list_instances.sync`` (``concurrency`` threads
sharing one client). It prints one JSON object of requests-per-second lists, or
``{"error": ...}`` when the contender cannot list the server's instances.

    python _contender_driver.py ORIGIN COUNT REQUESTS CONCURRENCY ROUNDS
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import statistics
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
import orjson
from lambda_ai_cloud_api_client import AuthenticatedClient
from lambda_ai_cloud_api_client.api.instances import list_instances

TOKEN = "secret_bench"
# aiohttp's pool holds 100 connections; httpx keeps only 20 alive unless told, which at
# concurrency 64 would reconnect on most requests: give both the same pool.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)


def _client() -> AuthenticatedClient:
    return AuthenticatedClient(base_url=ORIGIN, token=TOKEN, httpx_args={"limits": LIMITS})


def _count(parsed: Any) -> int:
    """The number of instances parsed, or a clear failure when the contender returned none."""
    if parsed is None or not hasattr(parsed, "data"):
        raise RuntimeError(f"list_instances returned {type(parsed).__name__}, not a list")
    return len(parsed.data)


async def _drive(fetch: Callable[[], Awaitable[int]], requests: int, concurrency: int) -> float:
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            assert await fetch() == COUNT

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - started)


def _drive_sync(fetch: Callable[[], int], requests: int, concurrency: int) -> float:
    remaining = requests
    lock = threading.Lock()

    def worker() -> None:
        nonlocal remaining
        while True:
            with lock:
                if remaining <= 0:
                    return
                remaining -= 1
            assert fetch() == COUNT

    started = time.perf_counter()
    if concurrency == 1:
        worker()
    else:
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            for future in [pool.submit(worker) for _ in range(concurrency)]:
                future.result()
    return requests / (time.perf_counter() - started)


async def measure(requests: int, concurrency: int, rounds: int) -> dict[str, list[float]]:
    url = f"{ORIGIN}/api/v1/instances"
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    rates: dict[str, list[float]] = {"raw": [], "async": [], "sync": []}
    sync_client = _client()
    async with aiohttp.ClientSession() as session, _client() as async_client:

        async def raw() -> int:
            async with session.get(url, headers=headers) as response:
                data: list[dict[str, Any]] = orjson.loads(await response.read())["data"]
            return len(data)

        async def contender_async() -> int:
            return _count(await list_instances.asyncio(client=async_client))

        def contender_sync() -> int:
            return _count(list_instances.sync(client=sync_client))

        warm = max(concurrency * 2, requests // 10)
        with sync_client:
            for fetch in (raw, contender_async):
                await _drive(fetch, warm, concurrency)
            _drive_sync(contender_sync, warm, concurrency)
            for _ in range(rounds):
                rates["raw"].append(await _drive(raw, requests, concurrency))
                rates["async"].append(await _drive(contender_async, requests, concurrency))
                rates["sync"].append(_drive_sync(contender_sync, requests, concurrency))
    return rates


if __name__ == "__main__":
    ORIGIN, COUNT = sys.argv[1], int(sys.argv[2])
    REQUESTS, CONCURRENCY, ROUNDS = (int(a) for a in sys.argv[3:6])
    try:
        result: dict[str, Any] = asyncio.run(measure(REQUESTS, CONCURRENCY, ROUNDS))
        result["medians"] = {k: statistics.median(v) for k, v in result.items()}
    except Exception as exc:  # reported to the table, not swallowed
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    print(json.dumps(result))
