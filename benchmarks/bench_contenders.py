"""Other Python clients of this API against raw aiohttp + orjson: ``instances.list`` of 100.

The contender, ``lambda-ai-cloud-api-client`` (httpx, openapi-python-client style), is never a
dependency of this project: this benchmark installs it with pip into its own virtual
environment, ``benchmarks/.contenders/venv`` (gitignored), and measures it there through
``_contender_driver.py``, which alternates raw aiohttp + orjson, the contender's async
``list_instances.asyncio`` and its sync ``list_instances.sync`` in one process. The server is
``bench_list``'s: the emulator's 100 fully-dressed instances served as fixed bytes from its own
process. In the same run, this SDK's ``AsyncLambdaCloud.instances.list()`` and its sync
``LambdaCloud.instances.list()`` (``concurrency`` threads sharing one client) are measured
against their own raw aiohttp + orjson rounds (``bench_list.measure``), so the rows sit side by
side.

Every figure is a ratio to raw aiohttp measured in the same process, medians of interleaved
rounds. If the contender cannot be installed or cannot list the server's instances, its rows
say so (value empty, reason in "measured") rather than vanish.

    python -m benchmarks.bench_contenders [--requests N] [--rounds R] [--concurrencies 1,64]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import multiprocessing
import pathlib
import statistics
import subprocess
import sys
import time
import venv
from typing import Any

import orjson

from lambda_cloud import LambdaCloud

from . import bench_list
from ._results import Figure, record

HERE = pathlib.Path(__file__).resolve().parent
VENV = HERE / ".contenders" / "venv"
PYTHON = VENV / "bin" / "python"
DRIVER = HERE / "_contender_driver.py"
CONTENDER = "lambda-ai-cloud-api-client"
PACKAGES = [CONTENDER, "aiohttp", "orjson"]  # raw aiohttp + orjson run beside it, same process
INSTANCES = 100


def install() -> str:
    """Create the contenders' venv and install into it; return the contender's version, or raise
    ``RuntimeError`` saying why not."""
    if not PYTHON.exists():
        venv.create(VENV, with_pip=True)
    check = [str(PYTHON), "-c", "import lambda_ai_cloud_api_client, aiohttp, orjson"]
    if subprocess.run(check, capture_output=True, check=False).returncode != 0:
        pip = [str(PYTHON), "-m", "pip", "install", "-q", *PACKAGES]
        done = subprocess.run(pip, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pip install {CONTENDER} failed: {done.stderr.strip()[-200:]}")
    show = [str(PYTHON), "-m", "pip", "show", CONTENDER]
    out = subprocess.run(show, capture_output=True, text=True, check=False).stdout
    return next((line.split()[1] for line in out.splitlines() if line.startswith("Version:")), "?")


def run_driver(origin: str, requests: int, concurrency: int, rounds: int) -> dict[str, Any]:
    """The driver's rates; ``{"error": ...}`` when it could not measure the contender."""
    argv = [str(PYTHON), str(DRIVER), origin, str(INSTANCES), str(requests)]
    argv += [str(concurrency), str(rounds)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    sys.stderr.write(done.stderr)
    try:
        result: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, orjson.JSONDecodeError):
        return {"error": f"driver exited {done.returncode} without a result"}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round at c=64")
    parser.add_argument("--concurrencies", default="1,64")
    parser.add_argument("--rounds", type=int, default=3)
    args, _ = parser.parse_known_args(argv)  # make bench passes every script the same options

    try:
        version, failure = install(), ""
    except (RuntimeError, OSError) as exc:
        version, failure = "", f"not measured: {exc}"
    body = asyncio.run(bench_list.make_body(INSTANCES))
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=bench_list.serve, args=(body, theirs), daemon=True)
    server.start()
    figures: list[Figure] = []
    try:
        origin = f"http://127.0.0.1:{ours.recv()}"
        for concurrency in [int(c) for c in args.concurrencies.split(",")]:
            requests = args.requests if concurrency > 1 else args.requests // 2
            figures += _sdk(origin, requests, concurrency, args.rounds)
            if failure:
                figures += _missing(concurrency, failure)
                continue
            result = run_driver(origin, requests, concurrency, args.rounds)
            if "error" in result:
                figures += _missing(concurrency, f"not measured: {result['error']}")
            else:
                figures += _contender(result, version, concurrency)
    finally:
        ours.close()
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
    record("bench_contenders", figures)
    return 0 if all(f.value == f.value for f in figures) else 1  # NaN: a contender not measured


def _scenario(concurrency: int) -> str:
    return f"instances.list() of {INSTANCES}, concurrency {concurrency}"


def _sdk(origin: str, requests: int, concurrency: int, rounds: int) -> list[Figure]:
    """This SDK's async and sync clients, each round beside a raw aiohttp + orjson round."""
    base_url = f"{origin}/api/v1"
    rates: dict[str, list[float]] = {"raw": [], "async": [], "sync": []}
    for _ in range(rounds):
        raw, sdk = asyncio.run(
            bench_list.measure(base_url, requests=requests, concurrency=concurrency, rounds=1)
        )
        rates["raw"] += raw
        rates["async"] += sdk
        rates["sync"].append(_sync_rate(base_url, requests, concurrency))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    raw = medians["raw"]
    print(f"c={concurrency}: raw {raw:.0f} req/s, lambda-cloud {medians}")
    how = {"async": "AsyncLambdaCloud", "sync": f"LambdaCloud ({concurrency} threads)"}
    return [
        Figure(
            scenario=f"lambda-cloud {variant}, {_scenario(concurrency)}",
            measure="client / raw aiohttp+orjson throughput",
            value=medians[variant] / raw,
            target="",
            detail=f"raw {raw:.0f} req/s, {how[variant]} {medians[variant]:.0f} req/s",
        )
        for variant in ("async", "sync")
    ]


def _sync_rate(base_url: str, requests: int, concurrency: int) -> float:
    """Requests/s of the sync facade's ``instances.list()`` from ``concurrency`` threads sharing
    one client (as the contender's sync variant is driven)."""
    with (
        LambdaCloud(api_key="secret_bench", base_url=base_url, rate_limits=None) as client,
        concurrent.futures.ThreadPoolExecutor(concurrency) as pool,
    ):

        def fetch(_: int) -> int:
            return len(client.instances.list())

        list(pool.map(fetch, range(max(concurrency * 2, requests // 10))))  # warm up
        started = time.perf_counter()
        sizes = list(pool.map(fetch, range(requests)))
        elapsed = time.perf_counter() - started
    if set(sizes) != {INSTANCES}:
        raise RuntimeError(f"expected {INSTANCES} instances per list, got {set(sizes)}")
    return requests / elapsed


def _contender(result: dict[str, Any], version: str, concurrency: int) -> list[Figure]:
    medians = result["medians"]
    raw = medians["raw"]
    print(f"c={concurrency}: raw {raw:.0f} req/s, {CONTENDER} {version}: {medians}")
    how = {
        "async": "list_instances.asyncio",
        "sync": f"list_instances.sync ({concurrency} threads)",
    }
    return [
        Figure(
            scenario=f"{CONTENDER} {version} {variant}, {_scenario(concurrency)}",
            measure="client / raw aiohttp+orjson throughput",
            value=medians[variant] / raw,
            target="",
            detail=f"raw {raw:.0f} req/s, {how[variant]} {medians[variant]:.0f} req/s",
        )
        for variant in ("async", "sync")
    ]


def _missing(concurrency: int, reason: str) -> list[Figure]:
    print(f"c={concurrency}: {CONTENDER} {reason}", file=sys.stderr)
    return [
        Figure(
            scenario=f"{CONTENDER} {variant}, {_scenario(concurrency)}",
            measure="client / raw aiohttp+orjson throughput",
            value=float("nan"),
            target="",
            detail=reason,
        )
        for variant in ("async", "sync")
    ]


if __name__ == "__main__":
    sys.exit(main())
