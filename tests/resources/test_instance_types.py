"""``client.instance_types.find``: filter and sort the instance types, from one list call."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_cloud import InstanceTypesItem, ValidationError
from lambda_cloud.emulator import Emulator, Fault

from .conftest import Api


def names(items: list[InstanceTypesItem]) -> list[str]:
    return [item.instance_type.name for item in items]


async def test_default_is_every_available_type_cheapest_per_gpu_first(api: Api) -> None:
    found = await api(lambda c: c.instance_types.find())
    # Sold out everywhere by default, so absent: gpu_8x_b200_sxm6.
    assert names(found) == [
        "gpu_1x_a10",  # 75 per GPU
        "gpu_1x_a6000",  # 80
        "gpu_1x_a100_sxm4",  # 129
        "gpu_1x_gh200",  # 149
        "gpu_8x_a100_80gb_sxm4",  # 1432 / 8 = 179
        "gpu_1x_h100_pcie",  # 249
        "gpu_8x_h100_sxm5",  # 2392 / 8 = 299
    ]
    every = await api(lambda c: c.instance_types.find(available_only=False))
    assert names(every)[-1] == "gpu_8x_b200_sxm6"  # 3992 / 8 = 499
    assert len(every) == len(await api(lambda c: c.instance_types.list()))


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"gpus": 8}, ["gpu_8x_a100_80gb_sxm4", "gpu_8x_h100_sxm5"]),
        (
            {"min_gpus": 2, "available_only": False},
            ["gpu_8x_a100_80gb_sxm4", "gpu_8x_h100_sxm5", "gpu_8x_b200_sxm6"],
        ),
        ({"gpu_name": "h100"}, ["gpu_1x_h100_pcie", "gpu_8x_h100_sxm5"]),
        ({"gpu_name": "A100 (80"}, ["gpu_8x_a100_80gb_sxm4"]),
        ({"max_price_cents_per_hour": 80}, ["gpu_1x_a10", "gpu_1x_a6000"]),
        ({"gpu_name": "a100", "max_price_cents_per_hour": 129}, ["gpu_1x_a100_sxm4"]),
        ({"regions": ["us-east-3"]}, ["gpu_1x_gh200", "gpu_8x_h100_sxm5"]),
        ({"gpus": 3}, []),
    ],
)
async def test_filters(api: Api, criteria: dict[str, Any], expected: list[str]) -> None:
    assert names(await api(lambda c: c.instance_types.find(**criteria))) == expected


async def test_regions_narrow_where_capacity_counts(api: Api, emu: Emulator) -> None:
    emu.set_capacity("gpu_1x_a10", "us-east-1", 0)
    [a10] = await api(
        lambda c: c.instance_types.find(gpu_name="a10 ", regions=["us-east-1", "us-west-1"])
    )
    assert a10.region_names == ["us-west-1"]
    kept = await api(
        lambda c: c.instance_types.find(
            gpu_name="b200", regions=["us-east-1"], available_only=False
        )
    )
    assert names(kept) == ["gpu_8x_b200_sxm6"] and kept[0].region_names == []
    assert await api(lambda c: c.instance_types.find(gpu_name="b200", regions=["us-east-1"])) == []


async def test_one_request_whatever_the_filters(api: Api, emu: Emulator) -> None:
    counter = emu.faults.add(Fault(kind="delay", delay=0))  # counts every request it sees
    await api(lambda c: c.instance_types.find(min_gpus=1, gpu_name="a", regions=["us-west-1"]))
    assert counter.fired == 1


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        ({"gpus": 1, "min_gpus": 1}, "gpus"),
        ({"gpus": -1}, "gpus"),
        ({"gpus": True}, "gpus"),
        ({"min_gpus": 1.5}, "min_gpus"),
        ({"gpu_name": ""}, "gpu_name"),
        ({"gpu_name": 100}, "gpu_name"),
        ({"max_price_cents_per_hour": 0}, "max_price_cents_per_hour"),
        ({"regions": "us-west-1"}, "regions"),
        ({"regions": []}, "regions"),
        ({"regions": ["us-west-1", ""]}, "regions[1]"),
        ({"available_only": "yes"}, "available_only"),
    ],
)
async def test_bad_criteria_send_nothing(
    api: Api, unsent: None, criteria: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await api(lambda c: c.instance_types.find(**criteria))
    assert caught.value.field == field
