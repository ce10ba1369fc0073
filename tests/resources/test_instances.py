"""Every instance operation against the emulator over loopback: list (and by cluster), get,
rename, launch with every option, restart, terminate; plus ``instance_types.list``."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    ImageSpecificationFamily,
    ImageSpecificationID,
    Instance,
    InstanceStatus,
    InstanceType,
    InstanceTypesItem,
    NotFoundError,
    Region,
    RequestedFilesystemMountEntry,
    RequestedTagEntry,
    TagEntry,
)
from lambda_cloud.emulator import Emulator, ManualClock
from tests.conftest import BOOT

REGION, TYPE = "us-west-1", "gpu_1x_a10"


async def launch(client: AsyncLambdaCloud, ssh_key: str, **options: Any) -> str:
    ids = await client.instances.launch(
        region_name=REGION, instance_type_name=TYPE, ssh_key_names=[ssh_key], **options
    )
    assert len(ids) == 1
    return ids[0]


async def test_list_is_empty_for_a_new_account(client: AsyncLambdaCloud) -> None:
    assert await client.instances.list() == []


async def test_launch_then_list_and_get(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str
) -> None:
    instance_id = await launch(client, ssh_key)
    [listed] = await client.instances.list()
    got = await client.instances.get(instance_id)
    assert isinstance(got, Instance)
    assert listed == got
    assert got.id == instance_id
    assert got.status is InstanceStatus.BOOTING
    assert got.ip is None and got.hostname is None  # not until it has booted
    assert got.ssh_key_names == [ssh_key]
    assert got.region == Region(name=REGION, description="California, USA")
    assert isinstance(got.instance_type, InstanceType)
    assert got.instance_type.name == TYPE
    assert got.actions.restart.available is False
    assert got.actions.terminate.available is True
    assert [i["id"] for i in emu.instances()] == [instance_id]


async def test_instance_becomes_active_with_an_address(
    client: AsyncLambdaCloud, clock: ManualClock, ssh_key: str
) -> None:
    instance_id = await launch(client, ssh_key)
    clock.advance(BOOT)
    got = await client.instances.get(instance_id)
    assert got.status is InstanceStatus.ACTIVE
    assert got.ip is not None
    assert got.private_ip is not None
    assert got.hostname == got.ip.replace(".", "-")
    assert got.jupyter_url is not None
    assert got.actions.restart.available is True


async def test_launch_with_every_option(
    client: AsyncLambdaCloud, emu: Emulator, clock: ManualClock, ssh_key: str
) -> None:
    request = client.instances._request
    shared = await request("POST", "/filesystems", body={"name": "shared", "region": REGION})
    scratch = await request("POST", "/filesystems", body={"name": "scratch", "region": REGION})
    ruleset = await request(
        "POST",
        "/firewall-rulesets",
        body={
            "name": "ssh-only",
            "region": REGION,
            "rules": [
                {
                    "protocol": "tcp",
                    "port_range": [22, 22],
                    "source_network": "0.0.0.0/0",
                    "description": "ssh",
                }
            ],
        },
    )
    instance_id = await launch(
        client,
        ssh_key,
        file_system_names=["shared"],
        file_system_mounts=[
            RequestedFilesystemMountEntry(mount_point="/data/scratch", file_system_id=scratch["id"])
        ],
        hostname="trainer-1",
        name="Trainer 1",
        image=ImageSpecificationFamily(family="ubuntu-22-04"),
        user_data="#cloud-config\nruncmd: [touch /tmp/ok]\n",
        tags=[RequestedTagEntry(key="team", value="ml"), RequestedTagEntry(key="env", value="ci")],
        firewall_rulesets=[ruleset["id"]],
    )
    clock.advance(BOOT)
    got = await client.instances.get(instance_id)
    assert got.name == "Trainer 1"
    assert got.hostname == "trainer-1"
    assert sorted(got.file_system_names) == ["scratch", "shared"]
    assert got.file_system_mounts is not None
    mounts = {m.file_system_id: m.mount_point for m in got.file_system_mounts}
    assert mounts == {shared["id"]: "/lambda/nfs/shared", scratch["id"]: "/data/scratch"}
    assert got.tags == [
        TagEntry(key="team", value="ml"),
        TagEntry(key="env", value="ci"),
        TagEntry(key="lambda-cloud-owner", value=client.owner),  # every launch carries it
    ]
    assert got.firewall_rulesets is not None
    assert [r.id for r in got.firewall_rulesets] == [ruleset["id"]]
    # What the emulator recorded from the request body.
    record = emu._world.find_instance(instance_id)[1]
    assert record.user_data == "#cloud-config\nruncmd: [touch /tmp/ok]\n"


async def test_launch_with_an_image_id(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str
) -> None:
    images = await client.instances._request("GET", "/images")
    image = next(
        i for i in images if i["region"]["name"] == REGION and i["architecture"] == "x86_64"
    )
    instance_id = await launch(client, ssh_key, image=ImageSpecificationID(id=image["id"]))
    assert emu._world.find_instance(instance_id)[1].image_id == image["id"]


async def test_launch_with_tags_as_a_mapping(client: AsyncLambdaCloud, ssh_key: str) -> None:
    instance_id = await launch(client, ssh_key, tags={"team": "ml"})
    got = await client.instances.get(instance_id)
    assert got.tag("team") == "ml"


async def test_update_renames_and_clears(client: AsyncLambdaCloud, ssh_key: str) -> None:
    instance_id = await launch(client, ssh_key, name="before")
    renamed = await client.instances.update(instance_id, name="after")
    assert renamed.id == instance_id
    assert renamed.name == "after"
    assert (await client.instances.get(instance_id)).name == "after"
    long_name = "n" * 64
    assert (await client.instances.update(instance_id, name=long_name)).name == long_name
    cleared = await client.instances.update(instance_id, name="")
    assert cleared.name is None


async def test_list_by_cluster(client: AsyncLambdaCloud, emu: Emulator, ssh_key: str) -> None:
    in_cluster = await launch(client, ssh_key)
    alone = await launch(client, ssh_key)
    emu.set_cluster(in_cluster, "c0ffee00c0ffee00c0ffee00c0ffee00")
    assert {i.id for i in await client.instances.list()} == {in_cluster, alone}
    listed = await client.instances.list(cluster_id="c0ffee00c0ffee00c0ffee00c0ffee00")
    assert [i.id for i in listed] == [in_cluster]
    assert await client.instances.list(cluster_id="another-cluster") == []


async def test_list_by_cluster_id_with_reserved_characters(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str
) -> None:
    instance_id = await launch(client, ssh_key)
    emu.set_cluster(instance_id, "team/a b")
    assert [i.id for i in await client.instances.list(cluster_id="team/a b")] == [instance_id]


async def test_restart_an_active_instance(
    client: AsyncLambdaCloud, clock: ManualClock, ssh_key: str
) -> None:
    first = await launch(client, ssh_key)
    second = await launch(client, ssh_key)
    clock.advance(BOOT)
    restarted = await client.instances.restart([first, second])
    assert {i.id for i in restarted} == {first, second}
    assert all(isinstance(i, Instance) for i in restarted)
    assert all(i.status is InstanceStatus.BOOTING for i in restarted)
    clock.advance(BOOT)
    assert (await client.instances.get(first)).status is InstanceStatus.ACTIVE


async def test_terminate(
    client: AsyncLambdaCloud, emu: Emulator, clock: ManualClock, ssh_key: str
) -> None:
    keep = await launch(client, ssh_key)
    doomed = await launch(client, ssh_key)
    [terminated] = await client.instances.terminate([doomed])
    assert terminated.id == doomed
    assert terminated.status in (InstanceStatus.TERMINATING, InstanceStatus.TERMINATED)
    clock.advance(60)  # past terminate delay and retention
    assert [i.id for i in await client.instances.list()] == [keep]
    with pytest.raises(NotFoundError):
        await client.instances.get(doomed)
    gone = [i for i in emu.instances(include_gone=True) if i["id"] == doomed]
    assert gone[0]["status"] == "terminated"


async def test_terminate_several(client: AsyncLambdaCloud, emu: Emulator, ssh_key: str) -> None:
    ids = [await launch(client, ssh_key) for _ in range(3)]
    terminated = await client.instances.terminate(ids)
    assert sorted(i.id for i in terminated) == sorted(ids)
    assert all(i["status"] == "terminating" for i in emu.instances())


async def test_instance_types(client: AsyncLambdaCloud, emu: Emulator) -> None:
    emu.set_capacity("gpu_1x_a10", "us-east-1", 0)
    types = await client.instance_types.list()
    assert isinstance(types, dict)
    assert "gpu_1x_a10" in types
    for name, item in types.items():
        assert isinstance(item, InstanceTypesItem)
        assert item.instance_type.name == name
        assert item.instance_type.price_cents_per_hour > 0
        assert item.instance_type.specs.gpus >= 1
        assert all(isinstance(r, Region) for r in item.regions_with_capacity_available)
    a10 = types["gpu_1x_a10"]
    assert "us-west-1" in a10.region_names
    assert "us-east-1" not in a10.region_names
    assert types["gpu_8x_b200_sxm6"].regions_with_capacity_available == []


async def test_launch_takes_capacity_shown_by_instance_types(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str
) -> None:
    emu.set_capacity(TYPE, REGION, 1)
    assert REGION in (await client.instance_types.list())[TYPE].region_names
    await launch(client, ssh_key)
    assert REGION not in (await client.instance_types.list())[TYPE].region_names
