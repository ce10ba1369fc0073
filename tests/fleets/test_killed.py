"""An applier SIGKILLed mid-apply: its successor, on another client that knows only the fleet,
converges without doubling a slot."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import pytest

from lambda_cloud.emulator import Emulator

from ..bulk.helpers import KEY, LIMIT, make_client
from .helpers import check_converged, fleet, live_slots

#: Applies a fleet of ``count`` one launch at a time (ten a second) and prints each launch.
#: The API key comes on stdin, never on the command line.
CHILD = """
import asyncio, json, sys
from lambda_cloud import AsyncLambdaCloud
from lambda_cloud.bulk import ProgressKind
from lambda_cloud.fleets import Fleet

async def main(base_url, count, limits, ssh_key):
    key = sys.stdin.readline().strip()
    async with AsyncLambdaCloud(
        api_key=key, base_url=base_url, rate_limits=json.loads(limits)
    ) as client:
        def progress(event):
            if event.kind is ProgressKind.LAUNCHED:
                print("LAUNCHED", event.slot, event.instance_id, flush=True)
        fleet = Fleet(
            name="web", count=int(count), instance_type_names=["gpu_1x_a10"],
            ssh_key_names=[ssh_key],
        )
        await client.fleets.apply(fleet, on_progress=progress)
    print("DONE", flush=True)

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.real_time  # the first applier is a child process, on real time
async def test_a_killed_appliers_successor_converges_without_doubling() -> None:
    async with Emulator(time_scale=0.001, seed=9) as emu:
        async with make_client(emu) as client:
            await client.ssh_keys.create(name=KEY)
        limits = {**emu.rate_limits, "launch": {"rate": 10.0, "burst": 1}}
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            emu.base_url,
            "6",
            json.dumps(limits),
            KEY,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert child.stdin is not None and child.stdout is not None
        printed: list[str] = []
        try:
            child.stdin.write(emu.api_key.encode() + b"\n")
            await child.stdin.drain()
            while len(printed) < 2:
                line = await asyncio.wait_for(child.stdout.readline(), LIMIT)
                assert line.startswith(b"LAUNCHED "), line
                printed.append(line.split()[2].decode())
        finally:
            child.send_signal(signal.SIGKILL)  # once: a second would reap behind asyncio's back
            await child.wait()
        assert child.returncode == -signal.SIGKILL
        left = live_slots(emu)
        assert 2 <= sum(map(len, left.values())) < 6
        async with make_client(emu) as successor:
            plan = await successor.fleets.plan(fleet(count=6))
            assert {m.id for m in plan.kept} == {i for ids in left.values() for i in ids}
            report = await successor.fleets.apply(fleet(count=6))
            assert report.converged, report.summary()
        ids = check_converged(emu, 6)
        assert set(printed) <= set(ids.values())  # what the killed one launched was kept
