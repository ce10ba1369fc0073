"""Capacity hunting over several instance types, in virtual time.

The emulator runs on a ``ManualClock`` that moves only when the hunt says it is waiting (the
progress callback advances it), so capacity scheduled for later appears on a known poll.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    CapacityExhaustedError,
    Hunt,
    ProgressEvent,
    ProgressKind,
    ValidationError,
)
from lambda_cloud.emulator import Emulator, LaunchAttempt, ManualClock

from .helpers import FAST_RETRIES, KEY, LIMIT, RequestLog, check_launch_invariants

A10, A100, H100 = "gpu_1x_a10", "gpu_1x_a100_sxm4", "gpu_1x_h100_pcie"
#: A hunt that never runs out of real time in these tests; polls as fast as the loop allows.
HUNT = Hunt(timeout=LIMIT, poll_interval=0.001)
#: Emulator seconds each wait for capacity moves the clock on.
STEP = 10.0


class Clocked:
    """Progress events, advancing the emulator's clock by ``STEP`` each time the hunt waits
    (up to ``steps`` times)."""

    def __init__(self, clock: ManualClock, steps: int = 100) -> None:
        self.clock = clock
        self.steps = steps
        self.events: list[ProgressEvent] = []

    def __call__(self, event: ProgressEvent) -> None:
        self.events.append(event)
        if event.kind is ProgressKind.WAITING_FOR_CAPACITY and self.steps > 0:
            self.steps -= 1
            self.clock.advance(STEP)

    def of(self, kind: ProgressKind) -> list[ProgressEvent]:
        return [e for e in self.events if e.kind is kind]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
async def emu(clock: ManualClock) -> AsyncIterator[Emulator]:
    async with Emulator(clock=clock, seed=3, capacity={}) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator, requests: RequestLog) -> AsyncIterator[AsyncLambdaCloud]:
    async with AsyncLambdaCloud(
        api_key=emu.api_key,
        base_url=emu.base_url,
        rate_limits=None,
        max_retries=FAST_RETRIES,
        trace_configs=[requests.trace_config()],
    ) as c:
        await c.ssh_keys.create(name=KEY)
        requests.clear()
        yield c


def where(attempts: list[LaunchAttempt]) -> list[tuple[str, str, str]]:
    return [(a.instance_type, a.region, a.outcome) for a in attempts]


async def test_waits_for_scheduled_capacity_then_fills_every_slot(
    emu: Emulator, client: AsyncLambdaCloud, clock: ManualClock, requests: RequestLog
) -> None:
    emu.schedule_capacity([(3 * STEP, A10, "us-east-1", 4)])
    events = Clocked(clock)
    report = await client.instances.launch_many(
        4, instance_type_name=A10, ssh_key_names=[KEY], hunt=HUNT, on_progress=events
    )
    assert report.ok, report.summary()
    check_launch_invariants(emu, report)
    assert report.region_counts == {"us-east-1": 4}
    assert {i.instance_type_name for i in report.instances} == {A10}
    waits = events.of(ProgressKind.WAITING_FOR_CAPACITY)
    assert len(waits) == 3 and all(e.waiting_for == (A10,) for e in waits)
    [found] = events.of(ProgressKind.CAPACITY_FOUND)
    assert (found.instance_type_name, found.region) == (A10, "us-east-1")
    assert "waiting_for_capacity for gpu_1x_a10" in str(waits[0])
    # One listing at the start, one per poll; never a launch to probe.
    assert requests["GET /instance-types"] == 4
    assert where(emu.launch_attempts()) == [(A10, "us-east-1", "ok")] * 4
    assert report.hunted is not None and report.hunted > 0
    assert "waited for capacity" in report.summary()


async def test_falls_back_to_a_less_preferred_type_and_region(
    emu: Emulator, client: AsyncLambdaCloud, clock: ManualClock
) -> None:
    emu.set_capacity(A100, "us-west-2", 1)
    emu.set_capacity(H100, "us-south-2", 1)
    # The preferred type turns up later, in a region the run has not seen yet.
    emu.schedule_capacity([(STEP, A10, "europe-central-1", 1)])
    events = Clocked(clock)
    report = await client.instances.launch_many(
        3,
        instance_type_names=[A10, A100, H100],
        ssh_key_names=[KEY],
        hunt=HUNT,
        on_progress=events,
        max_concurrency=1,
    )
    assert report.ok, report.summary()
    check_launch_invariants(emu, report)
    got = sorted((i.instance_type_name, i.region) for i in report.instances)
    assert got == [(A10, "europe-central-1"), (A100, "us-west-2"), (H100, "us-south-2")]
    assert report.type_counts == {A10: 1, A100: 1, H100: 1}
    assert report.instance_type_names == [A10, A100, H100]
    assert "types:" in report.summary()
    for instance in emu.instances():
        assert instance["instance_type"]["name"] in (A10, A100, H100)
    assert all(a.listed for a in emu.launch_attempts())
    launched = [e for e in events.events if e.kind is ProgressKind.LAUNCHED]
    assert {e.instance_type_name for e in launched} == {A10, A100, H100}


async def test_never_launches_where_the_latest_poll_showed_none(
    emu: Emulator, client: AsyncLambdaCloud, clock: ManualClock
) -> None:
    emu.set_capacity(A10, "us-west-1", 2)
    emu.schedule_capacity(
        [
            (STEP, A10, "us-west-1", 0),  # gone before the first poll
            (STEP, A100, "us-east-1", 1),
            (3 * STEP, A10, "us-south-1", 3),
        ]
    )
    events = Clocked(clock)
    report = await client.instances.launch_many(
        6,
        instance_type_names=[A10, A100],
        region_names=["us-west-1", "us-east-1", "us-south-1"],
        ssh_key_names=[KEY],
        hunt=HUNT,
        on_progress=events,
    )
    assert report.ok, report.summary()
    check_launch_invariants(emu, report)
    attempts = emu.launch_attempts()
    assert all(a.listed for a in attempts), where(attempts)
    assert report.type_counts == {A10: 5, A100: 1}
    # Refusals are allowed only where a poll had shown capacity (another slot took it).
    refused = [a for a in attempts if a.outcome != "ok"]
    assert all(a.outcome == "instance-operations/launch/insufficient-capacity" for a in refused)


async def test_the_hunt_times_out_with_a_clear_report(
    emu: Emulator, client: AsyncLambdaCloud, clock: ManualClock, requests: RequestLog
) -> None:
    emu.set_capacity(A10, "us-west-1", 1)
    events = Clocked(clock, steps=3)
    report = await client.instances.launch_many(
        3,
        instance_type_names=[A10, A100],
        ssh_key_names=[KEY],
        hunt=Hunt(timeout=0.2, poll_interval=0.02),
        on_progress=events,
    )
    check_launch_invariants(emu, report)
    assert len(report.instances) == 1 and len(report.failures) == 2
    for failure in report.failures:
        assert isinstance(failure.error, CapacityExhaustedError)
        assert failure.error.instance_type_names == [A10, A100]
        assert failure.error.hunted is not None
        assert "after waiting" in str(failure.error)
    assert events.of(ProgressKind.WAITING_FOR_CAPACITY)
    assert not events.of(ProgressKind.CAPACITY_FOUND)
    attempts = emu.launch_attempts()
    assert [a.outcome for a in attempts].count("ok") == 1
    assert all(a.listed and (a.instance_type, a.region) == (A10, "us-west-1") for a in attempts)
    assert requests["GET /instance-types"] >= 2
    with pytest.raises(Exception, match="CapacityExhaustedError"):
        report.raise_for_errors()


async def test_without_a_hunt_several_types_fall_back_without_waiting(
    emu: Emulator, client: AsyncLambdaCloud, requests: RequestLog
) -> None:
    emu.set_capacity(A10, "us-west-1", 1)
    emu.set_capacity(A100, "us-east-1", 1)
    emu.schedule_capacity([(STEP, A10, "us-west-1", 5)])  # the clock never moves: never seen
    report = await client.instances.launch_many(
        3, instance_type_names=[A10, A100], ssh_key_names=[KEY]
    )
    check_launch_invariants(emu, report)
    assert report.type_counts == {A10: 1, A100: 1}
    assert [type(f.error) for f in report.failures] == [CapacityExhaustedError]
    assert report.hunted is None
    # The start, then one re-check once both were full (launches had succeeded since).
    assert requests["GET /instance-types"] == 2


async def test_bad_hunt_and_type_arguments_send_nothing(
    emu: Emulator, client: AsyncLambdaCloud, requests: RequestLog
) -> None:
    for make in (
        lambda: Hunt(timeout=0),
        lambda: Hunt(timeout=5, poll_interval=-1),
        lambda: Hunt(timeout=float("inf")),
    ):
        with pytest.raises(ValidationError, match="hunt"):
            make()
    bad = [
        ({"instance_type_name": A10, "instance_type_names": [A100]}, "instance_type_names"),
        ({"instance_type_names": []}, "instance_type_names"),
        ({"instance_type_names": A10}, "instance_type_names"),
        ({"instance_type_names": [A10, ""]}, "instance_type_names"),
        ({"instance_type_name": A10, "hunt": 30}, "hunt"),
        ({}, "instance_type_name"),  # neither: BulkLaunchOptions makes the one optional
    ]
    for options, field in bad:
        with pytest.raises(ValidationError) as caught:
            await client.instances.launch_many(2, ssh_key_names=[KEY], **options)  # type: ignore[arg-type]
        assert caught.value.field.startswith(field)
    with pytest.raises(ValidationError, match="gpu_9x_nope"):
        await client.instances.launch_many(
            2, instance_type_names=[A10, "gpu_9x_nope"], ssh_key_names=[KEY], hunt=HUNT
        )
    assert emu.launch_attempts() == []
