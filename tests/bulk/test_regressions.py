"""One regression test per defect measured in issue 8 ("Bulk you can bet money on").

Each one failed on the bulk code before the rewrite (commit dbb3cc3). Waits are on the
emulator's state or on compressed time, never on luck: a ``late_commit`` fault holds a launch
for a known (scaled) time and always carries it out, and a ``ManualClock`` decides exactly when
an instance drops out of the list.
"""

from __future__ import annotations

import asyncio
import cProfile
from pathlib import Path

import pytest

from lambda_cloud import APIStatusError, AsyncLambdaCloud, InstanceStatus, WaitTimeoutError
from lambda_cloud.bulk import (
    LAUNCH_TOKEN_TAG,
    BulkLaunchCancelledError,
    BulkLaunchReport,
    ProgressEvent,
    TerminateOutcome,
)
from lambda_cloud.emulator import Emulator, Fault, ManualClock

from ..emulator.helpers import until
from .helpers import A10, FAST_RETRIES, KEY, LIMIT, POLL, Events, RequestLog, emulated, make_client

LAUNCH = "/instance-operations/launch"
TERMINATE = "/instance-operations/terminate"
ENDED = ("terminating", "terminated")
#: 503s in a row on the instance list: more than a waiter's list call used to survive (the
#: transport's tries times as many rounds on top), far less than its deadline allows.
OUTAGE = 4 * (FAST_RETRIES.max_retries + 1)


def _statuses(emu: Emulator) -> dict[str, str]:
    """Every instance the emulator ever created (gone ones included) -> its status."""
    return {i["id"]: i["status"] for i in emu.instances(include_gone=True)}


def _live_tokens(emu: Emulator) -> list[str]:
    """The launch token of every live instance carrying one (a token twice: a doubled slot)."""
    return [
        tag["value"]
        for i in emu.instances()
        if i["status"] not in ENDED
        for tag in i["tags"] or ()
        if tag["key"] == LAUNCH_TOKEN_TAG
    ]


async def _cancelled(task: asyncio.Task[BulkLaunchReport]) -> BulkLaunchReport:
    with pytest.raises(asyncio.CancelledError) as caught:
        await task
    found = BulkLaunchCancelledError.find(caught.value)
    assert found is not None
    return found.report


# -- 1. cancelling while a launch is in flight must not leak what it creates -----------------


async def test_1_a_cancel_waits_out_an_in_flight_launch_and_terminates_what_it_made() -> None:
    """The launch is in flight when the run is cancelled; the server carries it out 0.3 s
    later. The cancelled run keeps reconciling within its settle horizon, finds the instance
    and terminates it, so its report holds every instance the run created."""
    async with emulated(seed=1) as (emu, client):
        late = emu.faults.add(Fault(kind="late_commit", delay=300.0, path=LAUNCH, times=1))
        task = asyncio.create_task(
            client.instances.launch_many(
                1,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                on_cancel="terminate",
                poll_interval=POLL,
                settle_timeout=5.0,
            )
        )
        await until(lambda: late.fired == 1)  # the launch is held by the server
        task.cancel()
        report = await _cancelled(task)
        await until(lambda: bool(_statuses(emu)))  # the late commit has landed, now or before
        statuses = _statuses(emu)
    assert sorted(statuses) == sorted(report.ids), "an instance the run created is not reported"
    assert sorted(report.terminated) == sorted(report.ids)
    assert all(status in ENDED for status in statuses.values()), statuses


# -- 2. the wait before a slot is relaunched must not shrink with poll_interval --------------


async def test_2_a_short_poll_interval_does_not_relaunch_a_slot_before_its_horizon() -> None:
    """The launch's answer is lost (request timeout 0.05 s) and the server applies it 0.3 s
    later. Polling every 2 ms must not bring the relaunch forward: the slot waits for its
    settle horizon (2 s), adopts the late instance, and never has two."""
    requests = RequestLog()
    async with Emulator(time_scale=0.001, seed=2) as emu, make_client(emu, requests) as client:
        await client.ssh_keys.create(name=KEY)
        emu.faults.add(Fault(kind="late_commit", delay=300.0, path=LAUNCH, times=1))
        report = await client.instances.launch_many(
            1,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            request_timeout=0.05,
            poll_interval=POLL,
            settle_timeout=2.0,
        )
        # Every launch sent is carried out, the held one included: wait until all have landed.
        await until(lambda: len(_statuses(emu)) == requests[f"POST {LAUNCH}"])
        tokens = _live_tokens(emu)
    assert len(tokens) == len(set(tokens)) == 1, f"a slot has two live instances: {tokens}"
    assert requests[f"POST {LAUNCH}"] == 1
    assert [i.adopted for i in report.instances] == [True]


# -- 3. one 404 from terminate is no proof an instance is gone -------------------------------


@pytest.mark.parametrize("count", [1, 3])
async def test_3_a_404_on_terminate_is_confirmed_by_the_list(count: int) -> None:
    """The terminate call answers 404 for live instances (once per id, as a flaky proxy
    would): each is checked against the list, terminated after all, and waited for."""
    async with emulated(seed=3) as (emu, client):
        launched = await client.instances.launch_many(
            count, instance_type_name=A10, ssh_key_names=[KEY], poll_interval=POLL
        )
        ids = launched.ids
        assert len(ids) == count
        # Every id's first terminate (the batch, then each half the 404 makes it bisect into)
        # answers 404.
        emu.faults.add(Fault(kind="status", status=404, path=TERMINATE, times=2 * count - 1))
        report = await client.instances.terminate_many(
            ids, wait=True, poll_interval=POLL, timeout=LIMIT
        )
        statuses = _statuses(emu)
    assert report.ok
    assert report.outcomes == dict.fromkeys(ids, TerminateOutcome.TERMINATED)
    assert all(statuses[i] in ENDED for i in ids), statuses


# -- 4. an instance that vanishes from the list must not be returned stale -------------------


async def test_4_wait_for_terminated_leaves_out_an_instance_that_vanished() -> None:
    """The wait sees the instance ``terminating``; by the next poll it is terminated and
    already dropped from the list (retention 0.1 s). Its last copy, ``terminating``, is stale:
    the wait returns nothing for it (docs/bulk.md)."""
    clock = ManualClock(1000.0)
    async with (
        Emulator(clock=clock, seed=4, terminate_delay=0.3, terminated_retention=0.1) as emu,
        make_client(emu) as client,
    ):
        await client.ssh_keys.create(name=KEY)
        [instance_id] = await client.instances.launch(
            region_name="us-west-1", instance_type_name=A10, ssh_key_names=[KEY]
        )
        clock.advance(5.0)  # booted
        await client.instances.terminate([instance_id])
        seen: list[str | None] = []

        def vanish_after_the_first_poll(event: ProgressEvent) -> None:
            seen.append(None if event.status is None else event.status.value)
            if len(seen) == 1:
                clock.advance(1.0)  # past terminate_delay and terminated_retention

        instances = await client.instances.wait_for(
            [instance_id],
            "terminated",
            poll_interval=POLL,
            timeout=LIMIT,
            on_progress=vanish_after_the_first_poll,
        )
        assert emu.instances() == []
    assert seen[0] == "terminating"
    assert instances == [], [i.status for i in instances]


# -- 5. a waiter must ride out a failed list call while its deadline has time left ----------


async def test_5_wait_for_rides_out_a_list_call_that_failed_after_its_retries() -> None:
    async with emulated(seed=5, boot_delay=50.0) as (emu, client):
        launched = await client.instances.launch_many(
            2, instance_type_name=A10, ssh_key_names=[KEY], poll_interval=POLL
        )
        outage = emu.faults.add(Fault(kind="status", status=503, method="GET", path="/instances"))
        outage.times = OUTAGE
        instances = await client.instances.wait_for(launched.ids, poll_interval=POLL, timeout=LIMIT)
    assert outage.fired == OUTAGE
    assert [i.status for i in instances] == [InstanceStatus.ACTIVE] * 2


async def test_5_terminate_many_waits_through_a_list_outage() -> None:
    async with emulated(seed=5, terminate_delay=50.0) as (emu, client):
        launched = await client.instances.launch_many(
            3, instance_type_name=A10, ssh_key_names=[KEY], poll_interval=POLL
        )
        outage = emu.faults.add(Fault(kind="status", status=503, method="GET", path="/instances"))
        outage.times = OUTAGE
        report = await client.instances.terminate_many(
            launched.ids, wait=True, poll_interval=POLL, timeout=LIMIT
        )
        statuses = _statuses(emu)
    assert outage.fired == OUTAGE
    assert report.wait_error is None
    assert report.outcomes == dict.fromkeys(launched.ids, TerminateOutcome.TERMINATED)
    assert all(statuses[i] == "terminated" for i in launched.ids)


async def test_5_a_wait_that_times_out_on_a_failing_list_carries_the_last_error() -> None:
    async with emulated(seed=5) as (emu, client):
        launched = await client.instances.launch_many(
            1, instance_type_name=A10, ssh_key_names=[KEY], poll_interval=POLL
        )
        emu.faults.add(Fault(kind="status", status=503, method="GET", path="/instances"))
        with pytest.raises(WaitTimeoutError) as caught:
            await client.instances.wait_for(launched.ids, poll_interval=POLL, timeout=0.1)
    assert _in_chain(caught.value, APIStatusError), "the list's failure is not in the chain"


def _in_chain(error: BaseException | None, cls: type[BaseException]) -> bool:
    while error is not None:
        if isinstance(error, cls):
            return True
        error = error.__cause__ or error.__context__
    return False


# -- 6. progress: O(1) per event, and never running backwards within a phase -----------------


async def test_6_progress_never_runs_backwards_within_a_phase() -> None:
    """Launches of unknown outcome, a wait for active, then terminating with a wait: each event
    names its phase, whose ``total`` is fixed and whose ``done`` never decreases."""
    async with emulated(seed=6, boot_delay=20.0) as (emu, client):
        emu.faults.add(Fault(kind="reset_after_commit", path=LAUNCH, probability=0.4))
        emu.faults.add(Fault(kind="late_commit", delay=30.0, path=LAUNCH, probability=0.3))
        events = Events()
        report = await client.instances.launch_many(
            12,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            wait=True,
            poll_interval=POLL,
            request_timeout=0.01,
            settle_timeout=0.2,
            on_progress=events,
            timeout=LIMIT,
        )
        terminated = await client.instances.terminate_many(
            report.ids, wait=True, poll_interval=POLL, on_progress=events, timeout=LIMIT
        )
    assert terminated.ok
    assert {"launching", "waiting", "terminating"} <= {e.phase.value for e in events.events}
    _check_phases(events.events)


async def test_6_a_cancelled_run_counts_each_phase_on_its_own() -> None:
    """Cancelled while launches are held by the server: the run reconciles them, then
    terminates what it made, each phase counted from its own start."""
    async with emulated(seed=6) as (emu, client):
        late = emu.faults.add(Fault(kind="late_commit", delay=50.0, path=LAUNCH, probability=0.5))
        events = Events()
        task = asyncio.create_task(
            client.instances.launch_many(
                20,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                poll_interval=POLL,
                settle_timeout=0.3,
                on_progress=events,
            )
        )
        await until(lambda: late.fired >= 3)  # the third held launch is in flight for 50 ms
        task.cancel()
        report = await _cancelled(task)
        statuses = _statuses(emu)
    assert report.instances and all(statuses[i] in ENDED for i in report.ids)
    assert {"launching", "reconciling", "terminating"} <= {e.phase.value for e in events.events}
    _check_phases(events.events)


def _check_phases(events: list[ProgressEvent]) -> None:
    """Within each run of consecutive events of one phase: ``total`` fixed, ``done`` rising."""
    previous: ProgressEvent | None = None
    for event in events:
        assert 0 <= event.done <= event.total, event
        if previous is not None and previous.phase == event.phase:
            assert event.total == previous.total, f"total changed: {previous} -> {event}"
            assert event.done >= previous.done, f"done ran backwards: {previous} -> {event}"
        previous = event


def _bulk_calls(profile: cProfile.Profile) -> int:
    """Python-level calls (generator steps included) into lambda_cloud/bulk/ code."""
    bulk = str(Path(__file__).parents[2] / "lambda_cloud" / "bulk")
    return sum(
        entry.callcount
        for entry in profile.getstats()
        if not isinstance(entry.code, str) and entry.code.co_filename.startswith(bulk)
    )


async def _profiled_launch(count: int) -> int:
    """Bulk-code calls for one ``launch_many(count)`` against an unpaced emulator."""
    capacity = {(A10, "us-west-1"): count}
    async with emulated(seed=6, paced=False, capacity=capacity) as (_, client):
        events = Events()
        profile = cProfile.Profile()
        profile.enable()
        try:
            report = await client.instances.launch_many(
                count, instance_type_name=A10, ssh_key_names=[KEY], on_progress=events
            )
        finally:
            profile.disable()
    assert len(report.instances) == count
    assert [e.done for e in events.events] == list(range(1, count + 1))
    return _bulk_calls(profile)


async def test_6_progress_work_per_slot_does_not_grow_with_the_count() -> None:
    """Counting calls into the bulk code, not time: recounting every slot for every event
    made ten times the slots cost ten times the calls per slot."""
    small, large = 60, 600
    per_slot_small = await _profiled_launch(small) / small
    per_slot_large = await _profiled_launch(large) / large
    assert per_slot_large <= 1.3 * per_slot_small, (per_slot_small, per_slot_large)


# -- found by the randomized runs (tests/bulk/test_randomized.py) ----------------------------


def _paced_client(
    emu: Emulator, requests: RequestLog, *, rate: float, burst: int
) -> AsyncLambdaCloud:
    """A client whose launches are paced at ``rate`` per real second after a burst."""
    return AsyncLambdaCloud(
        api_key=emu.api_key,
        base_url=emu.base_url,
        rate_limits={**emu.rate_limits, "launch": {"rate": rate, "burst": burst}},
        max_retries=FAST_RETRIES,
        timeout=5.0,
        trace_configs=[requests.trace_config()],
    )


async def test_the_settle_horizon_runs_from_the_launch_actually_sent() -> None:
    """The first try of a launch is throttled (429: nothing happened); the retry waits 2 s for
    the client's pacing, is sent, and its answer is lost; the server applies it 0.15 s later.
    The horizon (1 s) counts from the retry, so the slot waits for it and adopts it, instead of
    relaunching at once (2 s after the first try) and catching the late one as an extra. The
    margins on both sides are wide enough for a loaded machine."""
    requests = RequestLog()
    async with Emulator(time_scale=0.001, seed=10) as emu:
        async with _paced_client(emu, requests, rate=0.5, burst=1) as client:
            await client.ssh_keys.create(name=KEY)
            emu.faults.add(Fault(kind="status", status=429, path=LAUNCH, times=1))
            emu.faults.add(Fault(kind="late_commit", delay=150.0, path=LAUNCH, times=1))
            report = await client.instances.launch_many(
                1,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                request_timeout=0.05,
                settle_timeout=1.0,
                poll_interval=POLL,
                timeout=LIMIT,
            )
        statuses = _statuses(emu)
    report.raise_for_errors()
    assert [i.adopted for i in report.instances] == [True]
    assert not report.extras
    assert sorted(statuses) == report.ids
    assert requests[f"POST {LAUNCH}"] == 2  # the throttled try and its retry


async def test_a_rerun_whose_slot_holds_only_an_ended_instance_launches_it_again() -> None:
    # The slot's earlier instance is still listed, terminating: the rerun once crashed on a
    # slot with no live instance (min() of nothing) instead of launching it again.
    async with emulated(clock=ManualClock()) as (_, client):
        first = await client.instances.launch_many(
            1, instance_type_name=A10, ssh_key_names=[KEY], run_id="again", poll_interval=POLL
        )
        await client.instances.terminate(first.ids)
        again = await client.instances.launch_many(
            1, instance_type_name=A10, ssh_key_names=[KEY], run_id="again", poll_interval=POLL
        )
    again.raise_for_errors()
    assert again.ids != first.ids and not again.instances[0].adopted
