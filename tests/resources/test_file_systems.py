"""``client.file_systems`` (``GET /file-systems``, ``POST``/``DELETE /filesystems``), and file
systems at launch."""

from __future__ import annotations

import datetime

import pytest

from lambda_cloud import (
    DuplicateError,
    Filesystem,
    FileSystemInUseError,
    FileSystemInWrongRegionError,
    InternalServerError,
    InvalidParametersError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    Region,
    RequestedFilesystemMountEntry,
    UserStatus,
    ValidationError,
)
from lambda_cloud.emulator import Emulator, Fault, ManualClock

from .conftest import Api, launch, terminate


async def test_create_list_delete(api: Api) -> None:
    fs = await api(lambda c: c.file_systems.create("datasets", "us-west-1"))
    assert isinstance(fs, Filesystem)
    assert (fs.name, fs.region) == (
        "datasets",
        Region(name="us-west-1", description="California, USA"),
    )
    assert fs.created.tzinfo is not None
    assert abs(fs.created - datetime.datetime.now(datetime.timezone.utc)) < datetime.timedelta(
        minutes=5
    )
    assert fs.created_by.status is UserStatus.ACTIVE
    assert fs.mount_point == "/lambda/nfs/datasets"
    assert fs.is_in_use is False
    assert isinstance(fs.bytes_used, int)
    assert await api(lambda c: c.file_systems.list()) == [fs]
    assert await api(lambda c: c.file_systems.delete(fs.id)) == [fs.id]
    assert await api(lambda c: c.file_systems.list()) == []


async def test_create_errors(api: Api, emu: Emulator) -> None:
    await api(lambda c: c.file_systems.create("taken", "us-west-1"))
    with pytest.raises(DuplicateError):
        await api(lambda c: c.file_systems.create("taken", "us-east-1"))
    with pytest.raises(InvalidParametersError):
        await api(lambda c: c.file_systems.create("elsewhere", "mars-north-1"))
    emu.account().file_system_quota = 1
    with pytest.raises(QuotaExceededError):
        await api(lambda c: c.file_systems.create("second", "us-west-1"))
    emu.account().billing_address_valid = False
    with pytest.raises(PermissionDeniedError) as caught:
        await api(lambda c: c.file_systems.create("third", "us-west-1"))
    assert caught.value.code == "global/invalid-address"


async def test_delete_unknown(api: Api) -> None:
    with pytest.raises(NotFoundError) as caught:
        await api(lambda c: c.file_systems.delete("0" * 32))
    assert caught.value.code == "global/object-does-not-exist"


async def test_in_use_until_its_instance_is_terminated(api: Api, clock: ManualClock) -> None:
    fs = await api(lambda c: c.file_systems.create("shared", "us-west-1"))
    instance_id = await launch(api, file_system_names=["shared"])
    [listed] = await api(lambda c: c.file_systems.list())
    assert listed.is_in_use
    with pytest.raises(FileSystemInUseError) as caught:
        await api(lambda c: c.file_systems.delete(fs.id))
    assert caught.value.code == "filesystems/filesystem-in-use"
    await terminate(api, clock, instance_id)
    assert await api(lambda c: c.file_systems.delete(fs.id)) == [fs.id]


async def test_launch_with_mounts_and_wrong_region(api: Api) -> None:
    fs = await api(lambda c: c.file_systems.create("data", "us-west-1"))
    mount = RequestedFilesystemMountEntry(mount_point="/data/train", file_system_id=fs.id)
    instance_id = await launch(api, file_system_mounts=[mount])
    instance = await api(lambda c: c.instances.get(instance_id))
    assert instance.file_system_names == ["data"]
    assert [(m.mount_point, m.file_system_id) for m in instance.file_system_mounts] == [
        ("/data/train", fs.id)
    ]
    with pytest.raises(FileSystemInWrongRegionError) as caught:
        await launch(api, region="us-east-1", file_system_names=["data"])
    assert caught.value.code == "instance-operations/launch/file-system-in-wrong-region"


async def test_create_is_not_retried_but_list_and_delete_are(api: Api, emu: Emulator) -> None:
    emu.faults.add(Fault(kind="status", status=503, method="POST", times=1))
    with pytest.raises(InternalServerError):
        await api(lambda c: c.file_systems.create("once", "us-west-1"))
    fs = await api(lambda c: c.file_systems.create("once", "us-west-1"))
    emu.faults.add(Fault(kind="status", status=503, times=1))
    assert await api(lambda c: c.file_systems.list()) == [fs]
    emu.faults.add(Fault(kind="status", status=503, times=1))
    assert await api(lambda c: c.file_systems.delete(fs.id)) == [fs.id]


@pytest.mark.parametrize(
    ("name", "region", "field"),
    [
        ("", "us-west-1", "name"),
        ("a" * 61, "us-west-1", "name"),
        ("1st", "us-west-1", "name"),
        ("-dash", "us-west-1", "name"),
        ("under_score", "us-west-1", "name"),
        ("ok", "", "region"),
        ("ok", None, "region"),
    ],
)
@pytest.mark.usefixtures("unsent")
async def test_create_validation(api: Api, name: str, region: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await api(lambda c: c.file_systems.create(name, region))
    assert caught.value.field == field


async def test_longest_allowed_name(api: Api) -> None:
    name = "a" + "-9" * 29 + "z"
    fs = await api(lambda c: c.file_systems.create(name, "us-west-1"))
    assert (len(fs.name), fs.name) == (60, name)
