"""``instances.wait_for``: one list call per poll, typed failures, timeouts."""

from __future__ import annotations

import asyncio

import pytest

from lambda_cloud import AsyncLambdaCloud, InstanceStatus, ValidationError, WaitTimeoutError
from lambda_cloud.bulk import BulkLaunchError, InstanceWaitError, Phase, ProgressEvent, ProgressKind
from lambda_cloud.bulk.wait import _judge, _Verdict
from lambda_cloud.emulator import Emulator, Fault, ManualClock

from .helpers import A10, KEY, LIMIT, POLL, SETTLE, Events, RequestLog, emulated


async def launch(client: AsyncLambdaCloud, n: int) -> list[str]:
    report = await client.instances.launch_many(
        n, instance_type_name=A10, ssh_key_names=[KEY], poll_interval=POLL, settle_timeout=SETTLE
    )
    report.raise_for_errors()
    return report.ids


async def test_waits_with_one_list_call_per_poll(
    client: AsyncLambdaCloud, requests: RequestLog
) -> None:
    ids = await launch(client, 6)
    requests.clear()
    events = Events()
    instances = await client.instances.wait_for(
        ids, poll_interval=POLL, on_progress=events, timeout=LIMIT
    )
    assert [i.id for i in instances] == ids
    assert all(i.status is InstanceStatus.ACTIVE and i.ip for i in instances)
    assert requests["GET /instances/{id}"] == 0
    assert requests["GET /instances"] >= 1
    assert set(requests.counts) == {"GET /instances"}
    active = [e for e in events.events if e.kind is ProgressKind.ACTIVE]
    assert sorted(e.instance_id or "" for e in active) == sorted(ids)
    assert max(e.done for e in active) == len(ids) == active[0].total


async def test_duplicate_ids_are_waited_on_once(client: AsyncLambdaCloud) -> None:
    ids = await launch(client, 2)
    instances = await client.instances.wait_for([*ids, ids[0]], poll_interval=POLL, timeout=LIMIT)
    assert [i.id for i in instances] == ids


async def test_timeout_carries_the_statuses() -> None:
    async with emulated(boot_delay=10_000.0) as (_, client):  # boots take 10 s
        ids = await launch(client, 2)
        with pytest.raises(WaitTimeoutError) as caught:
            await client.instances.wait_for(ids, timeout=0.05, poll_interval=POLL)
    assert caught.value.statuses == {i: "booting" for i in ids}


async def test_preempted_and_unknown_are_failures_not_waited_on() -> None:
    # The preempted instance stays listed: with the default retention (5 compressed ms) a
    # loaded machine's first poll could come after it dropped out.
    async with emulated(seed=7, terminated_retention=10_000.0) as (emu, client):
        ids = await launch(client, 3)
        emu.preempt(ids[1])
        with pytest.raises(InstanceWaitError) as caught:
            await client.instances.wait_for([*ids, "0" * 32], poll_interval=POLL, timeout=LIMIT)
    error = caught.value
    assert error.failed == {ids[1]: "preempted", "0" * 32: None}
    assert sorted(i.id for i in error.instances) == sorted([ids[0], ids[2]])
    assert error.statuses[ids[0]] == "active"


async def test_terminating_instance_fails_a_wait_for_active(client: AsyncLambdaCloud) -> None:
    ids = await launch(client, 2)
    await client.instances.terminate([ids[0]])
    with pytest.raises(InstanceWaitError) as caught:
        await client.instances.wait_for(ids, poll_interval=POLL, timeout=LIMIT)
    assert set(caught.value.failed) == {ids[0]}


async def test_wait_for_terminated(client: AsyncLambdaCloud) -> None:
    ids = await launch(client, 3)
    await client.instances.terminate(ids)
    events = Events()
    instances = await client.instances.wait_for(
        ids, "terminated", poll_interval=POLL, on_progress=events, timeout=LIMIT
    )
    assert all(i.status is InstanceStatus.TERMINATED for i in instances)
    assert events.kinds()["terminated"] == 3


async def test_wait_for_terminated_counts_vanished_ids_as_terminated() -> None:
    async with emulated(terminate_delay=0, terminated_retention=0) as (emu, client):
        ids = await launch(client, 3)
        await client.instances.terminate(ids)
        assert emu.instances() == []  # gone from the list at once
        instances = await client.instances.wait_for(
            [*ids, "f" * 32], "terminated", poll_interval=POLL, timeout=LIMIT
        )
    assert instances == []  # never seen by the wait: nothing to return


async def test_an_instance_unhealthy_too_long_is_reported_once_the_others_are_active() -> None:
    clock = ManualClock()  # the emulator's lifecycles move only when this test says so
    async with emulated(clock=clock) as (emu, client):
        ids = await launch(client, 3)
        clock.advance(1)  # all active
        sick, others = ids[1], [ids[0], ids[2]]
        emu.set_unhealthy(sick)
        await client.instances.restart(others)  # booting until the clock moves again
        seen: list[tuple[ProgressKind, str | None, str | None]] = []

        def on_progress(event: ProgressEvent) -> None:
            status = None if event.status is None else event.status.value
            seen.append((event.kind, event.instance_id, status))
            if event.kind is ProgressKind.FAILED:
                clock.advance(1)  # only once the sick one is given up do the others boot

        with pytest.raises(InstanceWaitError) as caught:
            await client.instances.wait_for(
                ids,
                poll_interval=POLL,
                unhealthy_timeout=0.05,
                on_progress=on_progress,
                timeout=LIMIT,
            )
    error = caught.value
    assert error.failed == {sick: "unhealthy"}
    assert sick in str(error) and "unhealthy" in str(error)
    assert [i.id for i in error.instances] == others
    assert all(i.status is InstanceStatus.ACTIVE for i in error.instances)
    assert error.statuses == {ids[0]: "active", sick: "unhealthy", ids[2]: "active"}
    # Given up while the others were still booting, and the wait went on until they were done.
    failed_at = seen.index((ProgressKind.FAILED, sick, "unhealthy"))
    assert (ProgressKind.STATUS, sick, "unhealthy") in seen[:failed_at]
    assert {(ProgressKind.STATUS, i, "booting") for i in others} <= set(seen[:failed_at])
    assert {(ProgressKind.ACTIVE, i, "active") for i in others} <= set(seen[failed_at:])
    assert [e for e in seen if e[1] == sick][-1] == (ProgressKind.FAILED, sick, "unhealthy")


async def test_an_instance_unhealthy_briefly_is_waited_on_and_returned_active() -> None:
    clock = ManualClock()
    async with emulated(clock=clock) as (emu, client):
        ids = await launch(client, 3)
        clock.advance(1)  # all active
        sick = ids[0]
        emu.set_unhealthy(sick)
        recovered = asyncio.Event()
        seen: list[tuple[ProgressKind, str | None, str | None]] = []

        def heal() -> None:
            emu.set_unhealthy(sick, False)
            recovered.set()

        def on_progress(event: ProgressEvent) -> None:
            status = None if event.status is None else event.status.value
            seen.append((event.kind, event.instance_id, status))
            if event.instance_id == sick and status == "unhealthy":
                # Unhealthy across several polls, well within unhealthy_timeout.
                asyncio.get_running_loop().call_later(10 * POLL, heal)

        instances = await client.instances.wait_for(
            ids,
            poll_interval=POLL,
            unhealthy_timeout=LIMIT,
            on_progress=on_progress,
            timeout=LIMIT,
        )
        assert recovered.is_set()
    assert [i.id for i in instances] == ids
    assert all(i.status is InstanceStatus.ACTIVE and i.ip for i in instances)
    assert [e for e in seen if e[1] == sick] == [
        (ProgressKind.STATUS, sick, "unhealthy"),
        (ProgressKind.ACTIVE, sick, "active"),
    ]


# -- the freshest state: a settled id is judged again by every listing (issue 17, item 7) ----


async def test_an_instance_preempted_after_it_was_active_is_reported_as_it_is_now() -> None:
    clock = ManualClock()
    # A preempted instance stays listed (its retention is never reached).
    async with emulated(clock=clock, terminated_retention=10_000.0) as (emu, client):
        ids = await launch(client, 2)
        first, second = ids
        clock.advance(1)  # both active
        await client.instances.restart([second])  # booting until the clock moves again
        seen: list[tuple[ProgressKind, str | None, str | None]] = []

        def on_progress(event: ProgressEvent) -> None:
            seen.append((event.kind, event.instance_id, event.status and event.status.value))
            if (event.kind, event.instance_id) == (ProgressKind.ACTIVE, first):
                emu.preempt(first)  # seen active, while the other still boots
                clock.advance(1)  # the other is active by the next listing, which ends the wait

        with pytest.raises(InstanceWaitError) as caught:
            await client.instances.wait_for(
                ids, poll_interval=POLL, on_progress=on_progress, timeout=LIMIT
            )
    error = caught.value
    assert error.failed == {first: "preempted"}
    assert error.statuses == {first: "preempted", second: "active"}
    assert [(i.id, i.status) for i in error.instances] == [(second, InstanceStatus.ACTIVE)]
    assert [e for e in seen if e[1] == first] == [
        (ProgressKind.ACTIVE, first, "active"),
        (ProgressKind.FAILED, first, "preempted"),
    ]


async def test_launch_many_reports_an_instance_preempted_after_it_was_active() -> None:
    clock = ManualClock()
    async with emulated(clock=clock, terminated_retention=10_000.0) as (emu, client):
        booting: list[str] = []  # the wait's first listing shows both booting

        async def on_progress(event: ProgressEvent) -> None:
            if event.phase is not Phase.WAITING:
                return
            if event.kind is ProgressKind.STATUS and len(booting) < 2:
                booting.append(event.instance_id or "")
                if len(booting) == 2:
                    clock.advance(1)  # both active...
                    await client.instances.restart(booting[1:])  # ...but this one boots again
            elif (event.kind, event.instance_id) == (ProgressKind.ACTIVE, booting[0]):
                emu.preempt(booting[0])  # seen active, while the other still boots
                clock.advance(1)  # the other is active by the next listing

        report = await client.instances.launch_many(
            2,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            wait=True,
            poll_interval=POLL,
            settle_timeout=SETTLE,
            timeout=LIMIT,
            on_progress=on_progress,
        )
    statuses = {i.id: i.status for i in report.instances}
    assert statuses == {booting[0]: InstanceStatus.PREEMPTED, booting[1]: InstanceStatus.ACTIVE}
    assert [i.id for i in report.not_active] == booting[:1]
    assert report.wait_error is None  # the wait ran to its end: every id settled
    with pytest.raises(BulkLaunchError, match="1 launched instances are not active"):
        report.raise_for_errors()


async def test_an_instance_restarted_after_it_was_active_is_waited_on_again() -> None:
    clock = ManualClock()
    async with emulated(clock=clock) as (_, client):
        ids = await launch(client, 2)
        first, second = ids
        clock.advance(1)
        await client.instances.restart([second])
        events: list[ProgressEvent] = []

        async def on_progress(event: ProgressEvent) -> None:
            events.append(event)
            if (event.kind, event.instance_id) == (ProgressKind.ACTIVE, first) and len(
                [e for e in events if e.instance_id == first]
            ) == 1:
                clock.advance(1)  # the other is active by the next listing...
                await client.instances.restart([first])  # ...and this one booting again
            elif (event.kind, event.instance_id) == (ProgressKind.STATUS, first):
                clock.advance(1)  # seen booting again: it finishes

        instances = await client.instances.wait_for(
            ids, poll_interval=POLL, on_progress=on_progress, timeout=LIMIT
        )
    assert [(i.id, i.status) for i in instances] == [(i, InstanceStatus.ACTIVE) for i in ids]
    assert [(e.kind, e.status) for e in events if e.instance_id == first] == [
        (ProgressKind.ACTIVE, InstanceStatus.ACTIVE),
        (ProgressKind.STATUS, InstanceStatus.BOOTING),
        (ProgressKind.ACTIVE, InstanceStatus.ACTIVE),
    ]
    done = [e.done for e in events]
    assert done == sorted(done) and done[-1] == 2  # an id waited on again never lowers it


async def test_an_instance_unhealthy_too_long_after_it_was_active_fails() -> None:
    clock = ManualClock()
    async with emulated(clock=clock) as (emu, client):
        ids = await launch(client, 2)
        first, second = ids
        clock.advance(1)
        await client.instances.restart([second])
        seen: list[tuple[ProgressKind, str | None, str | None]] = []

        def on_progress(event: ProgressEvent) -> None:
            seen.append((event.kind, event.instance_id, event.status and event.status.value))
            if (event.kind, event.instance_id) == (ProgressKind.ACTIVE, first):
                emu.set_unhealthy(first)
                clock.advance(1)  # the other is active by the next listing

        with pytest.raises(InstanceWaitError) as caught:
            await client.instances.wait_for(
                ids,
                poll_interval=POLL,
                unhealthy_timeout=0.05,
                on_progress=on_progress,
                timeout=LIMIT,
            )
    assert caught.value.failed == {first: "unhealthy"}
    assert [i.id for i in caught.value.instances] == [second]
    assert [e for e in seen if e[1] == first] == [
        (ProgressKind.ACTIVE, first, "active"),
        (ProgressKind.STATUS, first, "unhealthy"),
        (ProgressKind.FAILED, first, "unhealthy"),
    ]


async def test_a_preempted_instance_that_drops_out_of_the_list_stays_preempted() -> None:
    clock = ManualClock()
    async with emulated(clock=clock, terminated_retention=1.0) as (emu, client):
        ids = await launch(client, 2)
        first, second = ids
        clock.advance(1)
        await client.instances.restart([second])
        emu.preempt(first)

        def on_progress(event: ProgressEvent) -> None:
            if event.kind is ProgressKind.FAILED:
                clock.advance(1)  # past the retention: gone from the list; the other active

        with pytest.raises(InstanceWaitError) as caught:
            await client.instances.wait_for(
                ids, poll_interval=POLL, on_progress=on_progress, timeout=LIMIT
            )
        assert first not in {i["id"] for i in emu.instances()}
    # Preempted is final: the copy seen before it dropped out is still true.
    assert caught.value.failed == {first: "preempted"}


async def test_wait_for_terminated_returns_an_instance_seen_terminated_before_it_vanished() -> None:
    clock = ManualClock()
    # Scaled by the emulator's time_scale (0.001): terminate 1 ms, retention 5 ms.
    async with emulated(clock=clock, terminate_delay=1.0, terminated_retention=5.0) as (
        emu,
        client,
    ):
        ids = await launch(client, 2)
        first, second = ids
        await client.instances.terminate([first])
        clock.advance(0.002)  # first terminated
        await client.instances.terminate([second])  # terminated at 0.003

        def on_progress(event: ProgressEvent) -> None:
            if (event.kind, event.instance_id) == (ProgressKind.TERMINATED, first):
                clock.advance(0.005)  # 0.007: first dropped out (0.006), second still listed

        instances = await client.instances.wait_for(
            ids, "terminated", poll_interval=POLL, on_progress=on_progress, timeout=LIMIT
        )
        assert [i["id"] for i in emu.instances()] == [second]
    assert [(i.id, i.status) for i in instances] == [
        (first, InstanceStatus.TERMINATED),
        (second, InstanceStatus.TERMINATED),
    ]


async def test_transient_and_throttled_polls_are_ridden_out(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    ids = await launch(client, 2)
    emu.faults.add(Fault(kind="status", status=503, method="GET", path="/instances", times=4))
    emu.faults.add(
        Fault(kind="status", status=429, method="GET", path="/instances", times=6, retry_after=1)
    )
    emu.faults.add(Fault(kind="malformed_body", method="GET", path="/instances", times=2))
    instances = await client.instances.wait_for(ids, poll_interval=POLL, timeout=LIMIT)
    assert [i.id for i in instances] == ids


async def test_bad_arguments() -> None:
    client = AsyncLambdaCloud(api_key="x", base_url="http://127.0.0.1:9/api/v1")
    with pytest.raises(ValidationError):
        await client.instances.wait_for(["a"], "booting")
    with pytest.raises(ValidationError):
        await client.instances.wait_for([])
    with pytest.raises(ValidationError):
        await client.instances.wait_for(["a"], poll_interval=0)
    with pytest.raises(ValidationError):  # would sleep forever
        await client.instances.wait_for(["a"], poll_interval=float("inf"))
    with pytest.raises(ValidationError):
        await client.instances.wait_for(["a"], timeout=-1)


def test_judgement_of_statuses() -> None:
    active, terminated = InstanceStatus.ACTIVE, InstanceStatus.TERMINATED
    assert _judge(active, InstanceStatus.BOOTING, False) is _Verdict.WAIT
    assert _judge(active, InstanceStatus.UNHEALTHY, False) is _Verdict.WAIT
    assert _judge(active, InstanceStatus.UNHEALTHY, True) is _Verdict.FAILED
    assert _judge(active, InstanceStatus.PREEMPTED, False) is _Verdict.FAILED
    assert _judge(active, InstanceStatus("rebooting"), False) is _Verdict.WAIT  # unknown: wait
    assert _judge(terminated, None, False) is _Verdict.REACHED
    assert _judge(terminated, InstanceStatus.PREEMPTED, False) is _Verdict.REACHED
    assert _judge(terminated, InstanceStatus.TERMINATING, False) is _Verdict.WAIT
