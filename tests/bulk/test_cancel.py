"""Cancelling ``launch_many``: in-flight launches reconciled, nothing left unaccounted for."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest

from lambda_cloud import AsyncLambdaCloud
from lambda_cloud.bulk import (
    BulkLaunchCancelledError,
    BulkLaunchReport,
    OnCancel,
    ProgressEvent,
    ProgressKind,
    SlotCancelledError,
    UnresolvedLaunchError,
)
from lambda_cloud.emulator import Emulator, Fault

from ..emulator.helpers import until
from .helpers import (
    A10,
    KEY,
    LIMIT,
    POLL,
    SETTLE,
    check_launch_invariants,
    emulated,
    make_client,
    token_instances,
)

RUN = "feedface"
LAUNCH = "/instance-operations/launch"
ENDED = ("terminating", "terminated")


@pytest.fixture
async def slow_emu() -> AsyncIterator[Emulator]:
    # A launch every 24 ms (after a burst of 5): time to cancel in the middle.
    async with Emulator(time_scale=0.002, seed=3) as emulator:
        yield emulator


@pytest.fixture
async def slow_client(slow_emu: Emulator) -> AsyncIterator[AsyncLambdaCloud]:
    async with make_client(slow_emu) as c:
        await c.ssh_keys.create(name=KEY)
        yield c


def start(
    client: AsyncLambdaCloud, count: int, on_cancel: OnCancel, launched: asyncio.Event, after: int
) -> asyncio.Task[BulkLaunchReport]:
    seen = 0

    def progress(event: ProgressEvent) -> None:
        nonlocal seen
        if event.kind is ProgressKind.LAUNCHED:
            seen += 1
            if seen >= after:
                launched.set()

    return asyncio.create_task(
        client.instances.launch_many(
            count,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            on_cancel=on_cancel,
            on_progress=progress,
            poll_interval=POLL,
            settle_timeout=SETTLE,
        )
    )


async def cancelled_report(task: asyncio.Task[BulkLaunchReport]) -> BulkLaunchReport:
    with pytest.raises(asyncio.CancelledError) as caught:
        await task
    found = BulkLaunchCancelledError.find(caught.value)
    assert found is not None
    assert found.report.cancelled
    return found.report


@pytest.mark.parametrize(
    ("path", "ceiling", "run_id"),
    [
        # With a spend ceiling the instance types are listed before the run starts.
        pytest.param("/instance-types", 1_000_000, None, id="spend-check"),
        pytest.param("/instance-types", None, None, id="first-capacity-listing"),
        pytest.param("/instances", None, RUN, id="rerun-listing"),
    ],
)
async def test_cancel_before_anything_launched_still_hands_back_the_report(
    path: str, ceiling: int | None, run_id: str | None
) -> None:
    async with emulated() as (emu, client):
        held = emu.faults.add(Fault(kind="delay", delay=600_000.0, method="GET", path=path))
        task = asyncio.create_task(
            client.instances.launch_many(
                2,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                max_hourly_cost_cents=ceiling,
                run_id=run_id,
                poll_interval=POLL,
                settle_timeout=SETTLE,
            )
        )
        await until(lambda: held.fired == 1)  # the emulator holds the first listing
        emu.faults.remove(held)
        task.cancel()
        report = await cancelled_report(task)
        assert emu.launch_attempts() == []
    assert report.instances == [] and report.terminated == []
    assert [f.slot for f in report.failures] == [0, 1]
    assert all(isinstance(f.error, SlotCancelledError) for f in report.failures)


@pytest.mark.parametrize("on_cancel", ["terminate", "keep"])
async def test_cancel_midway(
    slow_emu: Emulator, slow_client: AsyncLambdaCloud, on_cancel: OnCancel
) -> None:
    launched = asyncio.Event()
    task = start(slow_client, 15, on_cancel, launched, after=7)
    await launched.wait()
    task.cancel()
    report = await cancelled_report(task)
    created = check_launch_invariants(slow_emu, report)
    assert 7 <= len(report.instances) < 15
    assert all(isinstance(f.error, SlotCancelledError) for f in report.failures)
    live = {i["id"]: i["status"] for i in slow_emu.instances(include_gone=True)}
    if on_cancel == "terminate":
        assert sorted(report.terminated) == sorted(created)
        assert all(live[i] in ENDED for i in created)
    else:
        assert report.terminated == []
        assert all(live[i] not in ENDED for i in created)


async def test_cancel_while_a_committed_launch_is_unanswered(slow_emu: Emulator) -> None:
    # The launch is carried out, then its answer is held until the client hangs up.
    fault = slow_emu.faults.add(Fault(kind="timeout_after_commit", path=LAUNCH, times=1))
    async with make_client(slow_emu) as client:
        await client.ssh_keys.create(name=KEY)
        task = start(client, 1, "terminate", asyncio.Event(), after=1)
        await until(lambda: bool(slow_emu.instances()))
        task.cancel()
        report = await cancelled_report(task)
    assert fault.fired == 1
    created = check_launch_invariants(slow_emu, report)
    assert len(created) == 1 == len(report.instances)
    assert all(i["status"] in ENDED for i in created.values())


async def test_cancel_while_a_launch_is_held_before_commit(slow_emu: Emulator) -> None:
    fault = slow_emu.faults.add(Fault(kind="delay", delay=60.0, path=LAUNCH))
    async with make_client(slow_emu) as client:
        await client.ssh_keys.create(name=KEY)
        task = start(client, 3, "terminate", asyncio.Event(), after=1)
        await until(lambda: fault.fired == 3)
        task.cancel()
        report = await cancelled_report(task)
    check_launch_invariants(slow_emu, report)
    assert not report.instances


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is new in 3.11")
async def test_outer_timeout_hands_back_the_report(
    slow_emu: Emulator, slow_client: AsyncLambdaCloud
) -> None:
    loop = asyncio.get_running_loop()
    with pytest.raises(TimeoutError) as caught:
        async with asyncio.timeout(None) as deadline:

            def expire_after_the_first_launch(event: ProgressEvent) -> None:
                if event.kind is ProgressKind.LAUNCHED:
                    deadline.reschedule(loop.time())

            await slow_client.instances.launch_many(
                15,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                poll_interval=POLL,
                on_progress=expire_after_the_first_launch,
                settle_timeout=SETTLE,
            )
    found = BulkLaunchCancelledError.find(caught.value)
    assert found is not None
    check_launch_invariants(slow_emu, found.report)
    assert found.report.instances
    assert sorted(found.report.terminated) == sorted(found.report.ids)


async def test_wait_for_timeout_hands_back_the_report(
    slow_emu: Emulator, slow_client: AsyncLambdaCloud
) -> None:
    with pytest.raises(asyncio.TimeoutError) as caught:  # not the builtin one before 3.11
        await asyncio.wait_for(
            slow_client.instances.launch_many(
                15,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                on_cancel="keep",
                settle_timeout=SETTLE,
            ),
            0.1,
        )
    found = BulkLaunchCancelledError.find(caught.value)
    assert found is not None
    check_launch_invariants(slow_emu, found.report)


async def test_cancel_during_the_wait_for_active() -> None:
    async with emulated(boot_delay=10_000.0) as (emu, client):  # boots take 10 s
        waiting = asyncio.Event()

        def progress(event: ProgressEvent) -> None:
            if event.kind is ProgressKind.STATUS:  # the wait has seen them booting
                waiting.set()

        task = asyncio.create_task(
            client.instances.launch_many(
                3,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                wait=True,
                timeout=LIMIT,
                poll_interval=POLL,
                on_progress=progress,
                settle_timeout=SETTLE,
                run_id=RUN,
            )
        )
        await waiting.wait()
        task.cancel()
        report = await cancelled_report(task)
        created = check_launch_invariants(emu, report)
    assert len(created) == 3
    assert all(i["status"] in ENDED for i in created.values())


async def test_a_second_cancel_does_not_cut_the_cleanup_short(slow_emu: Emulator) -> None:
    async with make_client(slow_emu) as client:
        await client.ssh_keys.create(name=KEY)
        launched = asyncio.Event()
        task = start(client, 12, "terminate", launched, after=4)
        await launched.wait()
        slow_emu.faults.add(Fault(kind="delay", delay=5.0, method="GET", path="/instances"))
        task.cancel()
        for _ in range(5):
            await asyncio.sleep(0.002)
            task.cancel()
        report = await cancelled_report(task)
    created = check_launch_invariants(slow_emu, report)
    assert created and all(i["status"] in ENDED for i in created.values())


async def test_a_cancel_after_an_extra_was_terminated_terminates_each_id_once() -> None:
    from lambda_cloud.bulk import LAUNCH_TOKEN_TAG, LAUNCHED_AT_TAG

    async with emulated(boot_delay=10_000.0) as (emu, client):
        emu.faults.add(Fault(kind="reset_before_commit", path=LAUNCH, times=1))
        waiting = asyncio.Event()
        landed = False

        async def progress(event: ProgressEvent) -> None:
            nonlocal landed
            if event.kind is ProgressKind.RETRYING and not landed:
                landed = True  # the lost launch lands late: the sweep will find an extra
                await client.instances.launch(
                    region_name=event.region or "",
                    instance_type_name=A10,
                    ssh_key_names=[KEY],
                    # Sent after the run's own launch: the run keeps its own, this is the extra.
                    tags={LAUNCH_TOKEN_TAG: f"{RUN}/0", LAUNCHED_AT_TAG: "9999-12-31T00:00:00Z"},
                )
            if event.kind is ProgressKind.STATUS:
                waiting.set()

        task = asyncio.create_task(
            client.instances.launch_many(
                1,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                wait=True,
                timeout=LIMIT,
                poll_interval=POLL,
                on_progress=progress,
                settle_timeout=SETTLE,
                run_id=RUN,
            )
        )
        await waiting.wait()
        task.cancel()
        report = await cancelled_report(task)
        created = token_instances(emu, report.run_id)
    assert landed and len(report.extras) == 1 and len(report.instances) == 1
    assert sorted(report.terminated) == sorted(created)  # each id once
    assert all(i["status"] in ENDED for i in created.values())


@pytest.mark.skipif(sys.version_info < (3, 11), reason="Task.cancelling() is new in 3.11")
async def test_two_cancels_before_the_run_reacts_hurry_it_too(emu: Emulator) -> None:
    """Two cancels that reach the task before it runs again are merged by asyncio into one
    CancelledError; the run still counts two (a second Ctrl-C pressed quickly) and does not
    wait its settle horizon for the held launch."""
    held = emu.faults.add(Fault(kind="late_commit", delay=600_000.0, path=LAUNCH, times=1))
    async with make_client(emu) as client:
        await client.ssh_keys.create(name=KEY)
        task = asyncio.create_task(
            client.instances.launch_many(
                1,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                request_timeout=30.0,
                poll_interval=POLL,
                settle_timeout=600.0,  # only hurrying ends the test in time
                run_id="twice",
            )
        )
        await until(lambda: held.fired == 1)
        task.cancel()
        task.cancel()
        report = await cancelled_report(task)
    (failure,) = report.failures
    assert isinstance(failure.error, UnresolvedLaunchError)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="Task.cancelling() is new in 3.11")
async def test_three_cancels_before_the_run_reacts_leave_only_the_terminate_requests(
    emu: Emulator,
) -> None:
    """Three quick cancels (three Ctrl-C) cut the cleanup down to terminating what the run
    knows of: it lists nothing more, and the held launch is reported unresolved."""
    held = emu.faults.add(Fault(kind="late_commit", delay=600_000.0, path=LAUNCH, times=1))
    answered = asyncio.Event()
    seen = 0

    def progress(event: ProgressEvent) -> None:
        nonlocal seen
        seen += event.kind is ProgressKind.LAUNCHED
        if seen == 2:
            answered.set()

    async with make_client(emu) as client:
        await client.ssh_keys.create(name=KEY)
        task = asyncio.create_task(
            client.instances.launch_many(
                3,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                on_progress=progress,
                request_timeout=30.0,
                poll_interval=POLL,
                settle_timeout=600.0,
            )
        )
        await answered.wait()
        await until(lambda: held.fired == 1)
        listed = emu.faults.add(
            Fault(kind="delay", delay=600_000.0, method="GET", path="/instances")
        )
        for _ in range(3):
            task.cancel()
        report = await cancelled_report(task)
        created = check_launch_invariants(emu, report)
    assert listed.fired == 0
    assert len(report.instances) == 2 and sorted(report.terminated) == sorted(report.ids)
    assert all(i["status"] in ENDED for i in created.values())
    (failure,) = report.failures
    assert isinstance(failure.error, UnresolvedLaunchError)
