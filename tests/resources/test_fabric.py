"""``client.fabric_partitions``: create, rename, delete (refused while instances use it)."""

from __future__ import annotations

import pytest

from lambda_cloud import (
    BadRequestError,
    FabricPartition,
    InvalidParametersError,
    NotFoundError,
    Region,
    ValidationError,
)
from lambda_cloud.emulator import Emulator, ManualClock

from .conftest import Api, launch, terminate


async def test_create_rename_delete(api: Api, emu: Emulator) -> None:
    partition = await api(lambda c: c.fabric_partitions.create("training-one", "us-west-1"))
    assert type(partition) is FabricPartition
    assert (partition.name, partition.region) == (
        "training-one",
        Region(name="us-west-1", description="California, USA"),
    )
    assert partition.workspace_id == emu.account().id  # the default workspace
    renamed = await api(lambda c: c.fabric_partitions.update(partition.id, name="training-2"))
    assert (renamed.id, renamed.name, renamed.created) == (
        partition.id,
        "training-2",
        partition.created,
    )
    assert await api(lambda c: c.fabric_partitions.delete(partition.id)) is None
    with pytest.raises(NotFoundError):
        await api(lambda c: c.fabric_partitions.delete(partition.id))


async def test_a_partition_in_use_cannot_be_deleted(
    api: Api, emu: Emulator, clock: ManualClock
) -> None:
    partition = await api(lambda c: c.fabric_partitions.create("busy", "us-west-1"))
    instance_id = await launch(api)
    emu.assign_partition(instance_id, partition.id)
    with pytest.raises(InvalidParametersError) as caught:
        await api(lambda c: c.fabric_partitions.delete(partition.id))
    assert isinstance(caught.value, BadRequestError)
    await terminate(api, clock, instance_id)
    await api(lambda c: c.fabric_partitions.delete(partition.id))


async def test_server_side_refusals(api: Api) -> None:
    with pytest.raises(InvalidParametersError):
        await api(lambda c: c.fabric_partitions.create("p", "mars-north-1"))
    with pytest.raises(NotFoundError):
        await api(lambda c: c.fabric_partitions.create("p", "us-west-1", workspace_id="other"))
    with pytest.raises(NotFoundError):
        await api(lambda c: c.fabric_partitions.update("nope", name="p"))


@pytest.mark.usefixtures("unsent")
@pytest.mark.parametrize(
    ("name", "field"),
    [("", "name"), ("-lead", "name"), ("Upper", "name"), ("a" * 33, "name"), ("a b", "name")],
)
async def test_bad_names_are_refused_before_sending(api: Api, name: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await api(lambda c: c.fabric_partitions.create(name, "us-west-1"))
    assert caught.value.field == field
    with pytest.raises(ValidationError):
        await api(lambda c: c.fabric_partitions.update("id", name=name))
