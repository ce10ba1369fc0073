"""``instances.launch_many``: region fallback, capacity, failures, faults and reports."""

from __future__ import annotations

import asyncio
import inspect
import logging

import attrs
import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    InstanceStatus,
    InsufficientCapacityError,
    NotFoundError,
    QuotaExceededError,
    RateLimit,
    RateLimits,
    ValidationError,
)
from lambda_cloud.bulk import (
    LAUNCH_TOKEN_TAG,
    BulkLaunchError,
    CapacityExhaustedError,
    DeadlineExceededError,
    Hunt,
    LaunchManyOptions,
    LaunchRun,
    LaunchRunOptions,
    ProgressEvent,
    ProgressKind,
)
from lambda_cloud.emulator import Emulator, Fault

from ..emulator.helpers import until
from .helpers import (
    A10,
    FAST_RETRIES,
    KEY,
    LIMIT,
    POLL,
    SETTLE,
    Events,
    RequestLog,
    check_launch_invariants,
    emulated,
    make_client,
)

RUN = "feedface"
LAUNCH = "/instance-operations/launch"


async def test_twenty_across_regions_with_fallback(
    emu: Emulator, client: AsyncLambdaCloud, requests: RequestLog
) -> None:
    events = Events()
    report = await client.instances.launch_many(
        20,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        name_prefix="web",
        tags={"team": "ml"},
        on_progress=events,
        poll_interval=POLL,
        settle_timeout=SETTLE,
    )
    report.raise_for_errors()
    created = check_launch_invariants(emu, report)
    assert sum(report.region_counts.values()) == 20
    assert len(report.region_counts) >= 3  # no region holds twenty: it fell back
    assert [i.name for i in report.instances] == [f"web-{n}" for n in range(20)]
    for launched in report.instances:
        instance = created[launched.id]
        assert instance["name"] == launched.name
        assert {"key": "team", "value": "ml"} in instance["tags"]
    assert requests["GET /instance-types"] == 1  # capacity was checked once, up front
    assert events.kinds()["launched"] == 20
    assert events.events[-1].done == 20


@pytest.mark.parametrize("hunt", [None, Hunt(timeout=1.0, poll_interval=POLL)], ids=["", "hunt"])
async def test_the_spend_checks_listing_is_the_first_capacity_check(
    emu: Emulator, client: AsyncLambdaCloud, requests: RequestLog, hunt: Hunt | None
) -> None:
    """With a spend ceiling, the types are listed once: the bulk run starts from the listing
    that priced it. (It listed them twice before.) The instances are listed once more than
    without a ceiling, for what the account already runs."""
    guarded = client.with_options(max_hourly_cost_cents=1000)
    report = await guarded.instances.launch_many(
        3, instance_type_name=A10, ssh_key_names=[KEY], hunt=hunt, settle_timeout=SETTLE
    )
    report.raise_for_errors()
    assert requests.counts == {"GET /instance-types": 1, f"POST {LAUNCH}": 3, "GET /instances": 2}
    requests.clear()
    await guarded.instances.launch(
        region_name="us-west-1", instance_type_name=A10, ssh_key_names=[KEY]
    )
    assert requests.counts == {"GET /instance-types": 1, f"POST {LAUNCH}": 1, "GET /instances": 1}


async def test_more_than_the_capacity_fails_the_rest(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    report = await client.instances.launch_many(
        25, instance_type_name=A10, ssh_key_names=[KEY], poll_interval=POLL, settle_timeout=SETTLE
    )
    check_launch_invariants(emu, report)
    assert len(report.instances) == 22  # the emulator's default a10 capacity
    assert len(report.failures) == 3
    for failure in report.failures:
        assert isinstance(failure.error, CapacityExhaustedError)
        assert isinstance(failure.error.__cause__, InsufficientCapacityError)
        assert failure.regions_tried
    with pytest.raises(BulkLaunchError) as caught:
        report.raise_for_errors()
    assert caught.value.report is report
    assert "3 of 25 slots failed" in str(caught.value)


async def test_explicit_regions_in_order(emu: Emulator, client: AsyncLambdaCloud) -> None:
    emu.set_capacity(A10, "us-south-1", 2)
    emu.set_capacity(A10, "us-east-1", 2)
    report = await client.instances.launch_many(
        5,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        region_names=["us-south-1", "us-east-1"],
        poll_interval=POLL,
        settle_timeout=SETTLE,
    )
    check_launch_invariants(emu, report)
    assert report.region_counts == {"us-south-1": 2, "us-east-1": 2}
    assert [i.region for i in report.instances[:2]] == ["us-south-1"] * 2
    assert len(report.failures) == 1
    assert report.failures[0].regions_tried == ["us-south-1", "us-east-1"]


async def test_capacity_is_rechecked_when_every_region_is_full(
    emu: Emulator, client: AsyncLambdaCloud, requests: RequestLog
) -> None:
    for region in ("us-east-1", "us-south-1", "europe-central-1"):
        emu.set_capacity(A10, region, 0)
    emu.set_capacity(A10, "us-west-1", 2)

    def free_up_elsewhere(event: ProgressEvent) -> None:
        if event.kind is ProgressKind.RETRYING:
            emu.set_capacity(A10, "us-west-3", 3)  # capacity appears in a new region

    report = await client.instances.launch_many(
        4,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        on_progress=free_up_elsewhere,
        poll_interval=POLL,
        settle_timeout=SETTLE,
    )
    report.raise_for_errors()
    check_launch_invariants(emu, report)
    assert report.region_counts == {"us-west-1": 2, "us-west-3": 2}
    assert requests["GET /instance-types"] == 2


async def test_no_capacity_anywhere_launches_nothing(
    client: AsyncLambdaCloud, requests: RequestLog
) -> None:
    report = await client.instances.launch_many(
        3, instance_type_name="gpu_8x_b200_sxm6", ssh_key_names=[KEY], settle_timeout=SETTLE
    )
    assert not report.instances
    assert all(isinstance(f.error, CapacityExhaustedError) for f in report.failures)
    assert requests[f"POST {LAUNCH}"] == 0


async def test_unknown_type_is_refused_before_launching(
    client: AsyncLambdaCloud, requests: RequestLog
) -> None:
    with pytest.raises(ValidationError):
        await client.instances.launch_many(
            2, instance_type_name="gpu_99x", ssh_key_names=[KEY], settle_timeout=SETTLE
        )
    assert requests[f"POST {LAUNCH}"] == 0


async def test_missing_ssh_key_fails_every_slot(emu: Emulator, client: AsyncLambdaCloud) -> None:
    report = await client.instances.launch_many(
        3,
        instance_type_name=A10,
        ssh_key_names=["nope"],
        region_names=["us-west-1"],
        settle_timeout=SETTLE,
    )
    check_launch_invariants(emu, report)
    assert all(isinstance(f.error, NotFoundError) for f in report.failures)


@pytest.mark.parametrize(
    ("ssh_key", "file_systems"), [("nokey", None), (KEY, ["nofs"])], ids=["ssh-key", "file-system"]
)
async def test_a_missing_ssh_key_or_file_system_stops_the_run_at_once(
    emu: Emulator,
    client: AsyncLambdaCloud,
    requests: RequestLog,
    ssh_key: str,
    file_systems: list[str] | None,
) -> None:
    report = await client.instances.launch_many(
        3,
        instance_type_name=A10,
        ssh_key_names=[ssh_key],
        file_system_names=file_systems,
        max_concurrency=1,
        settle_timeout=SETTLE,
    )
    check_launch_invariants(emu, report)
    assert len(report.failures) == 3
    assert all(isinstance(f.error, NotFoundError) for f in report.failures)
    assert requests[f"POST {LAUNCH}"] == 1  # not once per region: every region refuses alike


async def test_a_region_that_does_not_exist_falls_back_to_the_next(
    emu: Emulator, client: AsyncLambdaCloud, requests: RequestLog
) -> None:
    report = await client.instances.launch_many(
        1,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        region_names=["us-nowhere-1", "us-west-1"],
        settle_timeout=SETTLE,
    )
    check_launch_invariants(emu, report)
    assert report.region_counts == {"us-west-1": 1}
    assert requests[f"POST {LAUNCH}"] == 2


async def test_quota_stops_the_run(
    emu: Emulator, client: AsyncLambdaCloud, requests: RequestLog
) -> None:
    emu.account().instance_quota = 3
    report = await client.instances.launch_many(
        8, instance_type_name=A10, ssh_key_names=[KEY], max_concurrency=1, settle_timeout=SETTLE
    )
    check_launch_invariants(emu, report)
    assert len(report.instances) == 3
    assert all(isinstance(f.error, QuotaExceededError) for f in report.failures)
    assert requests[f"POST {LAUNCH}"] == 4  # one refusal, then nobody else tries


async def test_hostnames_are_suffixed(emu: Emulator, client: AsyncLambdaCloud) -> None:
    report = await client.instances.launch_many(
        3,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        hostname="node",
        wait=True,
        timeout=LIMIT,
        poll_interval=POLL,
        settle_timeout=SETTLE,
    )
    created = check_launch_invariants(emu, report)
    assert sorted(created[i.id]["hostname"] for i in report.instances) == [
        "node-0",
        "node-1",
        "node-2",
    ]


async def test_wait_until_active(emu: Emulator, client: AsyncLambdaCloud) -> None:
    events = Events()
    report = await client.instances.launch_many(
        4,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        wait=True,
        timeout=LIMIT,
        poll_interval=POLL,
        on_progress=events,
        settle_timeout=SETTLE,
    )
    report.raise_for_errors()
    assert report.waited
    assert all(i.status is InstanceStatus.ACTIVE for i in report.instances)
    assert events.kinds()["active"] == 4


async def test_a_launch_that_cannot_boot_is_not_active() -> None:
    async with emulated(boot_delay=10_000.0) as (_, client):
        report = await client.instances.launch_many(
            2,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            wait=True,
            poll_interval=POLL,
            timeout=0.1,
            settle_timeout=SETTLE,
        )
    assert len(report.not_active) == 2
    assert not report.ok
    with pytest.raises(BulkLaunchError, match="not active"):
        report.raise_for_errors()


@pytest.mark.parametrize(
    "fault",
    [
        Fault(kind="reset_after_commit", path=LAUNCH, times=3),
        Fault(kind="reset_before_commit", path=LAUNCH, times=3),
        Fault(kind="malformed_body", path=LAUNCH, times=3),
        Fault(kind="status", status=502, path=LAUNCH, times=3),
        Fault(kind="status", status=409, code="provider/internal-unavailable", path=LAUNCH),
        Fault(kind="status", status=429, path=LAUNCH, times=6, retry_after=3),
        Fault(kind="timeout_after_commit", path=LAUNCH, times=2),
        Fault(kind="delay", delay=1000.0, path=LAUNCH, times=2),  # held past the client timeout
    ],
    ids=lambda f: f"{f.kind}-{f.status or ''}",
)
async def test_ambiguous_and_throttled_launches_never_double(
    emu: Emulator, client: AsyncLambdaCloud, fault: Fault
) -> None:
    emu.faults.add(fault)
    report = await client.instances.launch_many(
        6,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        request_timeout=0.2,
        poll_interval=POLL,
        settle_timeout=SETTLE,
    )
    check_launch_invariants(emu, report)
    if fault.times is None:  # provider errors on every launch: each slot gives up, nothing leaks
        assert not report.instances
    else:
        report.raise_for_errors()
        assert fault.fired == fault.times


async def test_timeout_fails_the_slots_it_did_not_reach() -> None:
    async with emulated(time_scale=0.01) as (emu, client):  # a launch every 120 ms, after 5
        report = await client.instances.launch_many(
            10,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            timeout=0.3,
            poll_interval=POLL,
            settle_timeout=SETTLE,
        )
        check_launch_invariants(emu, report)
    # The burst of 5 goes at once, the rest 120 ms apart: the 0.3 s timeout falls among them
    # (how many made it depends on the machine's speed, so only the split is asserted).
    assert report.failures and len(report.instances) + len(report.failures) == 10
    assert all(isinstance(f.error, DeadlineExceededError) for f in report.failures)


async def test_server_side_rate_limits_are_met() -> None:
    async with emulated(enforce_rate_limits=True) as (emu, client):
        report = await client.instances.launch_many(
            12,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            wait=True,
            poll_interval=POLL,
            timeout=LIMIT,
            settle_timeout=SETTLE,
        )
        report.raise_for_errors()
        check_launch_invariants(emu, report)


async def test_async_and_failing_progress_callbacks(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    seen: list[ProgressEvent] = []

    async def record(event: ProgressEvent) -> None:
        await asyncio.sleep(0)
        seen.append(event)

    def broken(event: ProgressEvent) -> None:
        raise RuntimeError("progress bar bug")

    report = await client.instances.launch_many(
        2, instance_type_name=A10, ssh_key_names=[KEY], on_progress=record, settle_timeout=SETTLE
    )
    assert [e.kind for e in seen] == [ProgressKind.LAUNCHED] * 2
    assert str(seen[0]).startswith("launching [1/2] launched slot")
    report = await client.instances.launch_many(
        2, instance_type_name=A10, ssh_key_names=[KEY], on_progress=broken, settle_timeout=SETTLE
    )
    report.raise_for_errors()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"count": 0},
        {"count": 2, "tags": {"lambda-cloud-launch-token": "x"}},
        {"count": 2, "on_cancel": "explode"},
        {"count": 2, "region_names": []},
        {"count": 2, "region_names": "us-east-1"},
        {"count": 20, "hostname": "h" * 62},  # fits alone, not with a "-19" suffix
        {"count": 20, "name_prefix": "n" * 62},
        {"count": 2, "max_concurrency": 0},
        {"count": 2, "poll_interval": 0},
    ],
)
async def test_bad_arguments_launch_nothing(
    client: AsyncLambdaCloud, requests: RequestLog, kwargs: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        await client.instances.launch_many(
            instance_type_name=A10,
            ssh_key_names=[KEY],
            **kwargs,  # type: ignore[arg-type]
        )
    assert sum(requests.counts.values()) == 0


async def test_a_late_commit_is_caught_and_terminated(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """A lost launch that lands after the slot was relaunched (the server kept working after
    the client gave up) ends up in ``extras`` and is terminated, never unaccounted for."""
    from lambda_cloud.bulk import LAUNCH_TOKEN_TAG

    emu.faults.add(Fault(kind="reset_before_commit", path=LAUNCH, times=1))
    landed = False

    async def land_the_lost_launch(event: ProgressEvent) -> None:
        nonlocal landed
        if event.kind is ProgressKind.RETRYING and not landed:
            landed = True  # the first launch "lands" now, after reconciliation found nothing
            await client.instances.launch(
                region_name=event.region or "",
                instance_type_name=A10,
                ssh_key_names=[KEY],
                tags={LAUNCH_TOKEN_TAG: f"{RUN}/0"},
            )

    report = await client.instances.launch_many(
        1,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        on_progress=land_the_lost_launch,
        poll_interval=POLL,
        settle_timeout=SETTLE,
        run_id=RUN,
    )
    assert landed and len(report.instances) == 1 and len(report.extras) == 1
    assert report.terminated == [report.extras[0].id]
    statuses = {i["id"]: i["status"] for i in emu.instances(include_gone=True)}
    assert statuses[report.extras[0].id] in ("terminating", "terminated")
    assert statuses[report.instances[0].id] not in ("terminating", "terminated")


async def test_an_unexpected_error_in_one_slot_stops_nothing_and_leaks_nothing(
    emu: Emulator, client: AsyncLambdaCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug (or an answer nobody foresaw) after a launch went through fails that slot only:
    the other workers are not orphaned, and the sweep adopts the instance it made."""
    from lambda_cloud.resources._instance_requests import InstanceRequests

    real = InstanceRequests.launch
    broken = False

    async def buggy(self: InstanceRequests, request: object, **kwargs: object) -> list[str]:
        nonlocal broken
        ids = await real(self, request, **kwargs)  # type: ignore[arg-type]
        if not broken:
            broken = True
            raise RuntimeError("a bug after the launch went through")
        return ids

    monkeypatch.setattr(InstanceRequests, "launch", buggy)
    report = await client.instances.launch_many(
        6,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        max_concurrency=2,
        poll_interval=POLL,
        settle_timeout=SETTLE,
    )
    assert broken
    report.raise_for_errors()
    assert len(check_launch_invariants(emu, report)) == 6
    await asyncio.sleep(0.05)  # nothing keeps launching behind the report's back
    assert len(check_launch_invariants(emu, report)) == 6


async def test_a_list_outage_during_reconciliation_loses_nothing(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """The launch's answer is lost and the list fails for longer than one round of retries:
    the final sweep keeps trying (within its own budget) until it can account for the slot."""
    emu.faults.add(Fault(kind="reset_after_commit", path=LAUNCH, times=1))
    outage = emu.faults.add(Fault(kind="status", status=503, method="GET", path="/instances"))
    outage.times = 30  # more than the reconciliation's and the sweep's rounds (3 x 3 each)
    report = await client.instances.launch_many(
        1, instance_type_name=A10, ssh_key_names=[KEY], poll_interval=POLL, settle_timeout=SETTLE
    )
    assert outage.fired == 30
    check_launch_invariants(emu, report)
    report.raise_for_errors()


# -- late commits: the server carries out a launch after the client gave up on it -------------
# The fixture's emulator runs 1000 times faster than real time: a late_commit delay of 500
# holds the launch for 0.5 real seconds, ten times the client's request timeout.


async def test_a_commit_landing_before_the_confirming_list_is_adopted_not_doubled(
    emu: Emulator, client: AsyncLambdaCloud, requests: RequestLog
) -> None:
    """The launch times out at the client, the server applies it 0.2 s later, within the 1 s
    between the two lists that must both come back empty before a relaunch: adopted, once."""
    fault = emu.faults.add(Fault(kind="late_commit", delay=200.0, path=LAUNCH, times=1))
    report = await client.instances.launch_many(
        3,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        request_timeout=0.05,
        poll_interval=POLL,
        settle_timeout=1.0,  # the late commit lands 0.2 s after the launch was sent
    )
    assert fault.fired == 1
    report.raise_for_errors()
    created = check_launch_invariants(emu, report)
    assert len(created) == 3
    assert requests[f"POST {LAUNCH}"] == 3  # the slot whose answer was lost was not relaunched
    assert not report.terminated


async def test_a_commit_landing_after_the_relaunch_is_an_extra_and_terminated(
    emu: Emulator, client: AsyncLambdaCloud, requests: RequestLog
) -> None:
    """The lost launch lands after both lists came back empty and the slot was launched again,
    but before the final sweep: the sweep finds both. The slot keeps the one sent first (the
    rule every run of a ``run_id`` applies alike); the relaunch's is the extra, terminated."""
    fault = emu.faults.add(Fault(kind="late_commit", delay=500.0, path=LAUNCH, times=1))
    run: list[str] = []

    async def hold_the_run_until_the_late_commit_lands(event: ProgressEvent) -> None:
        if event.kind is ProgressKind.LAUNCHED:  # the relaunch went through; no sweep yet
            run.append(event.instance_id or "")
            await until(lambda: len(_slot_zero(emu)) == 2)

    report = await client.instances.launch_many(
        1,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        request_timeout=0.05,
        poll_interval=POLL,
        on_progress=hold_the_run_until_the_late_commit_lands,
        settle_timeout=SETTLE,
    )
    assert fault.fired == 1
    assert requests[f"POST {LAUNCH}"] == 2
    created = check_launch_invariants(emu, report, extras=1)
    assert len(created) == 2
    (extra,) = report.extras
    assert extra.slot == 0 and extra.id == run[0]  # the relaunch's instance
    (kept,) = report.ids
    assert kept != run[0] and kept in created  # the late commit, sent first
    assert report.terminated == [extra.id]
    assert created[extra.id]["status"] in ("terminating", "terminated")
    assert created[kept]["status"] not in ("terminating", "terminated")
    report.raise_for_errors()  # the slot is filled: an extra caught and terminated is no error


async def test_a_commit_landing_after_the_final_sweep_is_findable_by_its_tag(
    emu: Emulator, client: AsyncLambdaCloud, caplog: pytest.LogCaptureFixture
) -> None:
    """The lost launch lands 1 s after it was sent; the run (relaunch and sweep included) is
    over in a few ms, so nothing in the run can see it (docs/bulk.md, "Limits"). The run says
    so, naming the tag, and the late instance carries the slot's token."""
    emu.faults.add(Fault(kind="late_commit", delay=1000.0, path=LAUNCH, times=1))
    with caplog.at_level(logging.WARNING, logger="lambda_cloud"):
        report = await client.instances.launch_many(
            1,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            request_timeout=0.05,
            poll_interval=POLL,
            settle_timeout=SETTLE,
        )
    report.raise_for_errors()
    check_launch_invariants(emu, report)  # what the run could see is all in its report
    assert any(
        report.run_id in r.getMessage() and LAUNCH_TOKEN_TAG in r.getMessage()
        for r in caplog.records
    )
    await until(lambda: len(_slot_zero(emu)) == 2)  # the late commit has landed
    [late] = [i for i in _slot_zero(emu) if i not in report.ids]
    assert late not in {e.id for e in report.extras}


def _slot_zero(emu: Emulator) -> list[str]:
    """Ids of every instance carrying a slot-0 launch token."""
    return [
        i["id"]
        for i in emu.instances(include_gone=True)
        for t in i["tags"]
        if t["key"] == LAUNCH_TOKEN_TAG and t["value"].endswith("/0")
    ]


async def test_the_report_reads_in_a_few_lines(emu: Emulator, client: AsyncLambdaCloud) -> None:
    report = await client.instances.launch_many(
        30,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        region_names=["us-west-1"],
        poll_interval=POLL,
        settle_timeout=SETTLE,
        run_id="summary-run",
    )
    text = report.summary()
    assert text.splitlines()[0].startswith(
        f"launch_many summary-run: {len(report.instances)} of 30"
    )
    assert "us-west-1" in text
    if report.failures:  # the region's capacity is smaller than 30
        assert f"failed: {len(report.failures)} (" in text
    assert len(repr(report)) < 120
    assert repr(report).startswith("<BulkLaunchReport run_id='summary-run'")


async def test_a_requeued_slot_adopted_while_waiting_for_its_turn_sends_nothing(
    emu: Emulator,
) -> None:
    """Slot 0's launch of unknown outcome shows no sign within the horizon, so the slot is
    queued again; its instance then turns up (a late commit) while the relaunch waits for its
    rate-limit slot. The reconciler adopts it, and the relaunch is never sent."""
    slow_launches = RateLimits(
        general=RateLimit(rate=1000.0, burst=100), launch=RateLimit(rate=5.0, burst=1)
    )
    emu.faults.add(Fault(kind="reset_before_commit", path=LAUNCH, times=2))
    async with (
        AsyncLambdaCloud(
            api_key=emu.api_key,
            base_url=emu.base_url,
            rate_limits=slow_launches,
            max_retries=FAST_RETRIES,
        ) as client,
        make_client(emu, paced=False) as late,
    ):
        await client.ssh_keys.create(name=KEY)
        landed = False

        async def land_slot_zero_late(event: ProgressEvent) -> None:
            nonlocal landed
            if event.kind is ProgressKind.RETRYING and event.slot == 0 and not landed:
                landed = True
                await late.instances.launch(
                    region_name=event.region or "",
                    instance_type_name=A10,
                    ssh_key_names=[KEY],
                    tags={LAUNCH_TOKEN_TAG: f"{RUN}/0"},
                )

        report = await client.instances.launch_many(
            2,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            max_concurrency=1,
            poll_interval=POLL,
            settle_timeout=0.3,  # slot 1 is still unknown when slot 0 is queued again
            on_progress=land_slot_zero_late,
            run_id=RUN,
        )
    assert landed
    report.raise_for_errors()
    check_launch_invariants(emu, report)
    slot_zero = next(i for i in report.instances if i.slot == 0)
    assert slot_zero.adopted and not report.extras


def test_launch_many_options_are_declared_once() -> None:
    """The keyword form and the checked class name the same options, and the class holds
    every default: ``launch_many``'s signature spells none of them again."""
    run_options = set(LaunchRunOptions.__annotations__)
    assert run_options == {f.name for f in attrs.fields(LaunchRun)}
    assert run_options < set(LaunchManyOptions.__annotations__)
    params = inspect.signature(AsyncLambdaCloud(api_key="k").instances.launch_many).parameters
    assert list(params) == ["count", "options"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"poll_interval": 0}, "poll_interval"),
        ({"settle_timeout": -1.0}, "settle_timeout"),
        ({"max_concurrency": 1.5}, "max_concurrency"),
        ({"on_cancel": "abandon"}, "on_cancel"),
        ({"wait": "yes"}, "wait"),
        ({"region_names": "us-east-1"}, "region_names"),
        ({"region_names": ["r" * 65]}, "region_names[0]"),
        ({"instance_type_names": ["x" * 129]}, "instance_type_names[0]"),
        ({"run_id": "no spaces"}, "run_id"),
        ({"hunt": 60}, "hunt"),
        ({"on_progress": 5}, "on_progress"),
        ({"request_timeout": "5"}, "request_timeout"),
        ({"max_hourly_cost_cents": 0}, "max_hourly_cost_cents"),
        ({"timeout": -1}, "timeout"),
    ],
)
def test_a_run_option_is_checked_where_it_is_declared(
    options: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        LaunchRun(**options)  # type: ignore[arg-type]
    assert info.value.field == field
