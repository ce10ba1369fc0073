"""The spend guard (``max_hourly_cost_cents`` per call and client-wide) and
``instances.hourly_cost_cents``."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    InvalidPriceError,
    SpendLimitExceededError,
    ValidationError,
)
from lambda_cloud.emulator import Emulator, ManualClock

from .conftest import NO_WAIT_RETRIES, Api, launch, ssh_key, terminate

A10, H100_8X = "gpu_1x_a10", "gpu_8x_h100_sxm5"  # 75 and 2392 cents per hour


async def test_a_launch_over_the_ceiling_is_refused_unsent(api: Api, emu: Emulator) -> None:
    key = await ssh_key(api)
    with pytest.raises(SpendLimitExceededError) as caught:
        await api(
            lambda c: c.instances.launch(
                region_name="us-south-3",
                instance_type_name=H100_8X,
                ssh_key_names=[key],
                max_hourly_cost_cents=2000,
            )
        )
    error = caught.value
    assert (error.count, error.instance_type_name) == (1, H100_8X)
    assert (error.hourly_cost_cents, error.max_hourly_cost_cents) == (2392, 2000)
    assert "2392" in str(error) and "2000" in str(error)
    assert emu.launch_attempts() == []
    # At or under the ceiling it goes through.
    await launch(api, max_hourly_cost_cents=75)
    assert len(emu.launch_attempts()) == 1


async def test_the_client_wide_ceiling_and_with_options(emu: Emulator) -> None:
    async with AsyncLambdaCloud(
        api_key=emu.api_key,
        base_url=emu.base_url,
        rate_limits=None,
        max_retries=NO_WAIT_RETRIES,
        max_hourly_cost_cents=100,
    ) as client:
        await client.ssh_keys.create("k")
        assert client.max_hourly_cost_cents == 100
        with pytest.raises(SpendLimitExceededError):
            await client.instances.launch_many(2, instance_type_name=A10, ssh_key_names=["k"])
        # The call's own ceiling overrides the client's.
        report = await client.instances.launch_many(
            2, instance_type_name=A10, ssh_key_names=["k"], max_hourly_cost_cents=150
        )
        assert report.ok
        assert client.with_options(timeout=5).max_hourly_cost_cents == 100
        assert client.with_options(max_hourly_cost_cents=None).max_hourly_cost_cents is None
        looser = client.with_options(max_hourly_cost_cents=10_000)
        await looser.instances.launch(
            region_name="us-west-1", instance_type_name=A10, ssh_key_names=["k"]
        )
    assert len([a for a in emu.launch_attempts() if a.outcome == "ok"]) == 3


async def test_launch_many_prices_the_dearest_type_for_every_slot(api: Api, emu: Emulator) -> None:
    key = await ssh_key(api)
    # 3 x 2392 = 7176 > 7000, though the preferred type would cost only 3 x 75.
    with pytest.raises(SpendLimitExceededError) as caught:
        await api(
            lambda c: c.instances.launch_many(
                3,
                instance_type_names=[A10, H100_8X],
                ssh_key_names=[key],
                max_hourly_cost_cents=7000,
            )
        )
    assert (caught.value.count, caught.value.instance_type_name) == (3, H100_8X)
    assert caught.value.hourly_cost_cents == 7176
    assert emu.launch_attempts() == []
    with pytest.raises(ValidationError, match="gpu_9x_nope"):
        await api(
            lambda c: c.instances.launch_many(
                3,
                instance_type_names=[A10, "gpu_9x_nope"],
                ssh_key_names=[key],
                max_hourly_cost_cents=7000,
            )
        )
    assert emu.launch_attempts() == []


@pytest.mark.parametrize("ceiling", [0, -5, 1.5, True, "100"])
async def test_a_bad_ceiling_is_a_validation_error(emu: Emulator, ceiling: object) -> None:
    with pytest.raises(ValidationError, match="max_hourly_cost_cents"):
        AsyncLambdaCloud(api_key=emu.api_key, base_url=emu.base_url, max_hourly_cost_cents=ceiling)  # type: ignore[arg-type]
    async with AsyncLambdaCloud(api_key=emu.api_key, base_url=emu.base_url) as client:
        with pytest.raises(ValidationError, match="max_hourly_cost_cents"):
            client.with_options(max_hourly_cost_cents=ceiling)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="max_hourly_cost_cents"):
            await client.instances.launch(
                region_name="us-west-1",
                instance_type_name=A10,
                ssh_key_names=["k"],
                max_hourly_cost_cents=ceiling,  # type: ignore[arg-type]
            )
    assert emu.launch_attempts() == []


async def test_hourly_cost_counts_live_instances(
    api: Api, emu: Emulator, clock: ManualClock
) -> None:
    assert await api(lambda c: c.instances.hourly_cost_cents()) == 0
    first = await launch(api)
    await launch(api, region="us-east-1")
    key = await ssh_key(api, "big")
    await api(
        lambda c: c.instances.launch(
            region_name="us-south-3", instance_type_name=H100_8X, ssh_key_names=[key]
        )
    )
    assert await api(lambda c: c.instances.hourly_cost_cents()) == 75 + 75 + 2392
    await terminate(api, clock, first)
    assert await api(lambda c: c.instances.hourly_cost_cents()) == 75 + 2392


@pytest.mark.parametrize("price", [-5, None, "75", 75.5, True], ids=repr)
async def test_a_price_that_is_not_one_is_refused(api: Api, emu: Emulator, price: object) -> None:
    """A negative price would pass any ceiling; a missing or non-numeric one cannot be added."""
    key = await ssh_key(api)
    emu.set_price(A10, price)

    def launch_a10(ceiling: int | None) -> Any:
        return lambda c: c.instances.launch(
            region_name="us-west-1",
            instance_type_name=A10,
            ssh_key_names=[key],
            max_hourly_cost_cents=ceiling,
        )

    with pytest.raises(InvalidPriceError) as caught:
        await api(launch_a10(10_000))
    assert (caught.value.instance_type_name, caught.value.price) == (A10, price)
    assert repr(price) in str(caught.value)
    with pytest.raises(InvalidPriceError):
        await api(
            lambda c: c.instances.launch_many(
                2,
                instance_type_names=[H100_8X, A10],
                ssh_key_names=[key],
                max_hourly_cost_cents=10_000,
            )
        )
    assert emu.launch_attempts() == []
    # Without a ceiling nothing is priced: the launch goes out.
    await api(launch_a10(None))
    assert len(emu.launch_attempts()) == 1


async def test_a_live_instance_with_a_bad_price_is_refused(api: Api, emu: Emulator) -> None:
    emu.set_price(A10, -5)
    await launch(api)  # unguarded; the instance keeps the price it was launched at
    emu.set_price(A10, 75)
    with pytest.raises(InvalidPriceError) as caught:
        await api(lambda c: c.instances.hourly_cost_cents())
    assert caught.value.price == -5
    with pytest.raises(InvalidPriceError):
        await launch(api, max_hourly_cost_cents=10_000)
    assert len(emu.launch_attempts()) == 1
