"""Hundreds of seeded bulk launches under mixed faults, each checked against the invariants:
no slot gets two instances, nothing leaks, the report matches the emulator, no 429 surfaces."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import attrs
import pytest

from lambda_cloud import AsyncLambdaCloud, RateLimitError
from lambda_cloud.bulk import (
    BulkLaunchCancelledError,
    BulkLaunchReport,
    OnCancel,
    ProgressEvent,
    ProgressKind,
    SlotCancelledError,
)
from lambda_cloud.emulator import Fault

from .helpers import A10, KEY, LIMIT, POLL, SETTLE, check_launch_invariants, emulated

SCENARIOS = 300
REGIONS = ("us-west-1", "us-east-1", "us-south-1", "europe-central-1", "us-west-3")
LAUNCH = "/instance-operations/launch"
ENDED = ("terminating", "terminated")


def _launch_faults(rng: random.Random) -> list[Fault]:
    p = rng.uniform(0.05, 0.35)
    menu = [
        Fault(kind="reset_after_commit", path=LAUNCH, probability=p),
        Fault(kind="reset_before_commit", path=LAUNCH, probability=p),
        Fault(kind="malformed_body", path=LAUNCH, probability=p),
        Fault(kind="status", status=rng.choice([500, 502, 503]), path=LAUNCH, probability=p),
        Fault(kind="status", status=429, path=LAUNCH, probability=p, retry_after=5),
        Fault(kind="timeout_after_commit", path=LAUNCH, probability=p),  # held until hang-up
        Fault(kind="delay", delay=rng.choice([5.0, 200.0]), path=LAUNCH, probability=p),
    ]
    return rng.sample(menu, rng.randint(0, 3))


def _other_faults(rng: random.Random) -> list[Fault]:
    p = rng.uniform(0.05, 0.3)
    menu = [
        Fault(kind="status", status=503, method="GET", path="/instances", probability=p),
        Fault(kind="status", status=429, method="GET", path="/instances", probability=p),
        Fault(kind="malformed_body", method="GET", path="/instances", probability=p),
        Fault(kind="delay", delay=10.0, method="GET", path="/instances", probability=p),
        Fault(kind="status", status=503, path="/instance-types", probability=p),
        Fault(kind="status", status=429, path="/instance-types", probability=p, retry_after=2),
        Fault(kind="status", status=503, path="/instance-operations/terminate", probability=p),
        Fault(kind="reset_after_commit", path="/instance-operations/terminate", probability=p),
    ]
    return rng.sample(menu, rng.randint(0, 3))


@attrs.define
class Scenario:
    seed: int
    count: int
    capacity: dict[tuple[str, str], int]
    region_names: list[str] | None
    faults: list[Fault]
    enforce_rate_limits: bool
    paced: bool
    wait: bool
    timeout: float | None
    cancel_after: int | None  # launched events before cancelling (None: never cancel)
    on_cancel: OnCancel
    max_concurrency: int
    batch_size: int

    @classmethod
    def from_seed(cls, seed: int) -> Scenario:
        rng = random.Random(seed)
        count = rng.randint(1, 10)
        return cls(
            seed=seed,
            count=count,
            capacity={(A10, r): rng.randint(0, 4) for r in REGIONS},
            region_names=rng.sample(REGIONS, rng.randint(1, 4)) if rng.random() < 0.4 else None,
            faults=_launch_faults(rng) + _other_faults(rng),
            enforce_rate_limits=rng.random() < 0.35,
            paced=rng.random() < 0.85,
            wait=rng.random() < 0.3,
            timeout=rng.choice([0.02, 0.08]) if rng.random() < 0.15 else None,
            cancel_after=rng.randint(0, count) if rng.random() < 0.3 else None,
            on_cancel=rng.choice(["terminate", "keep"]),
            max_concurrency=rng.choice([1, 2, 5, 8]),
            batch_size=rng.choice([1, 3, 50]),
        )


async def _run(scenario: Scenario, client: AsyncLambdaCloud) -> BulkLaunchReport:
    launched = asyncio.Event()
    seen = 0

    def progress(event: ProgressEvent) -> None:
        nonlocal seen
        if event.kind is ProgressKind.LAUNCHED:
            seen += 1
        if scenario.cancel_after is not None and seen >= scenario.cancel_after:
            launched.set()

    task = asyncio.create_task(
        client.instances.launch_many(
            scenario.count,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            region_names=scenario.region_names,
            name_prefix=f"s{scenario.seed}",
            wait=scenario.wait,
            on_progress=progress,
            on_cancel=scenario.on_cancel,
            max_concurrency=scenario.max_concurrency,
            poll_interval=POLL,
            timeout=scenario.timeout or LIMIT,
            request_timeout=0.05,
            settle_timeout=SETTLE,
        )
    )
    if scenario.cancel_after is not None:
        trigger = asyncio.ensure_future(launched.wait())
        await asyncio.wait([task, trigger], return_when=asyncio.FIRST_COMPLETED)
        trigger.cancel()
        task.cancel()
    try:
        return await task
    except asyncio.CancelledError as exc:
        found = BulkLaunchCancelledError.find(exc)
        assert found is not None, "a cancelled launch must hand back its report"
        return found.report


@pytest.mark.parametrize("seed", range(SCENARIOS))
async def test_random_bulk_launch(seed: int) -> None:
    scenario = Scenario.from_seed(seed)
    async with emulated(
        seed=seed,
        capacity=scenario.capacity,
        enforce_rate_limits=scenario.enforce_rate_limits,
        paced=scenario.paced,
    ) as (emu, client):
        for fault in scenario.faults:
            emu.faults.add(fault)
        report = await _run(scenario, client)
        created = check_launch_invariants(emu, report)
        if not report.cancelled:  # clean up through the same faults, an unknown id included
            cleanup = await client.instances.terminate_many(
                [*report.ids, "0" * 32],
                batch_size=scenario.batch_size,
                wait=scenario.wait,
                poll_interval=POLL,
                timeout=LIMIT,
            )
            assert cleanup.ok, cleanup.errors
            assert cleanup.not_found[-1:] == ["0" * 32], cleanup.outcomes
        statuses = {i["id"]: i["status"] for i in emu.instances(include_gone=True)}
    assert len(report.instances) <= sum(scenario.capacity.values())
    if scenario.region_names is not None:
        assert set(report.region_counts) <= set(scenario.region_names)
    for failure in report.failures:
        assert not _in_chain(failure.error, RateLimitError) or scenario.timeout is not None
    if not report.cancelled or scenario.on_cancel == "terminate":
        assert all(statuses[i] in ENDED for i in created)
    elif report.cancelled:
        assert sorted(report.terminated) == sorted(e.id for e in report.extras)
    if not report.cancelled and scenario.timeout is None:
        # Without a deadline or a cancel, only capacity or repeated faults leave a slot empty.
        assert not any(isinstance(f.error, SlotCancelledError) for f in report.failures)


def _in_chain(error: BaseException | None, cls: type[BaseException]) -> bool:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, cls):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def test_scenarios_cover_the_space() -> None:
    scenarios = [Scenario.from_seed(s) for s in range(SCENARIOS)]
    kinds: dict[str, Any] = {}
    for s in scenarios:
        for f in s.faults:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1
    assert set(kinds) == {
        "status",
        "reset_before_commit",
        "reset_after_commit",
        "timeout_after_commit",
        "delay",
        "malformed_body",
    }
    assert sum(s.cancel_after is not None for s in scenarios) > 50
    assert sum(s.enforce_rate_limits for s in scenarios) > 50
    assert sum(s.timeout is not None for s in scenarios) > 20
