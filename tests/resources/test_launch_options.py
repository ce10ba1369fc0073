"""Launch options that reference these resource groups, end to end: every one at once."""

from __future__ import annotations

import pytest

from lambda_cloud import (
    ImageSpecificationFamily,
    RequestedFilesystemMountEntry,
    RequestedTagEntry,
    ValidationError,
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


async def test_nested_options_as_the_api_json_shapes(api: Api, clock: ManualClock) -> None:
    """Users copy the API's JSON from its docs: plain dicts work wherever a class does."""
    fs = await api(lambda c: c.file_systems.create("data", "us-east-1"))
    ruleset = await api(lambda c: c.firewall.rulesets.create("web", "us-east-1", [tcp(443)]))
    instance_id = await launch(
        api,
        region="us-east-1",
        image={"family": "ubuntu-24-04"},
        file_system_mounts=[{"mount_point": "/data/x", "file_system_id": fs.id}],
        tags=[{"key": "team", "value": "ml"}],
        firewall_rulesets=[{"id": ruleset.id}],
    )
    clock.advance(60)
    instance = await api(lambda c: c.instances.get(instance_id))
    assert instance.tag("team") == "ml"
    assert [(m.mount_point, m.file_system_id) for m in instance.file_system_mounts] == [
        ("/data/x", fs.id)
    ]
    assert [entry.id for entry in instance.firewall_rulesets] == [ruleset.id]


LAUNCH: dict[str, object] = {
    "region_name": "us-west-1",
    "instance_type_name": "gpu_1x_a10",
    "ssh_key_names": ["key"],
}


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"tags": [{"key": "team"}]}, "tags[0]"),
        ({"tags": [{"key": "Team", "value": "ml"}]}, "tags[0].key"),
        ({"file_system_mounts": [{"mount_point": "/data"}]}, "file_system_mounts[0]"),
        ({"firewall_rulesets": [{"name": "x"}]}, "firewall_rulesets[0]"),
        ({"image": {"id": "x", "family": "y"}}, "image"),
    ],
)
async def test_malformed_dict_options_are_refused_naming_the_field(
    api: Api, unsent: None, options: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await api(lambda c: c.instances.launch(**{**LAUNCH, **options}))
    assert caught.value.field == field


async def test_an_unknown_launch_option_is_a_type_error(api: Api, unsent: None) -> None:
    """``**options`` would take any keyword: a typo must not be sent, nor silently dropped."""
    with pytest.raises(TypeError, match="instance_typ"):
        await api(lambda c: c.instances.launch(**LAUNCH, instance_typ="gpu_1x_a10"))
