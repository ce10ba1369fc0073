"""Hundreds of seeded bulk launches under mixed faults, each checked against the invariants:
no slot gets two instances, nothing leaks, the report matches the emulator, no 429 surfaces.

Two families: ``test_random_bulk_launch`` (one client, every kind of launch fault) and
``test_random_contended_run`` (one or two clients of one account launching at once, with rate
limits that may not match the server's, launches the server carries out late while the run is
cancelled, 404s on terminate, instances vanishing under ``wait_for``, then ``reclaim``).
All time is compressed 1000 times, and runs on virtual time (see ``conftest.py``): a 20 ms
deadline, a 60 ms late commit against a 20 ms request timeout, a 250 ms settle horizon mean
exactly that, however busy the machine, so a seed's outcome does not depend on the load.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

import attrs
import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    InstanceStatus,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
)
from lambda_cloud.bulk import (
    LAUNCH_TOKEN_TAG,
    BulkLaunchCancelledError,
    BulkLaunchReport,
    OnCancel,
    ProgressEvent,
    ProgressKind,
    SlotCancelledError,
    UnresolvedLaunchError,
)
from lambda_cloud.emulator import Emulator, Fault

from ..emulator.helpers import until
from .helpers import (
    A10,
    FAST_RETRIES,
    KEY,
    LIMIT,
    POLL,
    SETTLE,
    check_launch_invariants,
    emulated,
)

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


# -- contended runs: two clients, late commits under cancellation, reclaim ----------------------

CONTENDED = 210
#: A contended run's settle horizon: well past its longest late commit (60 ms), so every
#: launch in flight is accounted for before the run returns, cancelled or not.
CONTENDED_SETTLE = 0.25
#: Generous retries for the calls made after the run (reclaim, wait_for) under list faults.
PATIENT = RetryPolicy(max_retries=12, initial_delay=0.001, max_delay=0.005, max_retry_after=0.01)
LIVE_STATUSES = ("booting", "active", "unhealthy")


@attrs.define
class Contended:
    seed: int
    #: One ``launch_many`` per client, all on one account: how many slots each.
    counts: list[int]
    #: Each client's rate limits as a multiple of the server's (``None``: not paced at all).
    pacing: list[float | None]
    enforce_rate_limits: bool
    late: Fault
    faults: list[Fault]
    #: Cancel the first client's run once the late fault has fired this many times (``None``:
    #: never); ``cancel_on_launched`` cancels it on its n-th launched event instead.
    cancel_on_late: int | None
    cancel_on_launched: int | None
    on_cancel: OnCancel
    terminate_delay: float
    terminated_retention: float
    poll_interval: float

    @classmethod
    def from_seed(cls, seed: int) -> Contended:
        rng = random.Random(10_000 + seed)
        clients = rng.choice([1, 2, 2])
        cancel = rng.random()
        return cls(
            seed=seed,
            counts=[rng.randint(1, 8) for _ in range(clients)],
            pacing=[rng.choice([None, 0.3, 1.0, 3.0]) for _ in range(clients)],
            enforce_rate_limits=rng.random() < 0.5,
            late=Fault(
                kind="late_commit",
                path=LAUNCH,
                delay=rng.uniform(5.0, 60.0),  # 5 to 60 ms: past the 20 ms request timeout, often
                probability=rng.uniform(0.2, 0.8),
            ),
            faults=_contended_faults(rng),
            cancel_on_late=rng.randint(1, 3) if cancel < 0.35 else None,
            cancel_on_launched=rng.randint(1, 4) if 0.35 <= cancel < 0.55 else None,
            on_cancel=rng.choice(["terminate", "keep"]),
            terminate_delay=rng.choice([0.0, 5.0, 30.0]),
            terminated_retention=rng.choice([0.0, 2.0, 20.0]),
            poll_interval=rng.choice([POLL, 0.01, 0.03]),
        )


def _contended_faults(rng: random.Random) -> list[Fault]:
    p = rng.uniform(0.05, 0.3)
    menu = [
        Fault(kind="status", status=404, path="/instance-operations/terminate", probability=p),
        Fault(kind="status", status=503, path="/instance-operations/terminate", probability=p),
        Fault(kind="status", status=503, method="GET", path="/instances", probability=p),
        Fault(kind="status", status=429, method="GET", path="/instances", probability=p),
        Fault(kind="status", status=429, path=LAUNCH, probability=p, retry_after=5),
    ]
    # 404s on terminate in most runs: every reclaim below goes through them.
    return [menu[0], *rng.sample(menu[1:], rng.randint(0, 3))] if rng.random() < 0.8 else []


def _contended_client(emu: Emulator, pacing: float | None) -> AsyncLambdaCloud:
    limits = None
    if pacing is not None:
        limits = {
            name: {"rate": limit["rate"] * pacing, "burst": limit["burst"]}
            for name, limit in emu.rate_limits.items()
        }
    return AsyncLambdaCloud(
        api_key=emu.api_key,
        base_url=emu.base_url,
        rate_limits=limits,
        max_retries=FAST_RETRIES,
        timeout=5.0,
    )


async def _contended_launch(
    scenario: Contended, client: AsyncLambdaCloud, index: int
) -> BulkLaunchReport:
    launched = asyncio.Event()
    seen = 0

    def progress(event: ProgressEvent) -> None:
        nonlocal seen
        seen += event.kind is ProgressKind.LAUNCHED
        if seen == scenario.cancel_on_launched:
            launched.set()

    task = asyncio.create_task(
        client.instances.launch_many(
            scenario.counts[index],
            instance_type_name=A10,
            ssh_key_names=[KEY],
            run_id=f"c{scenario.seed}-{index}",
            on_progress=progress,
            on_cancel=scenario.on_cancel,
            poll_interval=POLL,
            timeout=LIMIT,
            request_timeout=0.02,
            settle_timeout=CONTENDED_SETTLE,
        )
    )
    if index == 0 and scenario.cancel_on_late is not None:
        # Right after the server began holding a launch: it is in flight, and will land.
        wanted = scenario.late.fired + scenario.cancel_on_late
        await until(lambda: task.done() or scenario.late.fired >= wanted, limit=LIMIT)
        task.cancel()
    elif index == 0 and scenario.cancel_on_launched is not None:
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


def _live_by_token(emu: Emulator) -> dict[str, list[str]]:
    """Live instances carrying a launch token, by token."""
    found: dict[str, list[str]] = {}
    for instance in emu.instances():
        for tag in instance["tags"] or ():
            if tag["key"] == LAUNCH_TOKEN_TAG and instance["status"] in LIVE_STATUSES:
                found.setdefault(tag["value"], []).append(instance["id"])
    return found


def _live_of_run(emu: Emulator, run_id: str) -> set[str]:
    return {
        i
        for token, ids in _live_by_token(emu).items()
        if token.startswith(f"{run_id}/")
        for i in ids
    }


@pytest.mark.parametrize("seed", range(CONTENDED))
async def test_random_contended_run(seed: int) -> None:
    scenario = Contended.from_seed(seed)
    async with Emulator(
        time_scale=0.001,
        seed=seed,
        capacity={(A10, r): 20 for r in REGIONS},  # a late commit never meets a full region
        enforce_rate_limits=scenario.enforce_rate_limits,
        terminate_delay=scenario.terminate_delay,
        terminated_retention=scenario.terminated_retention,
    ) as emu:
        clients = [_contended_client(emu, pacing) for pacing in scenario.pacing]
        try:
            await clients[0].ssh_keys.create(name=KEY)
            for fault in [scenario.late, *scenario.faults]:
                emu.faults.add(fault)
            reports = await asyncio.gather(
                *(_contended_launch(scenario, c, i) for i, c in enumerate(clients))
            )
            await _check_contended(scenario, emu, clients[-1], reports)
        finally:
            for client in clients:
                await client.aclose()


async def _check_contended(
    scenario: Contended,
    emu: Emulator,
    client: AsyncLambdaCloud,
    reports: list[BulkLaunchReport],
) -> None:
    doubled = {t: ids for t, ids in _live_by_token(emu).items() if len(ids) > 1}
    assert not doubled, f"slots with two live instances: {doubled}"
    everything: set[str] = set()
    for report in reports:
        created = check_launch_invariants(emu, report)
        everything |= set(created)
        if report.cancelled and scenario.on_cancel == "terminate":
            # Except a launch reported unresolved (never seen by its horizon: its listings kept
            # failing): it may land after the run, as documented. On virtual time the held
            # launches (60 ms at most) are seen well within the horizon (250 ms); none of these
            # seeds has one.
            unresolved = {
                f"{report.run_id}/{f.slot}"
                for f in report.failures
                if isinstance(f.error, UnresolvedLaunchError)
            }
            left = {
                i
                for token, ids in _live_by_token(emu).items()
                if token.startswith(f"{report.run_id}/") and token not in unresolved
                for i in ids
            }
            assert not left, "a cancelled run left instances live"
        # What a crashed run's owner would do: keep the reported ones, reclaim anything else.
        await _reclaim(client, report.run_id, keep=report.ids)
        assert _live_of_run(emu, report.run_id) <= set(report.ids)
        await _reclaim(client, report.run_id)
        assert not _live_of_run(emu, report.run_id), "reclaim left an instance of the run live"
    # Gone ones drop out of the list (retention as short as 0): the wait must not return a
    # stale copy of one, nor give up on a failing list call.
    done = await client.with_options(max_retries=PATIENT).instances.wait_for(
        sorted(everything),
        "terminated",
        poll_interval=scenario.poll_interval,
        timeout=LIMIT,
    )
    assert {i.id for i in done} <= everything
    assert all(i.status is InstanceStatus.TERMINATED for i in done), [i.status for i in done]


async def _reclaim(client: AsyncLambdaCloud, run_id: str, keep: Sequence[str] = ()) -> None:
    """Reclaim until nothing is left to reclaim. A live instance answered 404 twice (once, then
    again after the list showed it) is reported failed, not gone: its owner reclaims again."""
    for _ in range(5):
        patient = client.with_options(max_retries=PATIENT)
        report = await patient.instances.reclaim(run_id, keep=keep)
        assert all(isinstance(e, NotFoundError) for e in report.errors.values()), report.errors
        if report.ok:
            return
    raise AssertionError(f"reclaim({run_id!r}) never succeeded: {report.errors}")


def test_contended_scenarios_cover_the_space() -> None:
    scenarios = [Contended.from_seed(s) for s in range(CONTENDED)]
    assert SCENARIOS + CONTENDED >= 500
    assert sum(len(s.counts) == 2 for s in scenarios) > 100
    assert sum(s.cancel_on_late is not None for s in scenarios) > 50
    assert sum(s.cancel_on_launched is not None for s in scenarios) > 25
    assert sum(any(f.status == 404 for f in s.faults) for s in scenarios) > 120
    assert sum(s.enforce_rate_limits and None in s.pacing for s in scenarios) > 20
    assert sum(s.terminated_retention == 0 for s in scenarios) > 50
