"""The spend ceiling across processes: with a shared store, guarded calls of every process
using the key reserve from one set of books in Redis, so together they never pass it; a
crashed process's hold expires; a store that is down leaves each process its own books."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    RateLimits,
    SharedState,
    SharedStateError,
    SpendLimitExceededError,
)
from lambda_cloud._budget import LiveCost, Reservation
from lambda_cloud.emulator import Emulator
from lambda_cloud.shared.budget import SharedBudget, SharedReservation
from lambda_cloud.shared.store import Account, Store
from tests.sharing import run_processes

T = "gpu_1x_a10"


async def test_processes_together_never_pass_the_ceiling(redis_url: str) -> None:
    # Two processes launch eight 75-cent instances each under a ceiling of 600 at once: one
    # set of books, so one of them is refused (each alone would fit, and launch).
    async with Emulator(time_scale=0.001) as emu:
        async with AsyncLambdaCloud(
            api_key=emu.api_key, base_url=emu.base_url, rate_limits=None
        ) as client:
            await client.ssh_keys.create("k")
        reports = await run_processes(
            emu, 2, 8, extra=(redis_url, "600"), module="tests.shared.budget_child"
        )
        launched = len(emu.instances())
    assert sorted(report["launched"] for report in reports) == [0, 8]
    assert sorted(str(report["raised"]) for report in reports) == [
        "None",
        "SpendLimitExceededError",
    ]
    assert launched == 8


def books(url: str, **options: Any) -> SharedBudget:
    """One process's view of the shared books."""
    return SharedBudget(Account(Store(SharedState(url=url, **options)), "acct"))


def listing(*costs: LiveCost) -> Any:
    async def live() -> Iterable[LiveCost]:
        return costs

    return live


async def reserve(budget: SharedBudget, count: int, price: int = 100, **kw: Any) -> Reservation:
    return await budget.reserve(
        ceiling=600, count=count, instance_type_name=T, price=price, live=listing(), **kw
    )


async def test_a_reservation_released_while_another_opens_still_counts(redis_url: str) -> None:
    mine, theirs = books(redis_url), books(redis_url)
    run = frozenset(f"run/{i}" for i in range(4))
    first = await reserve(theirs, 4, tokens=run)
    assert isinstance(first, SharedReservation)

    async def listed_as_the_first_ends() -> Iterable[LiveCost]:
        await first.release()
        return [("run/0", 100), (None, 50)]

    with pytest.raises(SpendLimitExceededError) as caught:
        await mine.reserve(
            ceiling=600, count=2, instance_type_name=T, price=100, live=listed_as_the_first_ends
        )
    assert caught.value.committed_cents == 450  # 400 held by the first, 50 running besides


async def test_draws_count_every_process_s_holds(redis_url: str) -> None:
    mine, theirs = books(redis_url), books(redis_url)
    held = await reserve(theirs, 2)  # 200
    reservation = await reserve(mine, 3)  # 300: 500 of 600
    assert isinstance(reservation, SharedReservation)
    await reservation.draw(0, T, 100)
    await reservation.draw(1, T, 150)  # risen: 200 + 100 + 150 + 100 undrawn = 550
    with pytest.raises(SpendLimitExceededError) as caught:
        await reservation.draw(2, T, 160)  # 200 + 250 + 160 = 610
    assert caught.value.committed_cents == 450
    await held.release()  # its hold now counts as running, until measured again
    with pytest.raises(SpendLimitExceededError):
        await reservation.draw(2, T, 160)
    await reservation.release()


async def test_a_crashed_process_s_hold_expires(redis_url: str) -> None:
    crashed, other = books(redis_url, lease_ttl=0.2), books(redis_url, lease_ttl=0.2)
    held = await reserve(crashed, 6)  # all 600
    assert isinstance(held, SharedReservation) and held._renewing is not None
    held._renewing.cancel()  # nobody renews it: as if its process was killed
    with pytest.raises(SpendLimitExceededError):
        await reserve(other, 1)
    for _ in range(200):  # it expires 0.2 s after it was opened
        try:
            reservation = await reserve(other, 1)
        except SpendLimitExceededError:
            await asyncio.sleep(0.01)
        else:
            break
    else:
        pytest.fail("the crashed process's hold never expired")
    await reservation.release()


async def test_without_the_store_each_process_keeps_its_own_books(closed_url: str) -> None:
    url = closed_url.replace("http://", "redis://").removesuffix("/api/v1")
    budget = books(url)
    first = await reserve(budget, 4)
    assert not isinstance(first, SharedReservation)
    with pytest.raises(SpendLimitExceededError):  # this process's books still hold
        await reserve(budget, 3)
    strict = books(url, strict=True)
    with pytest.raises(SharedStateError):
        await reserve(strict, 1)


async def test_a_rerun_counts_its_own_instances_once(redis_url: str) -> None:
    async with Emulator(time_scale=0.001) as emu:
        limits = RateLimits(shared=redis_url).scaled(0.001)
        async with AsyncLambdaCloud(
            api_key=emu.api_key,
            base_url=emu.base_url,
            rate_limits=limits,
            max_hourly_cost_cents=300,
        ) as client:
            assert isinstance(client._api.budget, SharedBudget)
            await client.ssh_keys.create("k")
            for _ in range(2):  # the rerun adopts the four it launched: they fit again
                report = await client.instances.launch_many(
                    4, instance_type_name=T, ssh_key_names=["k"], run_id="again"
                )
                report.raise_for_errors()
            with pytest.raises(SpendLimitExceededError):  # 300 running: not one more
                await client.instances.launch_many(1, instance_type_name=T, ssh_key_names=["k"])
        assert len(emu.instances()) == 4
