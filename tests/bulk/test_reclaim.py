"""Runs found and reclaimed by their run id: ``find_run``, ``reclaim``, reruns that converge,
a second cancel, and a process killed in the middle of ``launch_many``."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys

import pytest

from lambda_cloud import ValidationError
from lambda_cloud.bulk import (
    LAUNCH_TOKEN_TAG,
    BulkLaunchCancelledError,
    TerminateOutcome,
    UnresolvedLaunchError,
)
from lambda_cloud.emulator import Emulator, Fault

from ..emulator.helpers import until
from .helpers import A10, KEY, LIMIT, POLL, RequestLog, emulated, make_client, token_instances

LAUNCH = "/instance-operations/launch"
ENDED = ("terminating", "terminated", "preempted")


def _live(emu: Emulator, run_id: str) -> dict[str, str]:
    """Live instances of run ``run_id``: id -> launch token."""
    return {
        i: next(t["value"] for t in found["tags"] if t["key"] == LAUNCH_TOKEN_TAG)
        for i, found in token_instances(emu, run_id).items()
        if found["status"] not in ENDED
    }


async def test_find_run_and_reclaim_touch_only_that_run() -> None:
    async with emulated(seed=11) as (emu, client):
        mine = await client.instances.launch_many(
            3, instance_type_name=A10, ssh_key_names=[KEY], run_id="mine", poll_interval=POLL
        )
        theirs = await client.instances.launch_many(
            2, instance_type_name=A10, ssh_key_names=[KEY], run_id="theirs", poll_interval=POLL
        )
        assert [i.id for i in await client.instances.find_run("mine")] == mine.ids
        kept = await client.instances.reclaim("mine", keep=[mine.ids[0]])
        assert sorted(kept.outcomes) == sorted(mine.ids[1:])
        assert kept.ok
        assert [i.id for i in await client.instances.find_run("mine")] == [mine.ids[0]]
        everything = await client.instances.reclaim("mine", wait=True)
        assert everything.outcomes == {mine.ids[0]: TerminateOutcome.TERMINATED}
        assert _live(emu, "mine") == {}
        assert sorted(_live(emu, "theirs")) == sorted(theirs.ids)


async def test_reclaiming_a_run_with_nothing_live_is_an_empty_success() -> None:
    """A second reclaim (or one after a clean cancel) has nothing to do; it used to hand an
    empty list to terminate_many, which refuses one."""
    async with emulated(seed=12) as (_, client):
        report = await client.instances.reclaim("nothing-here")
        assert report.ok and report.outcomes == {}
        launched = await client.instances.launch_many(
            1, instance_type_name=A10, ssh_key_names=[KEY], run_id="once", poll_interval=POLL
        )
        assert (await client.instances.reclaim("once")).ok
        again = await client.instances.reclaim("once", keep=launched.ids)
        assert again.ok and again.outcomes == {}


async def test_a_bad_run_id_is_refused_before_anything_is_sent() -> None:
    requests = RequestLog()
    async with Emulator(time_scale=0.001) as emu, make_client(emu, requests) as client:
        for bad in ["", "a/b", "x" * 33, "run id"]:
            with pytest.raises(ValidationError):
                await client.instances.find_run(bad)
            with pytest.raises(ValidationError):
                await client.instances.reclaim(bad)
            with pytest.raises(ValidationError):
                await client.instances.launch_many(
                    1, instance_type_name=A10, ssh_key_names=[KEY], run_id=bad
                )
    assert sum(requests.counts.values()) == 0


async def test_a_second_cancel_skips_the_horizon_and_says_how_to_reclaim(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first cancel waits for the launch the server holds (settle horizon: 60 s); the
    second stops waiting and logs the run's tag. The launch lands later all the same, and
    ``reclaim`` finds and terminates it."""
    requests = RequestLog()
    async with Emulator(time_scale=0.001, seed=13) as emu, make_client(emu, requests) as client:
        await client.ssh_keys.create(name=KEY)
        late = emu.faults.add(Fault(kind="late_commit", delay=300.0, path=LAUNCH, times=1))
        task = asyncio.create_task(
            client.instances.launch_many(
                1, instance_type_name=A10, ssh_key_names=[KEY], run_id="hurried", poll_interval=POLL
            )
        )
        await until(lambda: late.fired == 1)
        listed = requests["GET /instances"]  # the launch is held: nothing to reconcile yet
        with caplog.at_level(logging.WARNING, logger="lambda_cloud"):
            task.cancel()
            await until(lambda: requests["GET /instances"] > listed)  # reconciling, cancelled
            assert not task.done()
            task.cancel()
            with pytest.raises(asyncio.CancelledError) as caught:
                await task
        found = BulkLaunchCancelledError.find(caught.value)
        assert found is not None
        report = found.report
        assert not report.instances
        [failure] = report.failures
        assert isinstance(failure.error, UnresolvedLaunchError)
        assert any(
            "hurried" in r.getMessage() and LAUNCH_TOKEN_TAG in r.getMessage()
            for r in caplog.records
        )
        await until(lambda: bool(_live(emu, "hurried")))  # the held launch has landed
        [straggler] = _live(emu, "hurried")
        reclaimed = await client.instances.reclaim("hurried")
        assert list(reclaimed.outcomes) == [straggler]
        assert _live(emu, "hurried") == {}


# -- a process killed in the middle of launch_many -------------------------------------------

#: Launches ``count`` instances of run ``run_id`` one at a time, paced at ten a second, and
#: prints each as it is launched. The API key comes on stdin, never on the command line.
CHILD = """
import asyncio, json, sys
from lambda_cloud import AsyncLambdaCloud
from lambda_cloud.bulk import ProgressKind

async def main(base_url, count, run_id, limits, instance_type, ssh_key):
    key = sys.stdin.readline().strip()
    async with AsyncLambdaCloud(
        api_key=key, base_url=base_url, rate_limits=json.loads(limits)
    ) as client:
        def progress(event):
            if event.kind is ProgressKind.LAUNCHED:
                print("LAUNCHED", event.slot, event.instance_id, flush=True)
        await client.instances.launch_many(
            int(count), instance_type_name=instance_type, ssh_key_names=[ssh_key], run_id=run_id,
            max_concurrency=1, on_progress=progress,
        )
    print("DONE", flush=True)

asyncio.run(main(*sys.argv[1:]))
"""


async def _killed_mid_launch(emu: Emulator, run_id: str, count: int, after: int) -> list[str]:
    """Run CHILD against ``emu``, SIGKILL it right after its ``after``-th launched instance
    (its next launch then waits 0.1 s for its turn); return the ids it printed."""
    limits = {**emu.rate_limits, "launch": {"rate": 10.0, "burst": 1}}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        emu.base_url,
        str(count),
        run_id,
        json.dumps(limits),
        A10,
        KEY,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    printed: list[str] = []
    try:
        child.stdin.write(emu.api_key.encode() + b"\n")
        await child.stdin.drain()
        while len(printed) < after:
            line = await asyncio.wait_for(child.stdout.readline(), LIMIT)
            assert line.startswith(b"LAUNCHED "), line
            printed.append(line.split()[2].decode())
    finally:
        # Once only: a second signal would reap the child behind asyncio's back.
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    return printed


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.real_time  # the launching client is a child process, on real time
async def test_reclaim_after_a_kill_terminates_everything_the_run_launched() -> None:
    async with Emulator(time_scale=0.001, seed=14) as emu:
        async with make_client(emu) as client:
            await client.ssh_keys.create(name=KEY)
        printed = await _killed_mid_launch(emu, "killed", count=8, after=3)
        created = token_instances(emu, "killed")
        assert set(printed) <= set(created) and len(created) < 8
        async with make_client(emu) as fresh:  # a new process's client: knows only the run id
            found = await fresh.instances.find_run("killed")
            assert sorted(i.id for i in found) == sorted(created)
            report = await fresh.instances.reclaim("killed", wait=True)
        assert report.ok
        assert sorted(report.outcomes) == sorted(created)
        statuses = {i: found["status"] for i, found in token_instances(emu, "killed").items()}
    assert all(status in ENDED for status in statuses.values()), statuses


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.real_time  # the launching client is a child process, on real time
async def test_a_rerun_after_a_kill_ends_with_exactly_count_instances() -> None:
    async with Emulator(time_scale=0.001, seed=15) as emu:
        async with make_client(emu) as client:
            await client.ssh_keys.create(name=KEY)
        printed = await _killed_mid_launch(emu, "rerun", count=6, after=2)
        async with make_client(emu) as fresh:
            report = await fresh.instances.launch_many(
                6, instance_type_name=A10, ssh_key_names=[KEY], run_id="rerun", poll_interval=POLL
            )
        live = _live(emu, "rerun")
    report.raise_for_errors()
    assert sorted(live) == sorted(report.ids)
    assert sorted(live.values()) == sorted(f"rerun/{slot}" for slot in range(6))
    adopted = {i.id for i in report.instances if i.adopted}
    assert set(printed) <= adopted, "a slot the killed run filled was launched again"
