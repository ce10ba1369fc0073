"""Launch options that reference these resource groups, end to end: every one at once."""

from __future__ import annotations

from lambda_cloud import (
    ImageSpecificationFamily,
    RequestedFilesystemMountEntry,
    RequestedTagEntry,
)
from lambda_cloud.emulator import ManualClock

from .conftest import Api, launch, tcp


async def test_all_launch_options(api: Api, clock: ManualClock) -> None:
    fs = await api(lambda c: c.file_systems.create("home", "us-east-1"))
    ruleset = await api(lambda c: c.firewall.rulesets.create("ssh", "us-east-1", [tcp(22)]))
    instance_id = await launch(
        api,
        region="us-east-1",
        name="trainer",
        hostname="trainer-0",
        image=ImageSpecificationFamily(family="ubuntu-24-04"),
        file_system_mounts=[
            RequestedFilesystemMountEntry(mount_point="/home/ubuntu/data", file_system_id=fs.id)
        ],
        tags={"team": "ml", "cost-center": "42"},
        firewall_rulesets=[ruleset.id],
    )
    clock.advance(60)  # booted: hostname and IP appear
    instance = await api(lambda c: c.instances.get(instance_id))
    assert (instance.name, instance.hostname, instance.region.name) == (
        "trainer",
        "trainer-0",
        "us-east-1",
    )
    assert instance.file_system_names == ["home"]
    assert [(m.mount_point, m.file_system_id) for m in instance.file_system_mounts] == [
        ("/home/ubuntu/data", fs.id)
    ]
    assert (instance.tag("team"), instance.tag("cost-center")) == ("ml", "42")
    assert [entry.id for entry in instance.firewall_rulesets] == [ruleset.id]


async def test_tags_as_entries(api: Api) -> None:
    tags = [RequestedTagEntry(key="env", value="dev")]
    instance_id = await launch(api, tags=tags)
    instance = await api(lambda c: c.instances.get(instance_id))
    assert instance.tag("env") == "dev"
