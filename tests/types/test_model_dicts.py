"""``to_dict`` / ``to_json`` / ``from_dict`` on every model, and reprs of public fields only."""

from __future__ import annotations

import datetime
import importlib
import inspect
import pickle
import pkgutil
import subprocess
import sys

import aiohttp
import attrs
import orjson
import pytest

import lambda_cloud.types as types_module
from lambda_cloud import (
    AsyncLambdaCloud,
    Filesystem,
    Instance,
    InstanceStatus,
    LaunchInstanceRequest,
    RequestedTagEntry,
    TagEntry,
    ValidationError,
)
from lambda_cloud.emulator import Emulator
from lambda_cloud.types._base import Model

MODELS = [
    cls
    for _, cls in inspect.getmembers(types_module, inspect.isclass)
    if attrs.has(cls) and cls.__module__.startswith("lambda_cloud.types")
]


def without_nulls(data: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in data.items() if v is not None}


async def raw_get(emu: Emulator, path: str) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(emu.base_url + path, headers=headers) as response,
    ):
        body = await response.json()
    data: dict[str, object] = body["data"]
    return data


def test_every_model_converts_both_ways() -> None:
    assert len(MODELS) > 20
    for cls in MODELS:
        assert issubclass(cls, Model), cls
        assert callable(cls.to_dict) and callable(cls.to_json) and callable(cls.from_dict)


@pytest.fixture
async def instance_id(client: AsyncLambdaCloud, ssh_key: str) -> str:
    [instance_id] = await client.instances.launch(
        region_name="us-west-1",
        instance_type_name="gpu_1x_a10",
        ssh_key_names=[ssh_key],
        name="trainer",
        tags={"team": "ml"},
    )
    return instance_id


async def test_to_dict_is_the_api_wire_shape(
    client: AsyncLambdaCloud, emu: Emulator, instance_id: str
) -> None:
    instance = await client.instances.get(instance_id)
    wire = await raw_get(emu, f"/instances/{instance_id}")
    data = instance.to_dict()
    assert data == without_nulls(wire)
    assert not any(key.startswith("_") for key in data)
    assert orjson.loads(instance.to_json()) == data
    assert orjson.loads(instance.to_json(indent=True)) == data


async def test_from_dict_round_trips(client: AsyncLambdaCloud, instance_id: str) -> None:
    instance = await client.instances.get(instance_id)
    again = Instance.from_dict(instance.to_dict())
    assert again == instance
    assert again.status is InstanceStatus.BOOTING
    assert again.tags == [
        TagEntry(key="team", value="ml"),
        TagEntry(key="lambda-cloud-owner", value=client.owner),
    ]
    assert again.instance_type.name == "gpu_1x_a10"


async def test_datetimes_go_out_as_iso_strings(client: AsyncLambdaCloud) -> None:
    fs = await client.file_systems.create("data", region="us-west-1")
    data = fs.to_dict()
    assert isinstance(data["created"], str)
    assert Filesystem.from_dict(data).created == fs.created
    assert isinstance(fs.created, datetime.datetime)


def test_a_request_model_leaves_unset_fields_out() -> None:
    request = LaunchInstanceRequest(
        region_name="r",
        instance_type_name="t",
        ssh_key_names=["k"],
        tags=[RequestedTagEntry(key="a", value="b")],
    )
    assert request.to_dict() == {
        "region_name": "r",
        "instance_type_name": "t",
        "ssh_key_names": ["k"],
        "tags": [{"key": "a", "value": "b"}],
    }


@pytest.mark.parametrize("data", [{"id": "i-1"}, {"id": 5, "status": None}, ["not", "a", "dict"]])
def test_from_dict_with_data_that_does_not_fit(data: object) -> None:
    with pytest.raises(ValidationError) as info:
        Instance.from_dict(data)  # type: ignore[arg-type]
    assert info.value.field == "Instance"


async def test_repr_shows_public_fields_only(client: AsyncLambdaCloud, instance_id: str) -> None:
    instance = await client.instances.get(instance_id)
    text = repr(instance)
    assert text.startswith(f"Instance(id='{instance_id}', status=<InstanceStatus.BOOTING")
    assert "instance_type=InstanceType(" in text
    assert "actions=InstanceActionAvailability(" in text
    assert "tags=[TagEntry(key='team', value='ml'), TagEntry(key='lambda-cloud-owner'" in text
    assert "_instance_type" not in text and "_actions" not in text
    assert "RawJSON" not in text
    assert "jupyter_token" not in text  # a secret stays out, as before


def test_every_model_shows_itself_by_the_models_repr() -> None:
    # One repr for every model: public fields in declaration order, repr=False fields hidden.
    # An attrs-generated one per class would say the same, and cost start-up time to build.
    models = [
        cls
        for info in pkgutil.iter_modules(types_module.__path__, "lambda_cloud.types.")
        for cls in vars(importlib.import_module(info.name)).values()
        if isinstance(cls, type) and issubclass(cls, Model) and attrs.has(cls)
    ]
    assert [cls for cls in models if cls.__repr__ is not Model.__repr__] == []
    assert len(set(models)) >= len(MODELS) > 30


_FRESH = {
    "from-dict": """
import lambda_cloud
region = lambda_cloud.Region.from_dict({"name": "x", "description": "y"})
assert region.to_dict() == {"name": "x", "description": "y"}
""",
    "bad-from-dict": """
from lambda_cloud import ValidationError
from lambda_cloud.types.images import Image
try:
    Image.from_dict({})
except ValidationError:
    pass
else:
    raise SystemExit("no ValidationError")
""",
    "unpickled-lazy-fields": """
import pickle, sys
instance = pickle.loads(bytes.fromhex(sys.argv[1]))
assert instance.tags[0].key == "k" and instance.region.name == "us-west-1"
""",
}


@pytest.mark.parametrize("name", sorted(_FRESH))
def test_models_work_in_a_fresh_interpreter(name: str) -> None:
    """A model used before anything has loaded the converter still converts (each snippet runs
    in a fresh interpreter)."""
    instance = types_module.Instance.from_dict(
        {
            "id": "i1",
            "status": "active",
            "ssh_key_names": ["k"],
            "file_system_names": [],
            "region": {"name": "us-west-1", "description": "California"},
            "instance_type": {
                "name": "gpu_1x_a10",
                "description": "1x A10",
                "gpu_description": "A10",
                "price_cents_per_hour": 75,
                "specs": {"vcpus": 30, "memory_gib": 200, "storage_gib": 1400, "gpus": 1},
            },
            "hostname": "h",
            "is_reserved": False,
            "actions": {},
            "tags": [{"key": "k", "value": "v"}],
        }
    )
    payload = pickle.dumps(instance).hex()
    subprocess.run([sys.executable, "-c", _FRESH[name], payload], check=True)
