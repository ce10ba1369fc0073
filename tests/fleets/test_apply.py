"""Fleets against the emulator, in virtual time (issue 22): plan, apply, replace, shrink,
budget, and the guarantees across appliers. Truth is read from the emulator."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Iterable

import attrs
import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    Hunt,
    PermissionDeniedError,
    ProgressEvent,
    ProgressKind,
    SpendLimitExceededError,
    ValidationError,
)
from lambda_cloud.emulator import Emulator, ManualClock
from lambda_cloud.emulator.faults import Fault
from lambda_cloud.fleets import FleetApplyError, Reason, plan_fleet

from ..bulk.helpers import A10, KEY, make_client
from .helpers import check_converged, fleet, live_slots, only_reads


async def test_a_fleet_converges_from_zero_and_then_stays_put(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    spec = fleet(count=4)
    before = len(emu.requests())
    plan = await client.fleets.plan(spec)
    assert emu.requests()[before:] == ["GET /instances", "GET /instance-types"]
    assert [(c.slot, c.reason) for c in plan.launch] == [(i, Reason.MISSING) for i in range(4)]
    assert plan.launch_count == 4 and not plan.kept and not plan.converged
    assert (plan.hourly_cost_cents, plan.hourly_cost_cents_after) == (0, 4 * 75)

    report = await client.fleets.apply(spec)
    assert report.converged and report.ok, report.summary()
    ids = check_converged(emu, 4)
    assert report.live == [ids[i] for i in range(4)]
    names = {i["id"]: i["name"] for i in emu.instances()}
    assert [names[ids[i]] for i in range(4)] == [f"web-{i}" for i in range(4)]

    again = await client.fleets.plan(spec)
    assert again.converged and [m.id for m in again.kept] == report.live
    before = len(emu.requests())
    second = await client.fleets.apply(spec)
    assert second.launched is None and second.terminated is None and second.converged
    assert only_reads(emu.requests()[before:])
    assert check_converged(emu, 4) == ids


async def test_plan_sends_nothing_that_changes_state(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """Every kind of change planned at once; the emulator's request log shows only reads."""
    await client.fleets.apply(fleet(count=5))
    ids = check_converged(emu, 5)
    emu.preempt(ids[0])
    emu.set_unhealthy(ids[1])
    await client.instances.launch(  # a second instance of slot 2, as a racing applier's
        region_name="us-east-1",
        instance_type_name=A10,
        ssh_key_names=[KEY],
        name="web-2",
        tags={
            "lambda-cloud-launch-token": "fleet-web/2",
            "lambda-cloud-launched-at": "2999-01-01T00:00:00.000000Z",  # sent after the first
        },
    )
    before = len(emu.requests())
    plan = await client.fleets.plan(fleet(count=4, unhealthy_timeout=0))
    assert only_reads(emu.requests()[before:]), emu.requests()[before:]
    assert [(c.slot, c.reason) for c in plan.launch] == [(0, Reason.ENDED)]
    assert plan.launch[0].instance_id == ids[0] and plan.launch[0].detail == "preempted"
    assert [(c.slot, c.reason, c.instance_id) for c in plan.replace] == [
        (1, Reason.UNHEALTHY, ids[1])
    ]
    assert [(c.slot, c.reason) for c in plan.terminate] == [
        (4, Reason.SCALE_DOWN),
        (2, Reason.DUPLICATE),
    ]
    assert plan.terminate[1].instance_id != ids[2]  # the one launched first is kept
    assert {m.slot for m in plan.kept} == {2, 3}
    assert "replace   slot 1 unhealthy" in plan.summary()


async def test_ended_behind_its_back_is_replaced_on_the_next_pass(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    spec = fleet(count=3)
    await client.fleets.apply(spec)
    ids = check_converged(emu, 3)
    emu.preempt(ids[0])
    await client.instances.terminate([ids[2]])
    report = await client.fleets.apply(spec)
    assert report.converged, report.summary()
    assert {(c.slot, c.reason) for c in report.plan.launch} == {  # type: ignore[union-attr]
        (0, Reason.ENDED),
        (2, Reason.ENDED),
    }
    after = check_converged(emu, 3)
    assert after[1] == ids[1] and after[0] != ids[0] and after[2] != ids[2]


async def test_unhealthy_past_its_limit_is_replaced(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    spec = fleet(count=2, unhealthy_timeout=30)
    await client.fleets.apply(spec)
    ids = check_converged(emu, 2)
    await client.instances.wait_for(list(ids.values()), poll_interval=0.01)
    emu.set_unhealthy(ids[1])
    first = await client.fleets.apply(spec)  # seen unhealthy just now: kept
    assert first.plan is not None and not first.plan.replace and first.launched is None
    await asyncio.sleep(31)  # virtual seconds
    second = await client.fleets.apply(spec)
    assert second.plan is not None
    assert [(c.slot, c.reason) for c in second.plan.replace] == [(1, Reason.UNHEALTHY)]
    after = check_converged(emu, 2)
    assert after[0] == ids[0] and after[1] != ids[1]


async def test_stuck_booting_and_expired_members_are_replaced(
    client: AsyncLambdaCloud,
) -> None:
    """Judged from the launch-time and expiry tags against the ``now`` given (the tags are
    wall-clock times): the pure plan, on the emulator's listing."""
    async with Emulator(time_scale=0.001, boot_delay=10**6) as emu, make_client(emu) as c:
        await c.ssh_keys.create(name=KEY)
        spec = fleet(count=2, boot_timeout=600, expires_in=3600)
        await c.fleets.apply(spec)
        instances = await c.instances.list()
        now = datetime.datetime.now(datetime.timezone.utc)

        def plan_at(later: float) -> list[Reason]:
            plan = plan_fleet(
                spec,
                instances,
                now=now + datetime.timedelta(seconds=later),
                unhealthy_for={},
                launch_price=75,
                max_hourly_cost_cents=None,
                has_capacity=True,
            )
            return [c.reason for c in plan.replace]

        assert plan_at(0) == []
        assert plan_at(700) == [Reason.STUCK_BOOTING] * 2
        assert plan_at(3700) == [Reason.EXPIRED] * 2


async def test_a_lower_count_shrinks_it_highest_slots_first(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    await client.fleets.apply(fleet(count=5))
    ids = check_converged(emu, 5)
    smaller = fleet(count=2)
    plan = await client.fleets.plan(smaller)
    assert [(c.slot, c.instance_id) for c in plan.terminate] == [(i, ids[i]) for i in (4, 3, 2)]
    assert plan.hourly_cost_cents == 5 * 75 and plan.hourly_cost_cents_after == 2 * 75
    report = await client.fleets.apply(smaller)
    assert report.converged and report.launched is None
    assert report.terminated is not None and sorted(report.terminated.outcomes) == sorted(
        ids[i] for i in (2, 3, 4)
    )
    assert check_converged(emu, 2) == {0: ids[0], 1: ids[1]}


async def test_the_spend_ceiling_stops_growth(emu: Emulator, client: AsyncLambdaCloud) -> None:
    spec = fleet(count=5, max_hourly_cost_cents=3 * 75)
    plan = await client.fleets.plan(spec)
    assert plan.launch_count == 3 and plan.held_back == [3, 4]
    assert plan.hourly_cost_cents_after == 3 * 75
    report = await client.fleets.apply(spec)
    assert not report.converged and len(report.live) == 3
    with pytest.raises(FleetApplyError, match="3 live of 5"):
        report.raise_for_errors()
    check_converged(emu, 3)
    again = await client.fleets.apply(spec)
    assert again.launched is None and again.plan is not None and again.plan.held_back == [3, 4]
    # The account's other instances count: one more outside the fleet leaves room for two.
    await client.instances.terminate([report.live[2]])
    await client.instances.launch(
        region_name="us-east-1", instance_type_name=A10, ssh_key_names=[KEY]
    )
    third = await client.fleets.apply(spec)
    assert len(third.live) == 2 and third.plan is not None and third.plan.held_back == [2, 3, 4]
    assert len(live_slots(emu)) == 2
    # min_count: a smaller fleet is still healthy.
    assert (await client.fleets.apply(attrs.evolve(spec, min_count=2))).ok


async def test_two_appliers_at_once_end_with_exactly_the_target(emu: Emulator) -> None:
    spec = fleet(count=6)
    clients = [make_client(emu, paced=False) for _ in range(2)]
    try:
        await clients[0].ssh_keys.create(name=KEY)
        reports = await asyncio.gather(*(c.fleets.apply(spec) for c in clients))
        ids = check_converged(emu, 6)
        for report in reports:
            assert sorted(report.live) == sorted(ids.values()), report.summary()
        # And a pass with the fleet grown, both at once again.
        grown = attrs.evolve(spec, count=8)
        await asyncio.gather(*(c.fleets.apply(grown) for c in clients))
        check_converged(emu, 8)
    finally:
        for c in clients:
            await c.aclose()


async def test_watch_replaces_what_ends_between_passes(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    spec = fleet(count=2)
    passes = client.fleets.watch(spec, interval=10)
    first = await passes.__anext__()
    assert first.converged
    ids = check_converged(emu, 2)
    emu.preempt(ids[1])
    second = await passes.__anext__()
    assert second.converged and second.plan is not None
    assert [(c.slot, c.reason) for c in second.plan.launch] == [(1, Reason.ENDED)]
    assert check_converged(emu, 2)[1] != ids[1]
    await passes.aclose()


async def test_capacity_that_appears_later_fills_the_fleet_through_the_hunt() -> None:
    clock = ManualClock(1000.0)
    async with (
        Emulator(clock=clock, seed=5, capacity={}) as emu,
        make_client(emu, paced=False) as client,
    ):
        await client.ssh_keys.create(name=KEY)
        emu.set_capacity(A10, "us-east-1", 1)
        emu.schedule_capacity([(30.0, A10, "us-west-1", 3)])
        waits: list[ProgressEvent] = []

        def progress(event: ProgressEvent) -> None:
            if event.kind is ProgressKind.WAITING_FOR_CAPACITY:
                waits.append(event)
                clock.advance(10.0)

        spec = fleet(count=3, hunt=Hunt(timeout=60, poll_interval=0.01))
        report = await client.fleets.apply(spec, on_progress=progress)
        assert report.converged, report.summary()
        assert report.launched is not None and report.launched.region_counts == {
            "us-east-1": 1,
            "us-west-1": 2,
        }
        assert len(waits) == 3
        check_converged(emu, 3)


async def test_it_never_touches_what_another_fleet_or_no_fleet_owns(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    await client.fleets.apply(fleet("api", count=2))
    other = check_converged(emu, 2, "api")
    [plain] = await client.instances.launch(
        region_name="us-east-1", instance_type_name=A10, ssh_key_names=[KEY], name="web-9"
    )
    await client.instances.launch_many(  # a run that is no fleet's
        2, instance_type_name=A10, ssh_key_names=[KEY], run_id="web"
    )
    await client.fleets.apply(fleet(count=3))
    await client.fleets.apply(fleet(count=1))
    check_converged(emu, 1)
    assert await client.fleets.delete("web", wait=True)
    assert live_slots(emu) == {}
    live = {i["id"] for i in emu.instances() if i["status"] not in ("terminating", "terminated")}
    assert set(other.values()) | {plain} <= live
    assert len(await client.instances.find_run("web")) == 2


async def test_status_and_list_read_the_tags(emu: Emulator, client: AsyncLambdaCloud) -> None:
    await client.fleets.apply(fleet(count=2))
    await client.fleets.apply(fleet("api", count=1))
    ids = check_converged(emu, 2)
    emu.preempt(ids[0])
    async with make_client(emu) as fresh:  # another machine: knows only the name
        status = await fresh.fleets.status("web")
        assert [(m.slot, m.id) for m in status.members] == [(1, ids[1])]
        assert [(m.slot, m.id) for m in status.ended] == [(0, ids[0])]
        assert status.live == 1 and status.hourly_cost_cents == 75
        listed = await fresh.fleets.list()
        assert [(s.name, s.live) for s in listed] == [("api", 1), ("web", 1)]
        assert (await fresh.fleets.status("nothing")).members == []


@pytest.mark.parametrize("name", ["", "a b", "x" * 27, "fleet/1", 5, None])
async def test_bad_names_are_refused_before_anything_is_sent(
    emu: Emulator, client: AsyncLambdaCloud, name: object
) -> None:
    before = len(emu.requests())
    with pytest.raises(ValidationError):
        await client.fleets.status(name)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        await client.fleets.delete(name)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        await client.fleets.plan(name)  # type: ignore[arg-type]
    assert len(emu.requests()) == before


async def test_an_unknown_type_is_refused_by_the_plan(client: AsyncLambdaCloud) -> None:
    with pytest.raises(ValidationError, match="unknown instance type") as caught:
        await client.fleets.apply(fleet(instance_type_names=["gpu_nope"]))
    assert caught.value.field == "instance_type_names"  # the fleet's field, even for one type


async def test_the_accounts_books_decide_at_launch_time() -> None:
    """The plan sees only the instance list; what another guarded call on the client holds
    (here a launch hunting for A100s) is in the books the launch draws on: refused there, the
    apply reports it and launches nothing."""
    async with (
        Emulator(time_scale=0.001, capacity={(A10, "us-east-1"): 8}) as emu,
        make_client(emu, paced=False) as client,
    ):
        await client.ssh_keys.create(name=KEY)
        hunting = asyncio.ensure_future(
            client.instances.launch_many(
                2,
                instance_type_name="gpu_1x_a100_sxm4",  # 129 cents, no capacity anywhere
                ssh_key_names=[KEY],
                hunt=Hunt(timeout=3600, poll_interval=1),
                max_hourly_cost_cents=400,
            )
        )
        await asyncio.sleep(5)  # it holds 2 x 129 while it hunts
        spec = fleet(count=4, max_hourly_cost_cents=400)
        report = await client.fleets.apply(spec)
        assert report.plan is not None and report.plan.launch_count == 4  # the list: room
        assert isinstance(report.error, SpendLimitExceededError)  # the books: none
        assert report.error.committed_cents == 2 * 129
        assert report.launched is None and live_slots(emu) == {}
        hunting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await hunting
        again = await client.fleets.apply(spec)  # the hold released: it fits now
        assert again.converged, again.summary()


async def test_a_changed_type_replaces_the_members_of_the_old_one(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    await client.fleets.apply(fleet(count=2))
    old = check_converged(emu, 2)
    a6000 = fleet(count=2, instance_type_names=["gpu_1x_a6000"])
    plan = await client.fleets.plan(a6000)
    assert [(c.slot, c.reason) for c in plan.replace] == [
        (0, Reason.MISMATCHED),
        (1, Reason.MISMATCHED),
    ]
    assert plan.replace[0].detail == "type gpu_1x_a10, not gpu_1x_a6000"
    report = await client.fleets.apply(a6000)
    assert report.converged, report.summary()
    new = check_converged(emu, 2)
    assert not set(new.values()) & set(old.values())
    types = {i["id"]: i["instance_type"]["name"] for i in emu.instances()}
    assert {types[i] for i in new.values()} == {"gpu_1x_a6000"}


A6000_REGIONS = ("us-west-1", "us-midwest-1", "asia-south-1")


def _types_of(emu: Emulator, ids: Iterable[str]) -> set[str]:
    types = {i["id"]: i["instance_type"]["name"] for i in emu.instances()}
    return {types[i] for i in ids}


async def test_a_type_change_without_capacity_keeps_the_old_members_until_it_appears(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """Regression: the apply terminated both members and launched nothing. Now they are
    kept (deferred) while the listing shows no capacity, and a watch replaces them once it
    does."""
    await client.fleets.apply(fleet(count=2))
    old = check_converged(emu, 2)
    for region in A6000_REGIONS:
        emu.set_capacity("gpu_1x_a6000", region, 0)
    a6000 = fleet(count=2, instance_type_names=["gpu_1x_a6000"])
    plan = await client.fleets.plan(a6000)
    assert not plan.replace and plan.launch_count == 0 and not plan.converged
    assert [(c.slot, c.reason, c.instance_id) for c in plan.deferred] == [
        (0, Reason.MISMATCHED, old[0]),
        (1, Reason.MISMATCHED, old[1]),
    ]
    assert plan.deferred[0].detail == (
        "type gpu_1x_a10, not gpu_1x_a6000; kept: no capacity for its replacement"
    )
    assert [m.id for m in plan.kept] == [old[0], old[1]]
    assert "defer     slot 0 mismatched" in plan.summary()
    passes = client.fleets.watch(a6000, interval=60)
    first = await anext(passes)
    assert first.terminated is None and first.launched is None and first.ok
    assert not first.converged and check_converged(emu, 2) == old
    emu.set_capacity("gpu_1x_a6000", "us-midwest-1", 3)
    second = await anext(passes)
    await passes.aclose()
    assert second.converged, second.summary()
    new = check_converged(emu, 2)
    assert not set(new.values()) & set(old.values())
    assert _types_of(emu, new.values()) == {"gpu_1x_a6000"}


async def test_capacity_outside_the_fleets_regions_does_not_count(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    east = fleet(count=2, region_names=["us-east-1"])
    await client.fleets.apply(east)
    old = check_converged(emu, 2)
    moved = attrs.evolve(east, instance_type_names=["gpu_1x_a6000"])  # none in us-east-1
    report = await client.fleets.apply(moved)
    assert report.plan is not None and len(report.plan.deferred) == 2
    assert report.terminated is None and check_converged(emu, 2) == old
    emu.set_capacity("gpu_1x_a6000", "us-east-1", 2)
    assert (await client.fleets.apply(moved)).converged
    assert _types_of(emu, check_converged(emu, 2).values()) == {"gpu_1x_a6000"}


async def test_a_dearer_type_under_the_ceiling_never_shrinks_the_fleet(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """Regression: 3 A10s (75 cents) fit under 230 cents/h, 3 A6000s (80) do not; the apply
    replaced all three and relaunched two. Now all three are kept until the ceiling rises."""
    spec = fleet(count=3, max_hourly_cost_cents=230)
    await client.fleets.apply(spec)
    old = check_converged(emu, 3)
    dearer = attrs.evolve(spec, instance_type_names=["gpu_1x_a6000"])
    report = await client.fleets.apply(dearer)
    assert report.plan is not None and report.terminated is None and report.launched is None
    assert [c.detail for c in report.plan.deferred] == [
        "type gpu_1x_a10, not gpu_1x_a6000; kept: no budget room: the ceiling affords 2 of 3 slots"
    ] * 3
    assert report.plan.hourly_cost_cents_after == 3 * 75
    assert check_converged(emu, 3) == old
    roomier = attrs.evolve(dearer, max_hourly_cost_cents=240)
    assert (await client.fleets.apply(roomier)).converged
    assert _types_of(emu, check_converged(emu, 3).values()) == {"gpu_1x_a6000"}


async def test_a_member_that_ended_is_refilled_only_once_the_deferred_ones_can_go(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """While a member is deferred nothing is launched (``launch_many`` would refuse it): a
    preempted member's slot stays empty, said as held back, until the type change goes
    through."""
    await client.fleets.apply(fleet(count=3))
    old = check_converged(emu, 3)
    emu.preempt(old[2])
    for region in A6000_REGIONS:
        emu.set_capacity("gpu_1x_a6000", region, 0)
    a6000 = fleet(count=3, instance_type_names=["gpu_1x_a6000"])
    report = await client.fleets.apply(a6000)
    assert report.plan is not None and report.plan.held_back == [2]
    assert "held back by a deferred replacement: slots 2" in report.plan.summary()
    assert report.launched is None and live_slots(emu) == {0: [old[0]], 1: [old[1]]}
    emu.set_capacity("gpu_1x_a6000", "us-midwest-1", 3)
    assert (await client.fleets.apply(a6000)).converged
    assert _types_of(emu, check_converged(emu, 3).values()) == {"gpu_1x_a6000"}


async def test_a_cancelled_apply_keeps_what_it_launched_for_the_next(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    launched: list[str] = []
    two = asyncio.Event()

    def progress(event: ProgressEvent) -> None:
        if event.kind is ProgressKind.LAUNCHED and event.instance_id:
            launched.append(event.instance_id)
            if len(launched) == 2:
                two.set()

    spec = fleet(count=8)  # past the launch burst of 5: the rest wait for their turn
    applying = asyncio.ensure_future(client.fleets.apply(spec, on_progress=progress))
    await two.wait()
    applying.cancel()
    with pytest.raises(asyncio.CancelledError):
        await applying
    kept = {i for ids in live_slots(emu).values() for i in ids}
    assert set(launched) <= kept and len(kept) < 8  # members: kept, not terminated
    report = await client.fleets.apply(spec)
    assert report.converged
    assert kept <= set(check_converged(emu, 8).values())


async def test_a_replace_whose_terminate_fails_launches_nothing(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """The old member still holds its slot: the apply reports the failed terminate (not ok)
    and leaves the launch to the next pass, instead of the launch refusing the slot's live
    mismatched instance with a ``ValidationError`` (which ended a watch)."""
    await client.fleets.apply(fleet(count=2))
    old = check_converged(emu, 2)
    terminate = emu.faults.add(
        Fault(kind="status", status=403, method="POST", path="/instance-operations/terminate")
    )
    a6000 = fleet(count=2, instance_type_names=["gpu_1x_a6000"])
    report = await client.fleets.apply(a6000)
    assert report.launched is None and report.terminated is not None
    assert sorted(report.terminated.failed) == sorted(old.values())
    assert not report.ok
    with pytest.raises(FleetApplyError, match="some terminates failed"):
        report.raise_for_errors()
    assert check_converged(emu, 2) == old  # nothing launched beside them
    emu.faults.remove(terminate)
    assert (await client.fleets.apply(a6000)).converged


async def test_a_renamed_member_is_renamed_back_not_replaced(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """Renamed by hand (the console, ``instances.update``), a member keeps running: the apply
    gives it its slot's name again instead of terminating it and launching another."""
    await client.fleets.apply(fleet(count=2))
    ids = check_converged(emu, 2)
    await client.instances.update(ids[0], name="my-important-run")
    plan = await client.fleets.plan(fleet(count=2))
    assert not plan.replace and not plan.launch and not plan.converged
    assert [(c.slot, c.reason, c.instance_id) for c in plan.rename] == [(0, Reason.RENAMED, ids[0])]
    assert "rename    slot 0 renamed" in plan.summary()
    report = await client.fleets.apply(fleet(count=2))
    assert report.renamed == [ids[0]] and report.terminated is None and report.converged
    assert check_converged(emu, 2) == ids
    names = {i["id"]: i["name"] for i in emu.instances()}
    assert names[ids[0]] == "web-0"
    assert (await client.fleets.plan(fleet(count=2))).converged


async def test_a_new_name_prefix_renames_every_member(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    await client.fleets.apply(fleet(count=3))
    ids = check_converged(emu, 3)
    report = await client.fleets.apply(fleet(count=4, name_prefix="worker"))
    assert report.converged and report.terminated is None, report.summary()
    assert sorted(report.renamed) == sorted(ids.values())
    after = check_converged(emu, 4)
    assert {after[i] for i in range(3)} == set(ids.values())
    names = {i["id"]: i["name"] for i in emu.instances()}
    assert [names[after[i]] for i in range(4)] == [f"worker-{i}" for i in range(4)]


async def test_a_failed_rename_is_the_reports_error_and_launches_nothing(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    await client.fleets.apply(fleet(count=2))
    ids = check_converged(emu, 2)
    await client.instances.update(ids[1], name="")
    await client.instances.terminate([ids[0]])
    emu.faults.add(Fault(kind="status", status=403, method="POST", path="/instances/*"))
    report = await client.fleets.apply(fleet(count=2))
    assert isinstance(report.error, PermissionDeniedError) and report.renamed == []
    assert report.launched is None and not report.ok
    assert live_slots(emu) == {1: [ids[1]]}


async def test_a_fleet_never_touches_one_whose_name_it_prefixes(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """Run ids are matched whole: fleet ``a`` (``fleet-a``) is not fleet ``ab`` (``fleet-ab``),
    nor ``a-b``, however it is scaled down or deleted."""
    for name in ("ab", "a-b"):
        await client.fleets.apply(fleet(name, count=1))
    others = {name: check_converged(emu, 1, name) for name in ("ab", "a-b")}
    await client.fleets.apply(fleet("a", count=2))
    await client.fleets.apply(fleet("a", count=0))
    assert live_slots(emu, "a") == {}
    await client.fleets.apply(fleet("a", count=1))
    assert (await client.fleets.delete("a", wait=True)).ok
    assert {name: check_converged(emu, 1, name) for name in ("ab", "a-b")} == others
    listed = {s.name: s.live for s in await client.fleets.list()}
    assert listed == {"a": 0, "a-b": 1, "ab": 1}  # a's ended members are still listed
