"""``instances.list()`` of 100 instances at concurrency 64, against raw aiohttp + orjson.

The body is made by the emulator: 100 instances launched with every option (name, hostname,
tags, file system mounts, firewall rulesets) and booted, so each has the full 1.10.0 shape
(ip, private_ip, hostname, jupyter fields, actions). A separate process then serves those exact
bytes from a minimal keep-alive HTTP responder, so the server costs next to nothing and does
not share a core or an event loop with the client being measured.

Both sides fetch the same URL with the same concurrency and connection pool size:

- raw: ``aiohttp`` GET, ``orjson.loads(body)["data"]`` (a list of dicts), nothing else;
- sdk: ``AsyncLambdaCloud(rate_limits=None).instances.list()`` (a list of ``Instance``).

Also run for 1 and 1,000 instances and at concurrency 1 (reported, no target). The target
is sdk / raw >= 0.75 at 100 instances and concurrency 64. ``--profile`` runs the SDK side
under cProfile afterwards and prints where its time goes.

    python -m benchmarks.bench_list [--requests N] [--concurrency C] [--rounds R] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import pstats
import resource
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
import orjson

from lambda_cloud import AsyncLambdaCloud, RequestedFilesystemMountEntry
from lambda_cloud.emulator import Emulator, ManualClock

from ._results import Figure, record

INSTANCES = 100
TARGET_RATIO = 0.75
REGION, TYPE = "us-west-1", "gpu_1x_a10"
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f b@h"


# -- the body ----------------------------------------------------------------------------------


async def make_body(count: int = INSTANCES) -> bytes:
    """``GET /instances`` as the emulator renders it with ``count`` booted, fully-dressed
    instances."""
    clock = ManualClock(0.0)
    async with Emulator(clock=clock, seed=7, capacity={(TYPE, REGION): count}) as emu:
        await _populate(emu, count)
        clock.advance(3600.0)  # booted: ip, hostname and jupyter fields present
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{emu.base_url}/instances", headers={"Authorization": f"Bearer {emu.api_key}"}
            ) as response,
        ):
            assert response.status == 200, response.status
            body = await response.read()
    instances = orjson.loads(body)["data"]
    assert len(instances) == count
    assert all(i["status"] == "active" and "ip" in i and "tags" in i for i in instances)
    return body


async def _populate(emu: Emulator, count: int) -> None:
    async with AsyncLambdaCloud(
        api_key=emu.api_key, base_url=emu.base_url, rate_limits=None
    ) as client:
        request = client.instances._request
        await client.ssh_keys.create("bench", PUBLIC_KEY)
        await request("POST", "/filesystems", body={"name": "shared", "region": REGION})
        scratch = await request("POST", "/filesystems", body={"name": "scratch", "region": REGION})
        rule = {
            "protocol": "tcp",
            "port_range": [22, 22],
            "source_network": "0.0.0.0/0",
            "description": "ssh",
        }
        ruleset = await request(
            "POST", "/firewall-rulesets", body={"name": "ssh", "region": REGION, "rules": [rule]}
        )
        for i in range(count):
            await client.instances.launch(
                region_name=REGION,
                instance_type_name=TYPE,
                ssh_key_names=["bench"],
                file_system_names=["shared"],
                file_system_mounts=[
                    RequestedFilesystemMountEntry(
                        mount_point="/data/scratch", file_system_id=scratch["id"]
                    )
                ],
                hostname=f"worker-{i:03d}",
                name=f"bench worker {i:03d}",
                tags={"team": "ml", "run": f"r{i % 7}", "env:stage": "bench"},
                firewall_rulesets=[ruleset["id"]],
            )


# -- the server (its own process) --------------------------------------------------------------


class _Responder(asyncio.Protocol):
    """Answers every request on a keep-alive connection with the same canned response."""

    def __init__(self, response: bytes) -> None:
        self._response = response
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:  # GETs carry no body: a request ends at the blank line
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self._buffer = self._buffer[end + 4 :]
            assert self._transport is not None
            self._transport.write(self._response)


def serve(body: bytes, conn: Connection) -> None:
    """Serve ``body`` to every GET on 127.0.0.1 (port sent on ``conn``) until ``conn`` closes."""
    response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: keep-alive\r\n\r\n" + body
    )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _Responder(response), "127.0.0.1", 0, backlog=1024
        )
        conn.send(server.sockets[0].getsockname()[1])
        stop = asyncio.Event()
        loop.add_reader(conn.fileno(), stop.set)  # the parent closes its end to stop us
        async with server:
            await stop.wait()

    asyncio.run(main())


# -- the clients -------------------------------------------------------------------------------


async def _drive(
    fetch: Callable[[], Awaitable[int]], requests: int, concurrency: int, expect: int = INSTANCES
) -> float:
    """Run ``requests`` fetches, ``concurrency`` at a time; return requests per second."""
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            assert await fetch() == expect

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - started)


async def measure(
    base_url: str, *, requests: int, concurrency: int, rounds: int, expect: int = INSTANCES
) -> tuple[list[float], list[float]]:
    """Throughputs (requests/s) of raw aiohttp and the SDK, alternating, ``rounds`` each."""
    url = f"{base_url}/instances"
    headers = {"Authorization": "Bearer secret_bench", "Accept": "application/json"}
    raw_rates: list[float] = []
    sdk_rates: list[float] = []
    async with (
        aiohttp.ClientSession() as session,
        AsyncLambdaCloud(api_key="secret_bench", base_url=base_url, rate_limits=None) as client,
    ):

        async def raw() -> int:
            async with session.get(url, headers=headers) as response:
                data: list[dict[str, Any]] = orjson.loads(await response.read())["data"]
            return len(data)

        async def sdk() -> int:
            return len(await client.instances.list())

        for fetch in (raw, sdk):  # warm up: connections, caches, generated cattrs hooks
            await _drive(fetch, max(concurrency * 2, requests // 10), concurrency, expect)
        for _ in range(rounds):
            raw_rates.append(await _drive(raw, requests, concurrency, expect))
            sdk_rates.append(await _drive(sdk, requests, concurrency, expect))
    return raw_rates, sdk_rates


async def profile_sdk(base_url: str, *, requests: int, concurrency: int) -> None:
    async with AsyncLambdaCloud(api_key="secret_bench", base_url=base_url, rate_limits=None) as c:

        async def sdk() -> int:
            return len(await c.instances.list())

        await _drive(sdk, concurrency * 2, concurrency)
        profiler = cProfile.Profile()
        profiler.enable()
        await _drive(sdk, requests, concurrency)
        profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    print("\n--- SDK side, by own time ---")
    stats.sort_stats("tottime").print_stats(25)
    print("--- SDK side, by cumulative time ---")
    stats.sort_stats("cumulative").print_stats(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=2000, help="requests per round at 100 instances"
    )
    parser.add_argument("--sizes", default="1,100,1000", help="instances per list")
    parser.add_argument("--concurrencies", default="1,64")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile the SDK side too")
    args = parser.parse_args(argv)

    figures: list[Figure] = []
    for count in [int(n) for n in args.sizes.split(",")]:
        figures += _measure_size(count, args)
    record("bench_list", figures)
    target = [f for f in figures if f.target]
    for figure in target:
        verdict = "ok" if figure.met else "BELOW TARGET"
        print(f"  {figure.scenario}: {figure.value:.2f} (target {figure.target}: {verdict})")
    return 0 if all(f.met for f in target) else 1


def _measure_size(count: int, args: argparse.Namespace) -> list[Figure]:
    """Every concurrency against one server process serving ``count`` instances; its CPU (read
    from the children's rusage once it has exited) shows it was not the bottleneck."""
    body = asyncio.run(make_body(count))
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server = ctx.Process(target=serve, args=(body, theirs), daemon=True)
    server.start()
    results = []
    try:
        base_url = f"http://127.0.0.1:{ours.recv()}/api/v1"
        started = time.perf_counter()
        for concurrency in [int(c) for c in args.concurrencies.split(",")]:
            requests = max(concurrency * 2, args.requests * 100 // max(count, 100))
            requests //= 2 if concurrency == 1 else 1
            rates = asyncio.run(
                measure(
                    base_url,
                    requests=requests,
                    concurrency=concurrency,
                    rounds=args.rounds,
                    expect=count,
                )
            )
            results.append((concurrency, requests, *rates))
        if args.profile and count == INSTANCES:
            asyncio.run(profile_sdk(base_url, requests=args.requests, concurrency=64))
        wall = time.perf_counter() - started
    finally:
        ours.close()
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    busy = f"server {100 * server_cpu / wall:.0f}% of a core"
    figures = []
    for concurrency, requests, raw_rates, sdk_rates in results:
        raw, sdk = statistics.median(raw_rates), statistics.median(sdk_rates)
        print(
            f"bench_list: instances.list() of {count} ({len(body):,} B), concurrency "
            f"{concurrency}, {requests} requests x {args.rounds} rounds, {busy}"
        )
        print(f"  raw aiohttp + orjson : {raw:8.1f} req/s  (rounds: {_rates(raw_rates)})")
        print(f"  lambda-cloud SDK     : {sdk:8.1f} req/s  (rounds: {_rates(sdk_rates)})")
        print(f"  ratio sdk/raw        : {sdk / raw:8.2f}")
        targeted = count == INSTANCES and concurrency == 64
        figures.append(
            Figure(
                scenario=f"instances.list() of {count:,}, concurrency {concurrency}",
                measure="SDK / raw aiohttp+orjson throughput",
                value=sdk / raw,
                target=f">= {TARGET_RATIO}" if targeted else "",
                detail=f"raw {raw:.0f} req/s, SDK {sdk:.0f} req/s; {busy}",
            )
        )
    return figures


def _rates(rates: list[float]) -> str:
    return ", ".join(f"{r:.0f}" for r in rates)


if __name__ == "__main__":
    sys.exit(main())
