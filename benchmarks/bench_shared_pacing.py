"""Many processes, one API key: P processes share a key against an emulator, in its own process,
that enforces the API's limits in compressed time (a request a second, bursts of five; a launch
every 12 s, bursts of five; all times ``--time-scale``). Three modes, measured in one run:

- fixed: each process paces itself to the limits as if it were alone
  (``RateLimits(adaptive=False)``, the pacing before adaptive pacing became the default);
- adaptive: the default, each process slowing down on 429s and speeding up again;
- shared: every process paces from one pair of buckets in Redis (``RateLimits(shared=...)``),
  on a ``redis-server`` this benchmark starts (the mode is "not measured" without one).

Each process builds its client with the default settings scaled to the compressed time (the
limits, and the 60 s timeout), then, all starting together: calls ``instances.list()`` ``--calls``
times one after another, then ``launch_many(1)`` with a run id of its own. Per mode and P:
calls that raised, server 429s (as the emulator counts them for the key), launches doubled (a
slot with two instances), and the aggregate rate of the list calls over the limit: the least
time the limit allows for the calls answered (five at once, then one an interval) over the
time they took, from the first answer until the last (the whole run, where a process that
slowed down for the others has the key to itself at the end; 1.0 is the limit, reached when
no interval goes unused), and, in the detail, until the first process is done (while all P
share the key). Targets: adaptive raises nothing and keeps the whole run's rate >= 0.9, shared
gets no 429 and keeps it >= 0.95; no mode doubles a launch. On a loaded machine a process may
start late (the "go" reaches it late), which shows as an unused stretch of the whole run.

    python -m benchmarks.bench_shared_pacing [--processes 2,4,8] [--calls N] [--time-scale S]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import math
import multiprocessing
import multiprocessing.connection
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import attrs
import orjson

from lambda_cloud import AsyncLambdaCloud, RateLimits
from lambda_cloud.bulk import LAUNCH_TOKEN_TAG
from lambda_cloud.emulator import Emulator

from ._results import Figure, record

TYPE, REGION, KEY = "gpu_1x_a10", "us-west-1", "bench"
MODES = ("fixed", "adaptive", "shared")
BURST = 5
ADAPTIVE_RATE, SHARED_RATE = 0.9, 0.95


def serve(time_scale: float, conn: multiprocessing.connection.Connection) -> None:
    """The emulator's process: a fresh account for each round, its 429s and its instances."""

    async def main() -> None:
        capacity = {(TYPE, REGION): 10_000}
        async with Emulator(
            time_scale=time_scale, enforce_rate_limits=True, capacity=capacity
        ) as emu:
            conn.send(emu.base_url)
            loop = asyncio.get_running_loop()
            while True:
                command, *args = await loop.run_in_executor(None, conn.recv)
                if command == "account":
                    conn.send(emu.add_account())
                elif command == "throttled":
                    conn.send(emu.rate_limited(args[0]))
                elif command == "instances":
                    conn.send(emu.instances(args[0]))
                else:
                    return

    asyncio.run(main())


@contextlib.contextmanager
def redis_server() -> Iterator[str | None]:
    """A throwaway ``redis-server`` on a free port (``None`` when it is not installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as directory:
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory]
        process = subprocess.Popen(
            [*argv, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", port), timeout=1) as sock,
                ):
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
                time.sleep(0.01)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.kill()
            process.wait()


# -- one process sharing the key ------------------------------------------------------------


def limits_for(mode: str, time_scale: float, redis_url: str | None) -> RateLimits:
    limits = RateLimits().scaled(time_scale)
    if mode == "fixed":
        return attrs.evolve(limits, adaptive=False)
    if mode == "shared":
        return attrs.evolve(limits, shared=redis_url)
    return limits


async def child(
    base_url: str, mode: str, calls: int, time_scale: float, redis_url: str | None, run_id: str
) -> None:
    """Say "ready"; on a line, the list calls, then their report; on the next, the launch."""
    loop = asyncio.get_running_loop()
    async with AsyncLambdaCloud(
        base_url=base_url,
        rate_limits=limits_for(mode, time_scale, redis_url),
        timeout=60.0 * time_scale,
    ) as client:
        print("ready", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        raised: list[str] = []
        answered: list[float] = []  # when each call that returned did
        for _ in range(calls):
            try:
                await client.instances.list()
            except Exception as exc:
                raised.append(type(exc).__name__)
            else:
                answered.append(time.time())
        report = {"answered": answered, "raised": raised}
        print(orjson.dumps(report).decode(), flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        try:
            launched = await client.instances.launch_many(
                1, instance_type_name=TYPE, ssh_key_names=[KEY], run_id=run_id
            )
            failures = [type(f.error).__name__ for f in launched.failures]
        except Exception as exc:
            failures = [type(exc).__name__]
        print(orjson.dumps({"raised": failures}).decode(), flush=True)


@attrs.frozen
class Round:
    """One mode with P processes."""

    mode: str
    processes: int
    raised: int
    throttled: int
    #: Aggregate rate / limit while every process was calling, and over the whole run.
    rate: float
    whole: float
    doubled: int

    def detail(self) -> str:
        return (
            f"all calling {self.rate:.3f}; raised {self.raised}, server 429s {self.throttled}, "
            f"launches doubled {self.doubled}"
        )


async def _round(
    conn: multiprocessing.connection.Connection,
    base_url: str,
    mode: str,
    count: int,
    calls: int,
    time_scale: float,
    redis_url: str | None,
) -> Round:
    conn.send(("account",))
    api_key = conn.recv()
    async with AsyncLambdaCloud(api_key=api_key, base_url=base_url, rate_limits=None) as client:
        await client.ssh_keys.create(KEY)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDA_")}
    env["LAMBDA_API_KEY"] = api_key
    argv = ["-m", "benchmarks.bench_shared_pacing", "--child", base_url, mode, str(calls)]
    argv += [str(time_scale), redis_url or "-"]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            *argv,
            f"{mode}-{count}-{i}",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        for i in range(count)
    ]

    async def phase(expect: bytes | None) -> list[dict[str, Any]]:
        for process in processes:  # every process ready first: they start together
            assert process.stdout is not None and process.stdin is not None
            if expect is not None:
                assert await process.stdout.readline() == expect
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        lines = [await process.stdout.readline() for process in processes if process.stdout]
        return [orjson.loads(line) for line in lines]

    try:
        lists = await phase(b"ready\n")
        launches = await phase(None)
        for process in processes:
            await process.wait()
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
    conn.send(("throttled", api_key))
    throttled = conn.recv()
    conn.send(("instances", api_key))
    tokens = collections.Counter(
        tag["value"]
        for instance in conn.recv()
        for tag in instance.get("tags") or ()
        if tag["key"] == LAUNCH_TOKEN_TAG
    )
    answered = sorted(t for r in lists for t in r["answered"])
    # While every process still calls (until the first is done), and over the whole run.
    together = min(max(r["answered"], default=answered[-1]) for r in lists)
    return Round(
        mode=mode,
        processes=count,
        raised=sum(len(r["raised"]) for r in lists + launches),
        throttled=throttled,
        rate=_rate([t for t in answered if t <= together], time_scale),
        whole=_rate(answered, time_scale),
        doubled=sum(n - 1 for n in tokens.values() if n > 1),
    )


def _rate(answered: list[float], time_scale: float) -> float:
    """The least time the limit allows for these answers (``BURST`` at once, then one an
    interval) over the time they took."""
    span = answered[-1] - answered[0] if len(answered) > BURST else 0.0
    return (len(answered) - BURST) * time_scale / span if span > 0 else math.nan


async def measure(
    counts: list[int], calls: int, time_scale: float, redis_url: str | None
) -> list[Round]:
    ctx = multiprocessing.get_context("spawn")
    parent, conn = ctx.Pipe()
    server = ctx.Process(target=serve, args=(time_scale, conn), daemon=True)
    server.start()
    rounds = []
    try:
        base_url = parent.recv()
        for count in counts:
            for mode in MODES:
                if mode == "shared" and redis_url is None:
                    nan = math.nan
                    rounds.append(Round(mode, count, 0, 0, nan, nan, 0))
                    continue
                result = await _round(parent, base_url, mode, count, calls, time_scale, redis_url)
                print(
                    f"  {count} processes, {mode:<8} whole run rate/limit {result.whole:.3f}, "
                    + result.detail(),
                    flush=True,
                )
                rounds.append(result)
    finally:
        parent.send(("stop",))
        server.join(timeout=30)
    return rounds


def figures(rounds: list[Round], calls: int) -> list[Figure]:
    targets = {"fixed": "", "adaptive": f">= {ADAPTIVE_RATE}", "shared": f">= {SHARED_RATE}"}
    names = {"fixed": "fixed pacing", "adaptive": "adaptive (default)", "shared": "shared (Redis)"}
    rows = [
        Figure(
            scenario=f"{r.processes} processes x {calls} list(), one key, {names[r.mode]}",
            measure="aggregate rate / limit, whole run",
            value=r.whole,
            target=targets[r.mode],
            detail=r.detail() if r.whole == r.whole else "not measured: no redis-server",
        )
        for r in rounds
    ]

    def total(mode: str | None, field: str) -> tuple[float, str]:
        """The sum of ``field`` over the rounds of ``mode`` (every mode: ``None``), and each."""
        chosen = [r for r in rounds if mode in (None, r.mode) and r.whole == r.whole]
        each = ", ".join(f"{r.mode} x{r.processes}: {getattr(r, field)}" for r in chosen)
        return (float(sum(getattr(r, field) for r in chosen)) if chosen else math.nan), each

    for mode, field, measure, scenario in (
        ("adaptive", "raised", "calls that raised", "adaptive (default)"),
        ("shared", "throttled", "server 429s", "shared (Redis)"),
        (None, "doubled", "launches doubled", "every mode, launch_many(1) each,"),
    ):
        value, each = total(mode, field)
        rows.append(
            Figure(
                scenario=f"{scenario} 2/4/8 processes",
                measure=measure,
                value=value,
                target="<= 0",
                detail=each,
            )
        )
    return rows


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        base_url, mode, calls, time_scale, redis_url, run_id = argv[1:]
        url = None if redis_url == "-" else redis_url
        asyncio.run(child(base_url, mode, int(calls), float(time_scale), url, run_id))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="2,4,8")
    parser.add_argument("--calls", type=int, default=12)
    parser.add_argument("--time-scale", type=float, default=0.2)
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.processes.split(",")]
    print(
        f"{args.processes} processes, one key, {args.calls} list() calls and one launch each; "
        f"a request every {1000 * args.time_scale:.0f} ms, a launch every "
        f"{12 * args.time_scale:.1f} s, bursts of {BURST}"
    )
    with redis_server() as redis_url:
        rounds = asyncio.run(measure(counts, args.calls, args.time_scale, redis_url))
    rows = figures(rounds, args.calls)
    record("bench_shared_pacing", rows)
    missed = [f for f in rows if f.met is False or (f.target and f.value != f.value)]
    for figure in missed:
        print(f"MISSED: {figure.scenario}: {figure.measure} {figure.value} ({figure.target})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
