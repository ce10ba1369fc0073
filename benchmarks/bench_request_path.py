"""The request path's other costs, each against its raw counterpart, in one run:

- a small GET: ``instances.get(id)`` (one instance, about 1.5 kB) against raw aiohttp +
  ``orjson.loads``, at concurrency 64, from the same minimal server process as ``bench_list``
  (target sdk / raw >= 0.9), and its latency p50 / p99 one call at a time (reported);
- ``import lambda_cloud`` against ``import aiohttp``, each in a fresh interpreter (target
  <= 1.3), with the package's bytecode compiled first as a wheel install compiles it (a checkout
  run with ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module on every import,
  while aiohttp's is precompiled); and, reported, the import plus a client and its first
  resource (``client.instances``), which loads the modules the import leaves for first use;
- memory per held instance: ``instances.list()``'s ``Instance`` objects against the dicts
  ``orjson.loads`` gives, both from the 100-instance body of ``bench_list``, measured with
  ``tracemalloc`` (reported; target <= 1.0).

Rounds alternate raw and SDK so machine noise hits both alike; figures are medians.

    python -m benchmarks.bench_request_path [--requests N] [--rounds R] [--imports K]
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import gc
import multiprocessing
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import aiohttp
import orjson

import lambda_cloud
from lambda_cloud import AsyncLambdaCloud, Instance
from lambda_cloud._converter import structure

from ._results import Figure, record
from .bench_list import make_body, serve

GET_TARGET, IMPORT_TARGET, MEMORY_TARGET = 0.9, 1.3, 1.0
CONCURRENCY = 64


async def _rate(fetch: Any, requests: int) -> float:
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await fetch()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return requests / (time.perf_counter() - started)


async def measure_get(
    base_url: str, id: str, *, requests: int, rounds: int
) -> tuple[float, float, dict[str, list[float]]]:
    url = f"{base_url}/instances/{id}"
    headers = {"Authorization": "Bearer secret_bench", "Accept": "application/json"}
    raw_rates: list[float] = []
    sdk_rates: list[float] = []
    async with (
        aiohttp.ClientSession() as session,
        AsyncLambdaCloud(api_key="secret_bench", base_url=base_url, rate_limits=None) as client,
    ):

        async def raw() -> None:
            async with session.get(url, headers=headers) as response:
                assert orjson.loads(await response.read())["data"]["id"] == id

        async def sdk() -> None:
            assert (await client.instances.get(id)).id == id

        for fetch in (raw, sdk):
            await _rate(fetch, requests // 5)
        for _ in range(rounds):
            raw_rates.append(await _rate(raw, requests))
            sdk_rates.append(await _rate(sdk, requests))
        latencies = await _latencies(raw, sdk, requests)
    return statistics.median(raw_rates), statistics.median(sdk_rates), latencies


async def _latencies(raw: Any, sdk: Any, calls: int) -> dict[str, list[float]]:
    """Seconds per call, one call at a time, raw and SDK alternating call by call."""
    samples: dict[str, list[float]] = {"raw": [], "sdk": []}
    for _ in range(calls):
        for name, fetch in (("raw", raw), ("sdk", sdk)):
            started = time.perf_counter()
            await fetch()
            samples[name].append(time.perf_counter() - started)
    return samples


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


IMPORTS = {
    "aiohttp": "import aiohttp",
    "lambda_cloud": "import lambda_cloud",
    "first resource": ("import lambda_cloud; lambda_cloud.AsyncLambdaCloud(api_key='k').instances"),
}


def measure_imports(times: int) -> dict[str, float]:
    """Median seconds for each of ``IMPORTS`` in a fresh interpreter, interleaved."""
    compileall.compile_dir(Path(lambda_cloud.__file__).parent, quiet=1)

    def once(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - started

    samples: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for _ in range(times):
        for name, code in IMPORTS.items():
            samples[name].append(once(code))
    return {name: statistics.median(values) for name, values in samples.items()}


def _held(make: Any) -> int:
    gc.collect()
    tracemalloc.start()
    held = make()
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del held
    return size


def measure_memory(body: bytes) -> tuple[float, float, int]:
    count = len(orjson.loads(body)["data"])
    raw = statistics.median(_held(lambda: orjson.loads(body)["data"]) for _ in range(5))
    sdk = statistics.median(
        _held(lambda: structure(orjson.loads(body)["data"], list[Instance])) for _ in range(5)
    )
    return raw / count, sdk / count, count


def _serve_body(body: bytes) -> tuple[Any, Any, int]:
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=serve, args=(body, theirs), daemon=True)
    server.start()
    return server, ours, ours.recv()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="GETs per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--imports", type=int, default=9, help="fresh interpreters per module")
    args = parser.parse_args(argv)

    listing = asyncio.run(make_body())
    one = orjson.loads(listing)["data"][0]
    small = orjson.dumps({"data": one})
    server, conn, port = _serve_body(small)
    try:
        raw_get, sdk_get, latencies = asyncio.run(
            measure_get(
                f"http://127.0.0.1:{port}/api/v1",
                one["id"],
                requests=args.requests,
                rounds=args.rounds,
            )
        )
    finally:
        conn.close()
        server.join(timeout=10)
    imports = measure_imports(args.imports)
    aiohttp_s, ours_s = imports["aiohttp"], imports["lambda_cloud"]
    raw_mem, sdk_mem, count = measure_memory(listing)

    figures = [
        Figure(
            scenario=f"small GET (instances.get, {len(small):,} B), concurrency {CONCURRENCY}",
            measure="SDK / raw aiohttp+orjson throughput",
            value=sdk_get / raw_get,
            target=f">= {GET_TARGET}",
            detail=f"raw {raw_get:.0f} req/s, SDK {sdk_get:.0f} req/s",
        ),
        *(
            Figure(
                scenario=f"small GET latency {name}, one call at a time",
                measure="SDK / raw aiohttp+orjson latency",
                value=_percentile(latencies["sdk"], q) / _percentile(latencies["raw"], q),
                target="",
                detail=(
                    f"raw {_percentile(latencies['raw'], q) * 1e6:.0f} us, "
                    f"SDK {_percentile(latencies['sdk'], q) * 1e6:.0f} us"
                ),
            )
            for name, q in (("p50", 0.5), ("p99", 0.99))
        ),
        Figure(
            scenario="import time, fresh interpreter",
            measure="import lambda_cloud / import aiohttp",
            value=ours_s / aiohttp_s,
            target=f"<= {IMPORT_TARGET}",
            detail=f"aiohttp {aiohttp_s * 1e3:.0f} ms, lambda_cloud {ours_s * 1e3:.0f} ms",
        ),
        Figure(
            scenario="import, a client and client.instances, fresh interpreter",
            measure="that / import aiohttp",
            value=imports["first resource"] / aiohttp_s,
            target="",
            detail=f"aiohttp {aiohttp_s * 1e3:.0f} ms, "
            f"first resource {imports['first resource'] * 1e3:.0f} ms",
        ),
        Figure(
            scenario=f"memory per held instance ({count} from instances.list())",
            measure="Instance / orjson dict bytes",
            value=sdk_mem / raw_mem,
            target=f"<= {MEMORY_TARGET}",
            detail=f"dicts {raw_mem:.0f} B, Instance {sdk_mem:.0f} B",
        ),
    ]
    record("bench_request_path", figures)
    print(f"bench_request_path: {args.rounds} rounds, medians")
    print(f"  small GET ({len(small):,} B): raw {raw_get:.0f} req/s, sdk {sdk_get:.0f} req/s")
    print(f"  import: aiohttp {aiohttp_s * 1e3:.0f} ms, lambda_cloud {ours_s * 1e3:.0f} ms")
    print(f"  memory, {count} held instances: dicts {raw_mem:.0f} B, Instance {sdk_mem:.0f} B each")
    for figure in figures:
        verdict = {True: "ok", False: "MISSED", None: "no target"}[figure.met]
        target = figure.target or "-"
        print(f"  {figure.scenario[:50]:50s}: {figure.value:5.2f}  ({target}: {verdict})")
    return 0 if all(f.met is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
