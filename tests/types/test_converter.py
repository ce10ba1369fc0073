"""Models from API JSON: unknown fields ignored, unknown enum values kept, absent optionals None,
``actions`` structured lazily yet equal and unstructurable either way; request bodies leave out
what was not set."""

from __future__ import annotations

import copy
from typing import Any

import attrs
import orjson
import pytest

from lambda_cloud import (
    GeneratedSSHKey,
    ImageSpecificationFamily,
    ImageSpecificationID,
    Instance,
    InstanceActionAvailability,
    InstanceActionUnavailableCode,
    InstanceStatus,
    InstanceTypesItem,
    OpenEnum,
    RequestedFilesystemMountEntry,
    SSHKey,
    TagEntry,
)
from lambda_cloud._converter import _constructor, converter, structure, unstructure
from lambda_cloud.resources._launch_request import build_launch_request

ACTIONS: dict[str, Any] = {
    "migrate": {"available": False, "reason_code": "vm-is-too-old", "reason_description": "old"},
    "rebuild": {"available": True},
    "restart": {"available": True},
    "cold_reboot": {"available": False, "reason_code": "vm-went-to-lunch"},
    "terminate": {"available": True},
}

INSTANCE_TYPE: dict[str, Any] = {
    "name": "gpu_8x_h100_sxm5",
    "description": "8x H100 (80 GB SXM5)",
    "gpu_description": "H100 (80 GB SXM5)",
    "price_cents_per_hour": 2392,
    "specs": {"vcpus": 208, "memory_gib": 1800, "storage_gib": 24780, "gpus": 8},
}

# A booting instance: required fields only (no ip, hostname, jupyter, mounts, tags, rulesets).
BOOTING: dict[str, Any] = {
    "id": "0920582c7ff041399e34823a0be62549",
    "status": "booting",
    "ssh_key_names": ["my-key"],
    "file_system_names": [],
    "region": {"name": "us-south-3", "description": "Central Texas, USA"},
    "instance_type": INSTANCE_TYPE,
    "actions": ACTIONS,
}

# The full 1.10.0 shape, plus fields this SDK does not know.
ACTIVE: dict[str, Any] = {
    **BOOTING,
    "status": "active",
    "name": "trainer",
    "ip": "198.51.100.2",
    "private_ip": "10.0.2.100",
    "hostname": "10-0-8-196",
    "jupyter_token": "53968f128c4a4489b688c2c0a181d083",
    "jupyter_url": "https://jupyter-3ac4c5c6-9026.lambdaspaces.com/?token=53968f",
    "file_system_names": ["shared"],
    "file_system_mounts": [{"mount_point": "/lambda/nfs/shared", "file_system_id": "fs1"}],
    "tags": [{"key": "team", "value": "ml"}],
    "firewall_rulesets": [{"id": "rs1"}],
    "instance_type": {**INSTANCE_TYPE, "architecture": "x86_64", "new_spec_field": 1},
    "image": {"id": "img"},
    "some_future_field": {"nested": [1, 2, 3]},
}


def test_unknown_fields_are_ignored_and_known_ones_kept() -> None:
    instance = structure(ACTIVE, Instance)
    assert instance.name == "trainer"
    assert instance.ip == "198.51.100.2"
    assert instance.private_ip == "10.0.2.100"
    assert instance.hostname == "10-0-8-196"
    assert instance.jupyter_url is not None
    assert instance.file_system_names == ["shared"]
    assert instance.file_system_mounts is not None
    assert instance.file_system_mounts[0].mount_point == "/lambda/nfs/shared"
    assert instance.tags == [TagEntry(key="team", value="ml")]
    assert instance.tag("team") == "ml"
    assert instance.tag("nope") is None
    assert instance.firewall_rulesets is not None
    assert instance.firewall_rulesets[0].id == "rs1"
    assert instance.instance_type.architecture == "x86_64"
    assert instance.instance_type.specs.gpus == 8
    assert instance.region.name == "us-south-3"
    assert not hasattr(instance, "some_future_field")


def test_absent_optionals_are_none() -> None:
    instance = structure(BOOTING, Instance)
    assert instance.status is InstanceStatus.BOOTING
    for field in (
        "name",
        "ip",
        "private_ip",
        "hostname",
        "jupyter_token",
        "jupyter_url",
        "file_system_mounts",
        "tags",
        "firewall_rulesets",
    ):
        assert getattr(instance, field) is None, field
    assert instance.instance_type.architecture is None
    assert instance.tag("team") is None


def test_unknown_status_is_kept() -> None:
    instance = structure({**BOOTING, "status": "hibernating"}, Instance)
    assert instance.status == "hibernating"
    assert instance.status.value == "hibernating"
    assert isinstance(instance.status, InstanceStatus)
    assert not instance.status.is_known
    assert str(instance.status) == "hibernating"


def test_actions_are_structured_lazily_and_keep_unknown_codes() -> None:
    instance = structure(ACTIVE, Instance)
    actions = instance.actions
    assert isinstance(actions, InstanceActionAvailability)
    assert instance.actions is actions  # structured once
    assert actions.migrate.reason_code is InstanceActionUnavailableCode.VM_IS_TOO_OLD
    assert actions.cold_reboot.available is False
    assert actions.cold_reboot.reason_code == "vm-went-to-lunch"
    assert actions.cold_reboot.reason_code is not None
    assert not actions.cold_reboot.reason_code.is_known
    assert actions.rebuild.reason_code is None


def test_lazy_and_structured_actions_compare_equal() -> None:
    untouched = structure(ACTIVE, Instance)
    touched = structure(ACTIVE, Instance)
    assert isinstance(touched.actions, InstanceActionAvailability)
    assert untouched == touched
    assert touched == untouched
    other = structure({**ACTIVE, "actions": {**ACTIONS, "rebuild": {"available": False}}}, Instance)
    assert other != untouched
    assert other != touched


@pytest.mark.parametrize("read_actions_first", [False, True])
def test_instances_unstructure_and_round_trip(read_actions_first: bool) -> None:
    instance = structure(ACTIVE, Instance)
    if read_actions_first:
        assert instance.actions.restart.available
    data = converter.unstructure(instance)
    assert data["actions"]["migrate"]["reason_code"] == "vm-is-too-old"
    assert "_actions" not in data
    assert data["status"] == "active"
    again = structure(orjson.loads(orjson.dumps(data)), Instance)  # through real JSON
    assert again == instance
    assert again.actions == instance.actions


def test_structuring_does_not_change_the_input() -> None:
    data = copy.deepcopy(ACTIVE)
    instance = structure(data, Instance)
    assert instance.actions.rebuild.available
    assert data == ACTIVE


def test_secrets_stay_out_of_reprs() -> None:
    instance = structure(ACTIVE, Instance)
    assert ACTIVE["jupyter_token"] not in repr(instance)
    key = structure(
        {"id": "k", "name": "n", "public_key": "ssh-ed25519 AAAA", "private_key": "PRIVATE"},
        GeneratedSSHKey,
    )
    assert isinstance(key, SSHKey)
    assert key.private_key == "PRIVATE"
    assert "PRIVATE" not in repr(key)


def test_instance_types_are_a_dict_keyed_by_name() -> None:
    data = {
        "gpu_8x_h100_sxm5": {
            "instance_type": INSTANCE_TYPE,
            "regions_with_capacity_available": [
                {"name": "us-south-3", "description": "Central Texas, USA"},
                {"name": "us-east-3", "description": "Georgia, USA"},
            ],
        },
        "gpu_8x_b200_sxm6": {
            "instance_type": {**INSTANCE_TYPE, "name": "gpu_8x_b200_sxm6"},
            "regions_with_capacity_available": [],
        },
    }
    types = structure(data, dict[str, InstanceTypesItem])
    assert set(types) == {"gpu_8x_h100_sxm5", "gpu_8x_b200_sxm6"}
    assert types["gpu_8x_h100_sxm5"].region_names == ["us-south-3", "us-east-3"]
    assert types["gpu_8x_h100_sxm5"].instance_type.price_cents_per_hour == 2392
    assert types["gpu_8x_b200_sxm6"].region_names == []


# -- OpenEnum ----------------------------------------------------------------------------------


def test_open_enum_known_values_are_the_members() -> None:
    assert InstanceStatus("active") is InstanceStatus.ACTIVE
    assert InstanceStatus.ACTIVE == "active"
    assert InstanceStatus.ACTIVE.is_known
    assert str(InstanceStatus.TERMINATED) == "terminated"
    assert {s.value for s in InstanceStatus} == {
        "booting",
        "active",
        "unhealthy",
        "terminating",
        "terminated",
        "preempted",
    }


@pytest.mark.parametrize("enum", [InstanceStatus, InstanceActionUnavailableCode])
def test_open_enum_keeps_unknown_values(enum: type[OpenEnum]) -> None:
    value = enum("brand-new-value")
    assert isinstance(value, enum)
    assert value == "brand-new-value"
    assert value.value == "brand-new-value"
    assert value.name == "BRAND_NEW_VALUE"
    assert not value.is_known
    assert str(value) == "brand-new-value"
    assert {value: 1}["brand-new-value"] == 1  # hashes like its string
    assert "brand-new-value" not in {m.value for m in enum}  # the class is not extended


def test_open_enum_refuses_non_strings() -> None:
    with pytest.raises(ValueError):
        InstanceStatus(5)


# -- request bodies ----------------------------------------------------------------------------


def test_launch_body_leaves_out_what_was_not_set() -> None:
    request = build_launch_request(
        region_name="us-west-1", instance_type_name="gpu_1x_a10", ssh_key_names=["k"]
    )
    assert unstructure(request) == {
        "region_name": "us-west-1",
        "instance_type_name": "gpu_1x_a10",
        "ssh_key_names": ["k"],
    }


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (ImageSpecificationID(id="img-1"), {"id": "img-1"}),
        (ImageSpecificationFamily(family="lambda-stack-24-04"), {"family": "lambda-stack-24-04"}),
    ],
)
def test_launch_body_with_every_option(image: Any, expected: dict[str, str]) -> None:
    request = build_launch_request(
        region_name="us-west-1",
        instance_type_name="gpu_1x_a10",
        ssh_key_names=["k"],
        file_system_names=["shared"],
        file_system_mounts=[
            RequestedFilesystemMountEntry(mount_point="/data/x", file_system_id="f")
        ],
        hostname="trainer-1",
        name="",
        image=image,
        user_data="#cloud-config\n",
        tags={"team": "ml"},
        firewall_rulesets=["rs-1"],
    )
    assert unstructure(request) == {
        "region_name": "us-west-1",
        "instance_type_name": "gpu_1x_a10",
        "ssh_key_names": ["k"],
        "file_system_names": ["shared"],
        "file_system_mounts": [{"mount_point": "/data/x", "file_system_id": "f"}],
        "hostname": "trainer-1",
        "name": "",  # an empty name is sent: it is not the same as no name
        "image": expected,
        "user_data": "#cloud-config\n",
        "tags": [{"key": "team", "value": "ml"}],
        "firewall_rulesets": [{"id": "rs-1"}],
    }
    assert "#cloud-config" not in repr(request)


def _sixteen_fields(**decorate: Any) -> type:
    """A 16-field model: more keywords than a call passes without a dict."""
    namespace = {f"f{i}": attrs.field() for i in range(16)}
    cls = attrs.make_class("Wide", namespace, kw_only=True, **decorate)
    return cls


@pytest.mark.parametrize(
    ("decorate", "bare"),
    [({}, True), ({"frozen": True}, False), ({"init": False}, False)],
    ids=["plain", "frozen", "hand-written-init"],
)
def test_wide_models_skip_init_only_when_it_just_stores(
    decorate: dict[str, Any], bare: bool
) -> None:
    cls = _sixteen_fields(**decorate)
    source = _constructor(cls, {f"f{i}": f"o['f{i}']" for i in range(16)})
    assert ("__cl.__new__(__cl)" in source) is bare
    if bare:  # the slots it sets are the whole object, as __init__ would build it
        namespace: dict[str, Any] = {"__cl": cls}
        exec(source, namespace)
        data = {f"f{i}": i for i in range(16)}
        assert namespace["structure"](data, cls) == cls(**data)


def test_a_validated_wide_model_is_built_through_init() -> None:
    namespace = {f"f{i}": attrs.field() for i in range(15)}
    namespace["f15"] = attrs.field(validator=attrs.validators.instance_of(int))
    cls = attrs.make_class("Checked", namespace, kw_only=True)
    assert "__cl(" in _constructor(cls, {f"f{i}": "1" for i in range(16)})
