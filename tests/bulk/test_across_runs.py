"""Bulk launches that meet another run, a later moment, or different arguments (issue 17).

Each test failed on the bulk engine before the keeper rule, the settle horizon counted from the
unknown outcome, the one "may still land" error and the rerun's argument check. Truth is read
from the emulator, never from the SDK's reports alone.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lambda_cloud import AsyncLambdaCloud, ValidationError
from lambda_cloud.bulk import (
    LAUNCHED_AT_TAG,
    MAX_LAUNCH_COUNT,
    BulkLaunchError,
    BulkLaunchReport,
    ProgressEvent,
    ProgressKind,
    UnresolvedLaunchError,
)
from lambda_cloud.emulator import Emulator, Fault

from .helpers import A10, KEY, LIMIT, POLL, SETTLE, RequestLog, emulated, token_instances

LAUNCH = "/instance-operations/launch"
ENDED = ("terminating", "terminated", "preempted")


def _live(emu: Emulator, run_id: str) -> dict[str, dict[str, Any]]:
    return {i: x for i, x in token_instances(emu, run_id).items() if x["status"] not in ENDED}


async def _concurrent_runs(
    emu: Emulator, runs: int, count: int, run_id: str, *, timeout: float = 5.0
) -> list[BulkLaunchReport]:
    """``runs`` launches of one ``run_id`` at once, each on a client of its own (as separate
    processes would be: no shared pool, limiter or instance listing)."""
    clients = [
        AsyncLambdaCloud(
            api_key=emu.api_key, base_url=emu.base_url, rate_limits=None, timeout=timeout
        )
        for _ in range(runs)
    ]
    try:
        return list(
            await asyncio.gather(
                *(
                    c.instances.launch_many(
                        count,
                        instance_type_name=A10,
                        ssh_key_names=[KEY],
                        run_id=run_id,
                        poll_interval=POLL,
                        settle_timeout=SETTLE,
                        timeout=LIMIT,
                    )
                    for c in clients
                )
            )
        )
    finally:
        for c in clients:
            await c.aclose()


def _check_agreed(emu: Emulator, reports: list[BulkLaunchReport], count: int) -> None:
    """Exactly ``count`` live instances, one per slot, and every report names exactly them."""
    live = _live(emu, reports[0].run_id)
    assert len(live) == count, f"{len(live)} live instances for {count} slots"
    slots = sorted(
        int(t["value"].rpartition("/")[2])
        for x in live.values()
        for t in x["tags"]
        if t["key"] == "lambda-cloud-launch-token"
    )
    assert slots == list(range(count)), "a slot has two live instances, or none"
    for report in reports:
        report.raise_for_errors()
        assert sorted(report.ids) == sorted(live), "a report names an instance that is not live"


@pytest.mark.parametrize("runs", [2, 3])
async def test_concurrent_runs_of_one_run_id_keep_one_instance_per_slot(runs: int) -> None:
    async with emulated(paced=False) as (emu, _):
        reports = await _concurrent_runs(emu, runs, 6, "job-42")
        _check_agreed(emu, reports, 6)


@pytest.mark.parametrize(
    "fault",
    [
        Fault(kind="timeout_after_commit", delay=0, path=LAUNCH, probability=0.3),
        Fault(kind="reset_after_commit", path=LAUNCH, probability=0.3),
        Fault(kind="status", status=503, path=LAUNCH, probability=0.3),
        Fault(kind="reset_before_commit", path=LAUNCH, probability=0.3),
    ],
    ids=lambda f: f.kind,
)
@pytest.mark.parametrize("runs", [2, 3])
async def test_concurrent_runs_of_one_run_id_agree_through_faults(runs: int, fault: Fault) -> None:
    async with emulated(paced=False, seed=runs) as (emu, _):
        emu.faults.add(fault)
        reports = await _concurrent_runs(emu, runs, 6, f"faulty-{runs}", timeout=0.2)
        _check_agreed(emu, reports, 6)


async def test_a_second_run_started_later_adopts_and_leaves_the_first_runs_instances() -> None:
    async with emulated(paced=False) as (emu, _):
        (first,) = await _concurrent_runs(emu, 1, 4, "ci-7")
        (second,) = await _concurrent_runs(emu, 1, 4, "ci-7")
        _check_agreed(emu, [first, second], 4)
        assert all(i.adopted for i in second.instances)


async def test_a_launch_landing_after_the_timeout_within_the_settle_window_is_adopted() -> None:
    """The defaults' shape: the settle window as long as the request timeout. The server
    carries the launch out after the client gave up, but within ``settle_timeout`` after that:
    the slot adopts it, never launches it again."""
    requests = RequestLog()
    async with Emulator(time_scale=0.001) as emu:
        async with AsyncLambdaCloud(
            api_key=emu.api_key,
            base_url=emu.base_url,
            rate_limits=None,
            timeout=0.5,
            trace_configs=[requests.trace_config()],
        ) as client:
            await client.ssh_keys.create(name=KEY)
            # Lands 1 s after the send: 0.5 s after the timeout, within the 0.8 s window.
            emu.faults.add(Fault(kind="late_commit", delay=1000.0, path=LAUNCH, times=1))
            report = await client.instances.launch_many(
                1,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                poll_interval=POLL,
                settle_timeout=0.8,
                timeout=LIMIT,
            )
        report.raise_for_errors()
        assert requests[f"POST {LAUNCH}"] == 1, "the slot was launched again"
        assert [i.adopted for i in report.instances] == [True]
        assert len(token_instances(emu, report.run_id)) == 1


async def test_a_slot_given_up_after_unknown_outcomes_is_an_unresolved_launch() -> None:
    """Every launch of the slot loses its connection: each may still land, so the slot ends as
    ``UnresolvedLaunchError`` (with the run's reclaim hint), whatever the last failure was."""
    async with emulated(paced=False) as (emu, client):
        client = client.with_options(max_retries=0)
        emu.faults.add(Fault(kind="reset_before_commit", path=LAUNCH))
        report = await client.instances.launch_many(
            1,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            poll_interval=POLL,
            settle_timeout=0.01,
            timeout=LIMIT,
        )
    (failure,) = report.failures
    assert isinstance(failure.error, UnresolvedLaunchError), repr(failure.error)
    assert failure.error.token == f"{report.run_id}/0"


@pytest.mark.parametrize(
    ("rerun", "differs"),
    [
        ({"instance_type_name": "gpu_1x_a100_sxm4"}, "type gpu_1x_a10"),
        ({"instance_type_name": A10, "region_names": ["us-east-1"]}, "region us-west-1"),
        ({"instance_type_name": A10, "name_prefix": "other"}, "name 'train-0'"),
    ],
)
async def test_a_rerun_with_other_arguments_is_refused_before_launching(
    rerun: dict[str, Any], differs: str
) -> None:
    async with emulated(paced=False) as (emu, client):
        first = await client.instances.launch_many(
            3,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            region_names=["us-west-1"],
            name_prefix="train",
            run_id="rr",
        )
        first.raise_for_errors()
        options: dict[str, Any] = {"region_names": ["us-west-1"], "name_prefix": "train"}
        options.update(rerun)
        with pytest.raises(ValidationError, match=differs) as caught:
            await client.instances.launch_many(4, ssh_key_names=[KEY], run_id="rr", **options)
        assert "reclaim" in str(caught.value)
        assert sorted(_live(emu, "rr")) == sorted(first.ids), "the refused rerun launched"


async def test_a_cancelled_rerun_keeps_what_another_run_created() -> None:
    async with emulated(paced=False, boot_delay=10_000.0) as (emu, client):
        first = await client.instances.launch_many(
            2, instance_type_name=A10, ssh_key_names=[KEY], run_id="keepme"
        )
        waiting = asyncio.Event()

        def on_progress(event: ProgressEvent) -> None:
            if event.kind is ProgressKind.STATUS:  # adopted both, waiting for them to boot
                waiting.set()

        rerun = asyncio.create_task(
            client.instances.launch_many(
                2,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                run_id="keepme",
                wait=True,
                poll_interval=POLL,
                on_progress=on_progress,
            )
        )
        await waiting.wait()
        rerun.cancel()
        with pytest.raises(asyncio.CancelledError):
            await rerun
        assert sorted(_live(emu, "keepme")) == sorted(first.ids)


async def test_a_count_above_the_maximum_is_refused_before_anything_is_sent() -> None:
    async with emulated(paced=False) as (emu, client):
        with pytest.raises(ValidationError, match="count"):
            await client.instances.launch_many(
                MAX_LAUNCH_COUNT + 1, instance_type_name=A10, ssh_key_names=[KEY]
            )
        assert not emu.instances(include_gone=True)


async def test_the_launch_time_tag_is_reserved() -> None:
    async with emulated(paced=False) as (emu, client):
        with pytest.raises(ValidationError, match=LAUNCHED_AT_TAG):
            await client.instances.launch_many(
                1,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                tags={LAUNCHED_AT_TAG: "2020-01-01T00:00:00.000000Z"},
            )
        assert not emu.instances(include_gone=True)


async def test_a_report_shows_an_instance_that_ended_before_its_final_listing() -> None:
    """An instance preempted before the run's final listing: the report shows it ended, and
    ``raise_for_errors`` says so (a report is checked against its final listing). The ended
    instance stays listed for a long (compressed) while, so the final listing shows it."""
    async with emulated(paced=False, terminated_retention=100_000.0) as (emu, client):

        def on_progress(event: ProgressEvent) -> None:
            if event.kind is ProgressKind.LAUNCHED and event.slot == 1:
                emu.preempt(event.instance_id or "")

        report = await client.instances.launch_many(
            3, instance_type_name=A10, ssh_key_names=[KEY], on_progress=on_progress
        )
    assert [i.slot for i in report.ended] == [1]
    assert not report.ok
    with pytest.raises(BulkLaunchError, match="1 launched instances have ended"):
        report.raise_for_errors()
