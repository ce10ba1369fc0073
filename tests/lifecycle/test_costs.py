"""``instances.costs`` in virtual time: a scripted history (launch, terminate, relaunch across
a price change) costs what it does by hand."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from typing import Any

import pytest

from lambda_cloud import AsyncLambdaCloud, ValidationError
from lambda_cloud.emulator import Emulator, ManualClock
from lambda_cloud.lifecycle.costs import compute_costs
from lambda_cloud.types import AuditEvent, InstanceType, InstanceTypesItem, InstanceTypeSpecs
from tests.conftest import make_client

TYPE, KEY = "gpu_1x_a10", "cost-key"
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    # Terminated instances stay listed (with the price they launched at) for the whole test.
    return {"terminated_retention": 10 * 24 * 3600.0, "terminate_delay": 0.0}


@pytest.fixture
async def alice(emu: Emulator) -> AsyncIterator[AsyncLambdaCloud]:
    async with make_client(emu, owner="alice") as client:
        await client.ssh_keys.create(KEY)
        yield client


async def launch(client: AsyncLambdaCloud, run_id: str) -> str:
    report = await client.instances.launch_many(
        1, instance_type_name=TYPE, ssh_key_names=[KEY], run_id=run_id, expires_in=HOUR
    )
    report.raise_for_errors()
    return report.ids[0]


async def launched_at(client: AsyncLambdaCloud, instance_id: str) -> datetime.datetime:
    async for event in client.audit_events.list(resource_type="cloud.instance"):
        if event.action == "launched" and event.resource_lrns[0].endswith(instance_id):
            return event.event_time
    raise AssertionError(f"no launch event for {instance_id}")


async def test_a_scripted_history_costs_what_it_does_by_hand(
    emu: Emulator, clock: ManualClock, alice: AsyncLambdaCloud
) -> None:
    emu.set_price(TYPE, 100)
    async with make_client(emu, owner="bob") as bob:
        first = await launch(alice, "run-a")  # t0, at $1.00/h
        t0 = await launched_at(alice, first)
        clock.advance(3600)
        await alice.instances.terminate([first])  # t0 + 1h: 100 cents
        emu.set_price(TYPE, 200)
        second = await launch(alice, "run-a")  # relaunched at the new price, $2.00/h
        clock.advance(1800)
        third = await bob.instances.launch(
            region_name="us-west-1", instance_type_name=TYPE, ssh_key_names=[KEY]
        )  # t0 + 1.5h, untagged by run, owned by bob
        clock.advance(900)  # until: t0 + 1.75h
    until = t0 + datetime.timedelta(seconds=6300)
    since = t0 - datetime.timedelta(minutes=5)

    by_instance = await alice.instances.costs(since=since, until=until, group_by="instance")
    cents = {g.key: g.cents for g in by_instance.groups}
    assert cents == pytest.approx({first: 100.0, second: 150.0, third[0]: 50.0})
    assert by_instance.total_cents == pytest.approx(300.0)
    assert by_instance.running_cents_per_hour == 400  # second and third, at $2.00/h
    assert by_instance.unaccounted == []
    assert not any(c.estimated for c in by_instance.instances)

    by_run = await alice.instances.costs(since=since, until=until)
    runs = {
        g.key: (round(g.cents, 6), g.instances, g.running_cents_per_hour) for g in by_run.groups
    }
    assert runs == {"run-a": (250.0, 2, 200), "(unknown)": (50.0, 1, 200)}
    by_owner = await alice.instances.costs(since=since, until=until, group_by="owner")
    assert {g.key: g.cents for g in by_owner.groups} == pytest.approx({"alice": 250.0, "bob": 50.0})
    by_type = await alice.instances.costs(since=since, until=until, group_by="type")
    assert [(g.key, g.instances) for g in by_type.groups] == [(TYPE, 3)]

    # A window that starts after the first launch: that instance is marked, not guessed.
    later = await alice.instances.costs(since=t0 + HOUR / 2, until=until, group_by="instance")
    assert [u.id for u in later.unaccounted] == [first]
    assert {g.key: g.cents for g in later.groups} == pytest.approx({second: 150.0, third[0]: 50.0})
    # A window that ends before the relaunch clips the first instance to it.
    early = await alice.instances.costs(since=since, until=t0 + HOUR / 2, group_by="instance")
    assert {g.key: g.cents for g in early.groups} == pytest.approx({first: 50.0})
    # ``since`` as a duration before ``until``.
    recent = await alice.instances.costs(since=HOUR / 4, until=until, group_by="instance")
    assert recent.since == until - HOUR / 4


async def test_an_instance_no_longer_listed_is_priced_at_its_type_and_marked(
    emu: Emulator, clock: ManualClock, alice: AsyncLambdaCloud
) -> None:
    emu.set_price(TYPE, 100)
    gone = await launch(alice, "run-b")
    t0 = await launched_at(alice, gone)
    clock.advance(3600)
    await alice.instances.terminate([gone])
    clock.advance(11 * 24 * 3600)  # past the retention: no longer listed
    report = await alice.instances.costs(since=t0 - HOUR, until=t0 + 2 * HOUR, group_by="instance")
    (cost,) = report.instances
    assert (cost.id, cost.estimated, cost.run, cost.owner) == (gone, True, "(unknown)", "(unknown)")
    assert cost.cents == pytest.approx(100.0)


async def test_idle_file_systems_are_in_the_cost_report(alice: AsyncLambdaCloud) -> None:
    fs = await alice.file_systems.create("scratch", "us-west-1")
    report = await alice.instances.costs(since=HOUR)
    assert [f.id for f in report.idle_file_systems] == [fs.id]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"since": HOUR, "group_by": "team"}, "group_by"),
        ({"since": -HOUR}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": datetime.datetime(2100, 1, 1)}, "since"),
        ({"since": HOUR, "until": 5}, "until"),
    ],
)
async def test_bad_cost_arguments_are_refused(
    alice: AsyncLambdaCloud, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await alice.instances.costs(**options)
    assert caught.value.field == field


async def test_a_preempted_instance_is_marked_not_guessed(
    emu: Emulator, clock: ManualClock, alice: AsyncLambdaCloud
) -> None:
    emu.set_price(TYPE, 100)
    preempted = await launch(alice, "run-p")
    running = await launch(alice, "run-q")
    t0 = await launched_at(alice, preempted)
    clock.advance(3600)
    emu.preempt(preempted)  # the API records no event and no time for it
    clock.advance(3600)
    until = t0 + 2 * HOUR
    report = await alice.instances.costs(since=t0 - HOUR, until=until, group_by="instance")
    (marked,) = report.unaccounted
    assert (marked.id, marked.launched_at) == (preempted, t0)
    assert marked.reason.startswith("preempted: the API records no time for a preemption")
    assert marked.instance is not None and marked.instance.status == "preempted"
    assert [g.key for g in report.groups] == [running]  # counted: none of its hours are guessed
    assert report.running_cents_per_hour == 100
    # Once it is no longer listed, it is still marked.
    clock.advance(11 * 24 * 3600)
    gone = await alice.instances.costs(since=t0 - HOUR, until=until, group_by="instance")
    assert [(u.id, u.launched_at) for u in gone.unaccounted] == [(preempted, t0)]
    assert "no longer listed" in gone.unaccounted[0].reason


def test_an_event_names_its_instance_by_its_instance_lrn() -> None:
    t0 = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)

    def event(action: str, lrns: list[str], **details: Any) -> AuditEvent:
        return AuditEvent(
            event_id=action,
            event_time=t0 if action == "launched" else t0 + HOUR,
            service_name="cloud",
            resource_name="instance",
            action=action,
            catalog_version="2025-09-06",
            actor_lrn=None,
            resource_lrns=lrns,
            resource_owner_lrn=None,
            request_api_key_lrn=None,
            additional_details=details,
        )

    iid = "ef016789234abcd0123489ab4567cdef"
    item = InstanceTypesItem(
        instance_type=InstanceType(
            name=TYPE,
            description="",
            gpu_description="",
            price_cents_per_hour=100,
            specs=InstanceTypeSpecs(vcpus=1, memory_gib=1, storage_gib=1, gpus=1),
        ),
        regions_with_capacity_available=[],
    )
    report = compute_costs(
        events=[
            # Another resource's LRN first: the instance's is the one that counts.
            event("launched", ["lrn:cloud:ssh_key:abc", f"lrn:cloud:instance:{iid}"],
                  instance_type=TYPE),
            # Only in the details, as the spec's example shows an instance's.
            event("terminated", [], instance_lrn=f"lrn:cloud:instance:{iid}"),
            event("launched", ["lrn:cloud:ssh_key:abc"]),  # names no instance: ignored
        ],
        instances=[],
        types={TYPE: item},
        since=t0 - HOUR,
        until=t0 + 2 * HOUR,
        group_by="instance",
        idle=[],
    )  # fmt: skip
    assert [(c.id, c.cents, c.estimated) for c in report.instances] == [(iid, 100.0, True)]
    assert report.unaccounted == []
