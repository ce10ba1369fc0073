"""Launch request validation and the resources a launch refers to."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_cloud.emulator import Emulator, ManualClock
from lambda_cloud.emulator.catalog import IMAGES

from .helpers import LAUNCH, Api

BASE = {"region_name": "us-west-1", "instance_type_name": "gpu_1x_a10", "ssh_key_names": ["my-key"]}

LONG_MOUNT = "/data/" + "x" * 251
_TCP_22 = {"protocol": "tcp", "port_range": [22, 22], "source_network": "0.0.0.0/0"}


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in BASE.items() if k != key}


@pytest.mark.parametrize(
    ("body", "prefix"),
    [
        (_without("region_name"), "region_name: field required"),
        (_without("instance_type_name"), "instance_type_name: field required"),
        (_without("ssh_key_names"), "ssh_key_names: field required"),
        ({**BASE, "region_name": 5}, "region_name: must be a string"),
        ({**BASE, "ssh_key_names": "my-key"}, "ssh_key_names: must be an array"),
        ({**BASE, "ssh_key_names": []}, "ssh_key_names: exactly one"),
        ({**BASE, "ssh_key_names": ["a", "b"]}, "ssh_key_names: exactly one"),
        ({**BASE, "ssh_key_names": [None]}, "ssh_key_names[0]: must be a string"),
        ({**BASE, "name": "x" * 65}, "name: must be at most 64"),
        ({**BASE, "hostname": "Upper"}, "hostname: must match"),
        ({**BASE, "hostname": "-lead"}, "hostname: must match"),
        ({**BASE, "hostname": "a" * 64}, "hostname: must be at most 63"),
        ({**BASE, "hostname": ""}, "hostname: must be at least 1"),
        ({**BASE, "user_data": "x" * (1_000_000 + 1)}, "user_data: must be at most"),
        ({**BASE, "user_data": "é" * (512 * 1024 + 1)}, "user_data: must be at most"),
        ({**BASE, "tags": {"a": "b"}}, "tags: must be an array"),
        ({**BASE, "tags": [{"key": "a", "value": "b"}]}, "tags[0].key: must match"),
        ({**BASE, "tags": [{"key": "Ab", "value": "b"}]}, "tags[0].key: must match"),
        ({**BASE, "tags": [{"key": "a" * 56, "value": "b"}]}, "tags[0].key: must be at most 55"),
        ({**BASE, "tags": [{"key": "ab", "value": "v" * 129}]}, "tags[0].value: must be at most"),
        ({**BASE, "tags": [{"key": "ab"}]}, "tags[0].value: field required"),
        ({**BASE, "image": {"id": "a", "family": "b"}}, "image: must be either"),
        ({**BASE, "image": {}}, "image: must be either"),
        ({**BASE, "image": "lambda-stack"}, "image: must be either"),
        ({**BASE, "image": {"id": 3}}, "image.id: must be a string"),
        ({**BASE, "file_system_names": "fs"}, "file_system_names: must be an array"),
        (
            {**BASE, "file_system_mounts": [{"mount_point": "/etc/x", "file_system_id": "f"}]},
            "file_system_mounts[0].mount_point: must match",
        ),
        (
            {**BASE, "file_system_mounts": [{"mount_point": LONG_MOUNT, "file_system_id": "f"}]},
            "file_system_mounts[0].mount_point: must be at most 256",
        ),
        (
            {**BASE, "file_system_mounts": [{"mount_point": "/data/x"}]},
            "file_system_mounts[0].file_system_id: field required",
        ),
        ({**BASE, "firewall_rulesets": [{}]}, "firewall_rulesets[0].id: field required"),
        ({**BASE, "quantity": 2}, "quantity: Input should be less than or equal to 1"),
        ({**BASE, "quantity": 0}, "quantity: Input should be greater than or equal to 1"),
        ({**BASE, "quantity": True}, "quantity: must be an integer"),
    ],
)  # fmt: skip
async def test_invalid_launch_bodies_name_the_field(
    keyed: Api, body: dict[str, Any], prefix: str
) -> None:
    reply = await keyed.post(LAUNCH, body)
    assert reply.status == 400
    assert reply.code == "global/invalid-parameters"
    assert reply.message.startswith(prefix), reply.message
    assert keyed.emulator.instances() == []


async def test_valid_edge_values_launch(keyed: Api) -> None:
    body = {
        **BASE,
        "quantity": 1,
        "name": "x" * 64,
        "hostname": "a" * 63,
        "user_data": "x" * 1_000_000,
        "tags": [{"key": "a" * 55, "value": "v" * 128}, {"key": "k8s:role", "value": ""}],
        "image": {"family": "ubuntu-22-04"},
    }
    assert (await keyed.post(LAUNCH, body)).status == 200


@pytest.mark.parametrize(
    ("change", "needle", "status"),
    [
        ({"instance_type_name": "gpu_9x_nope"}, "Instance type 'gpu_9x_nope'", 404),
        ({"region_name": "mars-1"}, "Region 'mars-1'", 404),
        ({"ssh_key_names": ["other"]}, "SSH key 'other'", 404),
        ({"file_system_names": ["nofs"]}, "File system 'nofs'", 404),
        (
            {"file_system_mounts": [{"mount_point": "/data/x", "file_system_id": "0" * 32}]},
            "File system with ID",
            404,
        ),
        ({"image": {"id": "43336648-096d-4cba-9aa2-f9bb7727639d"}}, "Image '43336648", 404),
        ({"image": {"family": "windows-95"}}, "image of family 'windows-95'", 404),
    ],
)
async def test_unknown_launch_resources(
    keyed: Api, change: dict[str, Any], needle: str, status: int
) -> None:
    reply = await keyed.launch(**change)
    assert reply.status == status
    assert reply.code == "global/object-does-not-exist"
    assert needle in reply.message
    assert reply.body["error"]["suggestion"]


async def test_images_must_fit_the_region_and_architecture(keyed: Api) -> None:
    east = next(i for i in IMAGES if i.region == "us-east-1" and i.architecture == "x86_64")
    wrong_region = await keyed.launch(image={"id": east.id})
    assert wrong_region.status == 404
    west_arm = next(i for i in IMAGES if i.region == "us-west-3" and i.architecture == "arm64")
    wrong_arch = await keyed.launch(region_name="us-west-3", image={"id": west_arm.id})
    assert wrong_arch.code == "global/invalid-parameters"
    assert "arm64" in wrong_arch.message
    gh200 = await keyed.launch(
        region_name="us-west-3", instance_type_name="gpu_1x_gh200", image={"id": west_arm.id}
    )
    assert gh200.status == 200
    no_arm_ubuntu_22 = await keyed.launch(
        region_name="us-west-3", instance_type_name="gpu_1x_gh200", image={"family": "ubuntu-22-04"}
    )
    assert no_arm_ubuntu_22.status == 404


async def test_file_systems_at_launch(keyed: Api, clock: ManualClock) -> None:
    west = (await keyed.post("/filesystems", {"name": "data", "region": "us-west-1"})).data
    other = (await keyed.post("/filesystems", {"name": "more", "region": "us-west-1"})).data
    east = (await keyed.post("/filesystems", {"name": "east", "region": "us-east-1"})).data

    wrong = await keyed.launch(file_system_names=["east"])
    assert wrong.status == 400
    assert wrong.code == "instance-operations/launch/file-system-in-wrong-region"
    wrong = await keyed.launch(
        file_system_mounts=[{"mount_point": "/data/east", "file_system_id": east["id"]}]
    )
    assert wrong.code == "instance-operations/launch/file-system-in-wrong-region"

    instance_id = await keyed.launch_id(
        file_system_names=["data", "more"],
        file_system_mounts=[{"mount_point": "/home/ubuntu/more", "file_system_id": other["id"]}],
    )
    instance = (await keyed.get(f"/instances/{instance_id}")).data
    assert instance["file_system_names"] == ["data", "more"]
    assert instance["file_system_mounts"] == [
        {"mount_point": "/lambda/nfs/data", "file_system_id": west["id"]},
        {"mount_point": "/home/ubuntu/more", "file_system_id": other["id"]},
    ]
    listed = {fs["name"]: fs["is_in_use"] for fs in (await keyed.get("/file-systems")).data}
    assert listed == {"data": True, "more": True, "east": False}


async def test_firewall_rulesets_at_launch(keyed: Api, emu: Emulator) -> None:
    rule = {**_TCP_22, "description": "ssh"}
    east = await keyed.post(
        "/firewall-rulesets", {"name": "e", "region": "us-east-1", "rules": [rule]}
    )
    west = await keyed.post(
        "/firewall-rulesets", {"name": "w", "region": "us-west-1", "rules": [rule]}
    )
    wrong = await keyed.launch(firewall_rulesets=[{"id": east.data["id"]}])
    assert wrong.code == "global/invalid-parameters"
    assert wrong.message.startswith("firewall_rulesets[0].id")
    missing = await keyed.launch(firewall_rulesets=[{"id": "0" * 32}])
    assert missing.status == 404
    assert missing.code == "global/object-does-not-exist"
    instance_id = await keyed.launch_id(firewall_rulesets=[{"id": west.data["id"]}])
    instance = (await keyed.get(f"/instances/{instance_id}")).data
    assert instance["firewall_rulesets"] == [{"id": west.data["id"]}]
    ruleset = (await keyed.get(f"/firewall-rulesets/{west.data['id']}")).data
    assert ruleset["instance_ids"] == [instance_id]


async def test_every_unknown_resource_is_a_404_before_any_400(keyed: Api) -> None:
    # docs/emulator.md: all 404 lookups come before the wrong-region and architecture 400s.
    await keyed.post("/filesystems", {"name": "east", "region": "us-east-1"})
    arm = next(i for i in IMAGES if i.region == "us-west-1" and i.architecture == "arm64")
    unknown_image = await keyed.launch(file_system_names=["east"], image={"id": "nope"})
    assert (unknown_image.status, unknown_image.code) == (404, "global/object-does-not-exist")
    assert "Image 'nope'" in unknown_image.message
    unknown_ruleset = await keyed.launch(
        file_system_names=["east"], image={"id": arm.id}, firewall_rulesets=[{"id": "0" * 32}]
    )
    assert (unknown_ruleset.status, unknown_ruleset.code) == (404, "global/object-does-not-exist")
    assert unknown_ruleset.message.startswith("Firewall ruleset does not exist")
    wrong_region = await keyed.launch(file_system_names=["east"], image={"id": arm.id})
    assert wrong_region.code == "instance-operations/launch/file-system-in-wrong-region"
