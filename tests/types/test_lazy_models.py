"""Lazy instance fields: JSON kept once until read, and every way out of a model still works
when nothing was read (copy, pickle, evolve, equality, to_dict), plus the lazy sync facade."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys

import attrs
import pytest

from lambda_cloud import Instance, InstanceStatus, Region, ValidationError
from lambda_cloud._converter import structure
from lambda_cloud.types._base import UNREAD

from .test_converter import ACTIVE


def test_nested_fields_stay_unread_until_first_read() -> None:
    instance = structure(ACTIVE, Instance)
    assert instance._region is UNREAD and instance._tags is UNREAD
    assert instance.region == Region(**ACTIVE["region"])
    assert instance.region is instance.region  # built once
    assert instance._tags is UNREAD  # reading one field builds only that one


def test_unread_instance_survives_copy_pickle_and_evolve() -> None:
    instance = structure(ACTIVE, Instance)
    read = structure(ACTIVE, Instance)
    read.to_dict()  # builds every lazy field
    for other in (
        copy.copy(instance),
        copy.deepcopy(instance),
        pickle.loads(pickle.dumps(instance)),
        attrs.evolve(instance, name=instance.name),
    ):
        assert other == read
        assert other.to_dict() == read.to_dict()
    renamed = attrs.evolve(instance, name="other")
    assert renamed.name == "other" and renamed != read
    assert renamed.instance_type == read.instance_type


def test_hand_built_instance_needs_no_raw_json() -> None:
    parsed = structure(ACTIVE, Instance)
    built = Instance(
        id=parsed.id,
        status=InstanceStatus.ACTIVE,
        ssh_key_names=parsed.ssh_key_names,
        file_system_names=parsed.file_system_names,
        region=parsed.region,
        instance_type=parsed.instance_type,
        actions=parsed.actions,
        name=parsed.name,
        ip=parsed.ip,
        private_ip=parsed.private_ip,
        hostname=parsed.hostname,
        jupyter_token=parsed.jupyter_token,
        jupyter_url=parsed.jupyter_url,
        file_system_mounts=parsed.file_system_mounts,
        tags=parsed.tags,
        firewall_rulesets=parsed.firewall_rulesets,
    )
    assert built == structure(ACTIVE, Instance)
    assert built.to_dict() == parsed.to_dict()
    assert "_raw" not in built.to_dict()


def test_missing_required_nested_field_fails_at_parse_time() -> None:
    data = {key: value for key, value in ACTIVE.items() if key != "region"}
    with pytest.raises(ValidationError, match="region"):
        Instance.from_dict(data)


def test_import_leaves_the_sync_facade_unloaded() -> None:
    code = (
        "import sys, lambda_cloud\n"
        "assert 'lambda_cloud._sync' not in sys.modules\n"
        "from lambda_cloud import LambdaCloud\n"
        "assert LambdaCloud.__module__.startswith('lambda_cloud._sync')\n"
        "assert 'LambdaCloud' in dir(lambda_cloud)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
