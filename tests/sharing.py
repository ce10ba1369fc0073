"""Several processes sharing one API key, for the tests of pacing across processes.

``run_processes(emu, count, calls, ...)`` starts ``count`` interpreters running this module's
``main``; each builds a client with the default settings, scaled to the emulator's compressed
time (its limits and the default 60 s timeout times ``emu.time_scale``), waits until every
process is ready, calls ``instances.list()`` ``calls`` times one after another and prints what
happened as one JSON line. The processes start together (a line on stdin), never after a
sleep.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pathlib
import sys
from typing import Any

import attrs
import orjson

from lambda_cloud import AsyncLambdaCloud, RateLimits
from lambda_cloud._config import DEFAULT_TIMEOUT
from lambda_cloud.emulator import Emulator

ROOT = pathlib.Path(__file__).resolve().parent.parent


async def run_processes(
    emu: Emulator,
    count: int,
    calls: int,
    *,
    extra: tuple[str, ...] = (),
    module: str = "tests.sharing",
) -> list[dict[str, Any]]:
    """Each process's report: ``{"ok": calls that returned, "raised": [error class names]}``
    (or whatever ``module``, speaking the same protocol, reports)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LAMBDA_API_KEY": emu.api_key}
    argv = [emu.base_url, str(calls), str(emu.time_scale), *extra]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        for _ in range(count)
    ]
    try:
        for process in processes:  # each says it is ready once its client is built
            assert process.stdout is not None
            assert await process.stdout.readline() == b"ready\n"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        outputs = [await process.communicate() for process in processes]
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert all(process.returncode == 0 for process in processes), outputs
    return [orjson.loads(out) for out, _ in outputs]


async def _calls(
    base_url: str, calls: int, time_scale: float, shared: str | None
) -> dict[str, Any]:
    limits = attrs.evolve(RateLimits().scaled(time_scale), shared=shared)
    timeout = (DEFAULT_TIMEOUT.total or 60.0) * time_scale
    report: dict[str, Any] = {"ok": 0, "raised": []}
    async with AsyncLambdaCloud(base_url=base_url, rate_limits=limits, timeout=timeout) as client:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for _ in range(calls):
            try:
                await client.instances.list()
            except Exception as exc:
                report["raised"].append(type(exc).__name__)
            else:
                report["ok"] += 1
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("calls", type=int)
    parser.add_argument("time_scale", type=float)
    parser.add_argument("--shared", help="the shared store's URL")
    args = parser.parse_args()
    report = asyncio.run(_calls(args.base_url, args.calls, args.time_scale, args.shared))
    sys.stdout.write(orjson.dumps(report).decode() + "\n")


if __name__ == "__main__":
    main()
