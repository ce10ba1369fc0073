"""``instances.reap`` in virtual time: only expired instances the SDK tagged for the owner are
terminated; untagged, foreign, kept and extended ones are left alone; dry runs send nothing."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest

from lambda_cloud import AsyncLambdaCloud, InstanceStatus, ValidationError
from lambda_cloud.bulk import LAUNCH_TOKEN_TAG
from lambda_cloud.emulator import Emulator
from tests.conftest import make_client

REGION, TYPE, KEY = "us-west-1", "gpu_1x_a10", "reap-key"
UTC = datetime.timezone.utc
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
async def alice(emu: Emulator) -> AsyncIterator[AsyncLambdaCloud]:
    async with make_client(emu, owner="alice@laptop") as client:
        await client.ssh_keys.create(KEY)
        yield client


@pytest.fixture
async def bob(emu: Emulator, alice: AsyncLambdaCloud) -> AsyncIterator[AsyncLambdaCloud]:
    async with make_client(emu, owner="bob@ci") as client:  # the same account, another owner
        yield client


async def launch(client: AsyncLambdaCloud, **options: Any) -> str:
    (iid,) = await client.instances.launch(
        region_name=REGION, instance_type_name=TYPE, ssh_key_names=[KEY], **options
    )
    return iid


def status(emu: Emulator) -> dict[str, str]:
    return {i["id"]: i["status"] for i in emu.instances()}


class Store:
    """An ``ExpiryExtensions`` store in memory, recording what it was asked."""

    def __init__(self, extended: Mapping[str, datetime.datetime]) -> None:
        self.extended = dict(extended)
        self.asked: list[str] = []

    async def extended_expiries(
        self, instance_ids: Sequence[str]
    ) -> Mapping[str, datetime.datetime]:
        self.asked.extend(instance_ids)
        return {i: self.extended[i] for i in instance_ids if i in self.extended}


async def test_launches_carry_owner_and_expiry_tags(alice: AsyncLambdaCloud) -> None:
    before = datetime.datetime.now(UTC)
    report = await alice.instances.launch_many(
        2, instance_type_name=TYPE, ssh_key_names=[KEY], expires_in=HOUR, run_id="run-1"
    )
    single = await launch(alice, expires_at=before + 2 * HOUR, tags={"team": "ml"})
    forever = await launch(alice)
    listed = {i.id: i for i in await alice.instances.list()}
    for slot, iid in enumerate(report.ids):
        instance = listed[iid]
        assert instance.tag("lambda-cloud-owner") == "alice@laptop"
        assert instance.tag(LAUNCH_TOKEN_TAG) == f"run-1/{slot}"  # unchanged
        expiry = instance.tag("lambda-cloud-expires-at") or ""
        assert expiry.endswith("Z") and len(expiry) == len("2026-01-01T00:00:00Z")
        moment = datetime.datetime.fromisoformat(expiry.replace("Z", "+00:00"))
        assert before + HOUR <= moment <= datetime.datetime.now(UTC) + HOUR + HOUR / 3600
    assert listed[single].tag("team") == "ml"
    # expires_at is kept to the second, rounded up: never earlier than asked.
    ceiling = (before + 2 * HOUR + datetime.timedelta(microseconds=999_999)).replace(microsecond=0)
    assert listed[single].tag("lambda-cloud-expires-at") == ceiling.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listed[forever].tag("lambda-cloud-owner") == "alice@laptop"
    assert listed[forever].tag("lambda-cloud-expires-at") is None


async def test_the_client_default_expiry_applies(emu: Emulator, alice: AsyncLambdaCloud) -> None:
    same = alice.with_options()
    assert (same.owner, same.default_expires_in) == ("alice@laptop", None)
    other = alice.with_options(owner="dave", default_expires_in=HOUR)
    assert (other.owner, other.default_expires_in) == ("dave", HOUR)
    assert other.with_options(default_expires_in=None).default_expires_in is None
    with pytest.raises(ValidationError):
        alice.with_options(default_expires_in=-1)
    async with make_client(emu, owner="carol", default_expires_in=600) as carol:
        assert carol.default_expires_in == datetime.timedelta(minutes=10)
        iid = await launch(carol)
        (instance,) = [i for i in await carol.instances.list() if i.id == iid]
        assert instance.tag("lambda-cloud-expires-at") is not None
        assert instance.tag("lambda-cloud-owner") == "carol"


async def test_reap_terminates_exactly_the_expired_instances_of_the_owner(
    emu: Emulator, alice: AsyncLambdaCloud, bob: AsyncLambdaCloud
) -> None:
    run = await alice.instances.launch_many(
        3, instance_type_name=TYPE, ssh_key_names=[KEY], expires_in=HOUR
    )
    expired, kept = run.ids[:2], run.ids[2]
    later = await launch(alice, expires_in=5 * HOUR)
    forever = await launch(alice)
    foreign = await launch(bob, expires_in=HOUR)
    # An instance without the SDK's tags, launched as another tool would.
    body = {"region_name": REGION, "instance_type_name": TYPE, "ssh_key_names": [KEY]}
    untagged = (await alice.instances._request("POST", "/instance-operations/launch", body=body))[
        "instance_ids"
    ][0]
    everyone = [*run.ids, later, forever, foreign, untagged]
    now = datetime.datetime.now(UTC) + 2 * HOUR

    dry = await alice.instances.reap(now=now, keep=[kept])
    assert dry.dry_run and dry.terminated is None
    assert [e.id for e in dry.expired] == expired
    assert [e.id for e in dry.kept] == [kept]
    assert dry.hourly_cost_cents == 2 * dry.expired[0].price_cents_per_hour  # type: ignore[operator]
    assert all(status(emu)[i] != "terminating" for i in everyone)  # the dry run sent nothing

    done = await alice.instances.reap(now=now, keep=[kept], dry_run=False)
    assert done.ok and done.terminated is not None
    assert sorted(done.terminated.outcomes) == sorted(expired)
    after = status(emu)
    assert sorted(i for i in everyone if after[i] == "terminating") == sorted(expired)

    # Bob's reaper takes his own expired instance, and nothing of Alice's.
    theirs = await bob.instances.reap(now=now, dry_run=False)
    assert [e.id for e in theirs.expired] == [foreign]
    assert status(emu)[kept] != "terminating" and status(emu)[untagged] != "terminating"


async def test_an_extension_in_the_store_is_honoured(alice: AsyncLambdaCloud) -> None:
    ids = (
        await alice.instances.launch_many(
            3, instance_type_name=TYPE, ssh_key_names=[KEY], expires_in=HOUR
        )
    ).ids
    now = datetime.datetime.now(UTC) + 2 * HOUR
    store = Store({ids[0]: now + HOUR, ids[1]: now - HOUR / 2})  # one still ahead, one passed
    report = await alice.instances.reap(now=now, extensions=store, keep=[ids[2]], dry_run=False)
    assert [e.id for e in report.extended] == [ids[0]]
    assert report.extended[0].expires_at == now + HOUR
    assert [e.id for e in report.expired] == [ids[1]]
    assert store.asked == ids[:2]  # kept instances need no lookup
    listed = {i.id: i.status for i in await alice.instances.list()}
    assert listed[ids[1]] is InstanceStatus.TERMINATING
    assert listed[ids[0]] is not InstanceStatus.TERMINATING


async def test_nothing_expired_sends_no_terminate(alice: AsyncLambdaCloud) -> None:
    await launch(alice, expires_in=HOUR)
    report = await alice.instances.reap(dry_run=False)  # now: an hour too early
    assert report.expired == [] and report.terminated is None and report.ok


async def test_idle_file_systems_are_listed_and_deleted_only_by_id(
    emu: Emulator, alice: AsyncLambdaCloud
) -> None:
    idle = await alice.file_systems.create("idle", REGION)
    used = await alice.file_systems.create("used", REGION)
    expired = await launch(alice, file_system_names=["used"], expires_in=HOUR)
    now = datetime.datetime.now(UTC) + 2 * HOUR
    report = await alice.instances.reap(now=now)
    assert [f.id for f in report.idle_file_systems] == [idle.id]
    assert report.idle_file_systems[0].age >= 2 * HOUR - datetime.timedelta(minutes=1)
    assert report.idle_file_systems[0].bytes_used == idle.bytes_used
    # One that an instance mounts is refused before anything is terminated.
    with pytest.raises(ValidationError) as caught:
        await alice.instances.reap(now=now, dry_run=False, delete_file_systems=[used.id])
    assert caught.value.field == "delete_file_systems" and used.id in str(caught.value)
    assert status(emu)[expired] != "terminating"
    dry = await alice.instances.reap(now=now, delete_file_systems=[idle.id])
    assert dry.deleted_file_systems == [] and len(emu.account().filesystems) == 2
    done = await alice.instances.reap(now=now, dry_run=False, delete_file_systems=[idle.id])
    assert done.deleted_file_systems == [idle.id]
    assert list(emu.account().filesystems) == [used.id]
    assert status(emu)[expired] == "terminating"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"expires_in": HOUR, "expires_at": datetime.datetime(2100, 1, 1)}, "expires_at"),
        ({"expires_in": -5}, "expires_in"),
        ({"expires_in": "4h"}, "expires_in"),
        ({"expires_at": datetime.datetime(2000, 1, 1)}, "expires_at"),
        # Past what a duration may be (rounding the last microsecond of 9999 up overflowed).
        ({"expires_at": datetime.datetime.max}, "expires_at"),
        ({"tags": {"lambda-cloud-owner": "me"}}, "tags"),
        ({"tags": {"lambda-cloud-expires-at": "2100-01-01T00:00:00Z"}}, "tags"),
    ],
)
async def test_bad_expiry_is_refused_before_sending(
    emu: Emulator, alice: AsyncLambdaCloud, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await launch(alice, **options)
    assert caught.value.field == field
    with pytest.raises(ValidationError):
        await alice.instances.launch_many(
            1, instance_type_name=TYPE, ssh_key_names=[KEY], **options
        )
    assert emu.instances() == []


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"dry_run": "no"}, "dry_run"),
        ({"owner": ""}, "owner"),
        ({"owner": "x" * 129}, "owner"),
        ({"keep": "abc"}, "keep"),
        ({"now": "tomorrow"}, "now"),
    ],
)
async def test_bad_reap_arguments_are_refused(
    alice: AsyncLambdaCloud, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await alice.instances.reap(**options)
    assert caught.value.field == field


def test_client_options_are_checked(emu: Emulator) -> None:
    with pytest.raises(ValidationError):
        make_client(emu, owner="")
    with pytest.raises(ValidationError):
        make_client(emu, default_expires_in=0)
