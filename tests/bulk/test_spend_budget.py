"""The spend ceiling as a budget: what the account runs, what concurrent guarded calls hold, and
a hunt's launches at the price of its latest listing."""

from __future__ import annotations

import asyncio

import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    InvalidPriceError,
    SpendGuardError,
    SpendLimitExceededError,
)
from lambda_cloud.bulk import BulkLaunchReport, Hunt, ProgressEvent, ProgressKind
from lambda_cloud.emulator import Emulator

from .helpers import A10, KEY, LIMIT, POLL, SETTLE, check_launch_invariants, emulated

REGION = "us-west-1"  # has room for several A10s by default


def live_cost(emu: Emulator, api_key: str | None = None) -> int:
    """What the account's live instances cost per hour, as the emulator has them."""
    ended = ("terminating", "terminated", "preempted")
    instances = emu.instances(api_key)
    return sum(
        i["instance_type"]["price_cents_per_hour"] for i in instances if i["status"] not in ended
    )


@pytest.mark.parametrize("other", ["copy", "other account"])
async def test_concurrent_guarded_runs_never_together_pass_the_ceiling(
    emu: Emulator, client: AsyncLambdaCloud, other: str
) -> None:
    guarded = client.with_options(max_hourly_cost_cents=600)
    if other == "copy":  # a with_options copy on the same account shares the budget
        second = guarded.with_options(timeout=30)
        second_key = emu.api_key
    else:  # another account has books of its own
        second_key = emu.add_account()
        second = guarded.with_options(api_key=second_key)
        await second.ssh_keys.create(name=KEY)
    results = await asyncio.gather(
        *(
            c.instances.launch_many(
                8,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                poll_interval=POLL,
                settle_timeout=SETTLE,
            )
            for c in (guarded, second)
        ),
        return_exceptions=True,
    )
    reports = [r for r in results if isinstance(r, BulkLaunchReport)]
    for report in reports:
        report.raise_for_errors()
    if other == "copy":
        assert len(reports) == 1, results
        [refused] = [r for r in results if isinstance(r, SpendLimitExceededError)]
        # Refused before launching anything: the other run holds all 600 (8 x 75).
        assert (refused.committed_cents, refused.hourly_cost_cents) == (600, 600)
        assert "on top of 600 already running or reserved" in str(refused)
        assert live_cost(emu) == 600
    else:
        assert len(reports) == 2, results
        assert live_cost(emu) == live_cost(emu, second_key) == 600


async def test_what_the_account_already_runs_counts(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    earlier = await client.instances.launch_many(2, instance_type_name=A10, ssh_key_names=[KEY])
    earlier.raise_for_errors()  # unguarded: 150 cents/hour running
    guarded = client.with_options(max_hourly_cost_cents=600)
    with pytest.raises(SpendLimitExceededError) as caught:
        await guarded.instances.launch_many(8, instance_type_name=A10, ssh_key_names=[KEY])
    assert (caught.value.committed_cents, caught.value.hourly_cost_cents) == (150, 600)
    assert live_cost(emu) == 150  # nothing was launched
    report = await guarded.instances.launch_many(
        6, instance_type_name=A10, ssh_key_names=[KEY], poll_interval=POLL, settle_timeout=SETTLE
    )
    report.raise_for_errors()
    assert live_cost(emu) == 600
    with pytest.raises(SpendLimitExceededError) as caught:
        await guarded.instances.launch(
            region_name=REGION, instance_type_name=A10, ssh_key_names=[KEY]
        )
    assert caught.value.committed_cents == 600
    # Terminating instances cost nothing more: the room they leave is the budget's again.
    await client.instances.terminate_many(earlier.ids)
    await guarded.instances.launch(region_name=REGION, instance_type_name=A10, ssh_key_names=[KEY])
    assert live_cost(emu) == 525


async def test_a_run_in_progress_is_counted_once_and_as_live_once_it_ends(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """A guarded launch made while a guarded run is launching sees the run's instances in the
    list, but counts them once: in what the run holds (4 x 75 = 300)."""
    guarded = client.with_options(max_hourly_cost_cents=375)
    tried: list[ProgressEvent] = []  # one launch, however many events come meanwhile
    during: list[list[str]] = []

    async def launch_during_the_run(event: ProgressEvent) -> None:
        if event.kind is ProgressKind.LAUNCHED and not tried:
            tried.append(event)
            assert len(emu.instances()) >= 1  # the run's first instance is listed
            launched = await guarded.instances.launch(
                region_name=REGION, instance_type_name=A10, ssh_key_names=[KEY]
            )
            during.append(launched)

    report = await guarded.instances.launch_many(
        4,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        on_progress=launch_during_the_run,
        poll_interval=POLL,
        settle_timeout=SETTLE,
    )
    report.raise_for_errors()
    assert len(during) == 1  # 300 + 75 fits 375 (counted twice, it would not)
    assert live_cost(emu) == 375
    # The run is over: its instances are live ones now, and nothing more fits.
    with pytest.raises(SpendLimitExceededError) as caught:
        await guarded.instances.launch(
            region_name=REGION, instance_type_name=A10, ssh_key_names=[KEY]
        )
    assert caught.value.committed_cents == 375


@pytest.mark.parametrize(
    ("price", "launched", "error"),
    [
        (300, 1, SpendLimitExceededError),  # one fits the ceiling at the new price
        (30, 4, None),  # cheaper: all four
        (-5, 0, InvalidPriceError),
        (None, 0, InvalidPriceError),
        ("300", 0, InvalidPriceError),
    ],
    ids=["rise", "drop", "negative", "missing", "string"],
)
async def test_a_hunt_launches_at_the_price_of_its_latest_listing(
    price: object, launched: int, error: type[SpendGuardError] | None
) -> None:
    """4 x 75 fits a ceiling of 300 when the run starts; by the time capacity shows up, the
    price has changed."""
    async with emulated(capacity={}) as (emu, client):

        def capacity_and_a_new_price(event: ProgressEvent) -> None:
            if event.kind is ProgressKind.WAITING_FOR_CAPACITY and not emu.capacity(A10, REGION):
                emu.set_price(A10, price)
                emu.set_capacity(A10, REGION, 8)

        report = await client.instances.launch_many(
            4,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            hunt=Hunt(timeout=LIMIT, poll_interval=POLL),
            max_hourly_cost_cents=300,
            on_progress=capacity_and_a_new_price,
            poll_interval=POLL,
            settle_timeout=SETTLE,
        )
        check_launch_invariants(emu, report)
        assert len(report.instances) == len(emu.instances()) == launched
        assert live_cost(emu) <= 300
        assert len(report.failures) == 4 - launched
        for failure in report.failures:
            assert error is not None and isinstance(failure.error, error)
            assert failure.error.instance_type_name == A10
            if isinstance(failure.error, SpendLimitExceededError):
                assert failure.error.price_cents_per_hour == 300
                assert failure.error.committed_cents == 300  # the slot launched at 300
            else:
                assert isinstance(failure.error, InvalidPriceError)
                assert failure.error.price == price


async def test_a_cancelled_run_releases_what_it_held(client: AsyncLambdaCloud) -> None:
    guarded = client.with_options(max_hourly_cost_cents=600)
    launched = asyncio.Event()

    def on_progress(event: ProgressEvent) -> None:
        if event.kind is ProgressKind.LAUNCHED:
            launched.set()

    run = asyncio.ensure_future(
        guarded.instances.launch_many(
            8,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            on_progress=on_progress,
            poll_interval=POLL,
            settle_timeout=SETTLE,
        )
    )
    await asyncio.wait_for(launched.wait(), LIMIT)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    # Had the run kept its hold of 600 (8 x 75), nothing more would fit.
    await guarded.instances.launch(region_name=REGION, instance_type_name=A10, ssh_key_names=[KEY])
