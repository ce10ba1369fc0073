"""``instances.terminate_many``: unknown ids isolated, transient failures retried."""

from __future__ import annotations

import pytest

from lambda_cloud import AsyncLambdaCloud, InternalServerError, ValidationError
from lambda_cloud.bulk import BulkTerminateError, DeadlineExceededError, TerminateOutcome
from lambda_cloud.emulator import Emulator, Fault

from .helpers import A10, KEY, LIMIT, POLL, SETTLE, Events, RequestLog, emulated

TERMINATE = "/instance-operations/terminate"
UNKNOWN = ["0" * 32, "1" * 32, "2" * 32]


async def launch(client: AsyncLambdaCloud, n: int) -> list[str]:
    report = await client.instances.launch_many(
        n, instance_type_name=A10, ssh_key_names=[KEY], poll_interval=POLL, settle_timeout=SETTLE
    )
    report.raise_for_errors()
    return report.ids


def statuses(emu: Emulator) -> dict[str, str]:
    return {i["id"]: i["status"] for i in emu.instances(include_gone=True)}


async def test_unknown_ids_are_isolated_and_stop_nothing(
    emu: Emulator, client: AsyncLambdaCloud, requests: RequestLog
) -> None:
    ids = await launch(client, 6)
    mixed = [UNKNOWN[0], *ids[:3], UNKNOWN[1], *ids[3:], UNKNOWN[2], ids[0]]
    requests.clear()
    events = Events()
    report = await client.instances.terminate_many(mixed, batch_size=4, on_progress=events)
    assert list(report.outcomes) == list(dict.fromkeys(mixed))
    assert report.not_found == UNKNOWN
    assert sorted(report.terminating) == sorted(ids)
    assert report.ok
    report.raise_for_errors()
    assert all(statuses(emu)[i] in ("terminating", "terminated") for i in ids)
    assert events.kinds() == {"terminating": 6, "not_found": 3}
    # Each unknown id costs a few bisecting requests, not one request per id.
    assert requests[f"POST {TERMINATE}"] < 2 * len(mixed)


async def test_terminated_and_terminating_ids_count_as_done(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    ids = await launch(client, 3)
    await client.instances.terminate([ids[0]])
    await client.instances.wait_for([ids[0]], "terminated", poll_interval=POLL, timeout=LIMIT)
    await client.instances.terminate([ids[1]])
    report = await client.instances.terminate_many(ids)
    assert report.ok
    assert report.outcomes[ids[2]] is TerminateOutcome.TERMINATING
    # Already terminated: still listed (terminated), or gone from the list (not found).
    assert report.outcomes[ids[0]] in (TerminateOutcome.TERMINATED, TerminateOutcome.NOT_FOUND)


async def test_wait_until_terminated(emu: Emulator, client: AsyncLambdaCloud) -> None:
    ids = await launch(client, 4)
    report = await client.instances.terminate_many(
        [*ids, UNKNOWN[0]], wait=True, poll_interval=POLL, timeout=LIMIT
    )
    assert report.waited and report.ok
    assert sorted(report.terminated) == sorted(ids)
    assert report.not_found == [UNKNOWN[0]]
    assert all(statuses(emu)[i] == "terminated" for i in ids)


async def test_transient_failures_and_throttling_are_retried(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    ids = await launch(client, 5)
    emu.faults.add(Fault(kind="status", status=503, path=TERMINATE, times=5))
    emu.faults.add(Fault(kind="status", status=429, path=TERMINATE, times=8, retry_after=2))
    emu.faults.add(Fault(kind="reset_after_commit", path=TERMINATE, times=2))
    report = await client.instances.terminate_many(ids, batch_size=2)
    assert report.ok, report.errors
    assert set(report.outcomes) == set(ids)
    # A terminate whose answer was lost went through: its retry may find the id gone already.
    assert all(statuses(emu)[i] in ("terminating", "terminated") for i in ids)


async def test_persistent_failure_is_reported_per_id(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    ids = await launch(client, 3)
    emu.faults.add(Fault(kind="status", status=500, path=TERMINATE))
    report = await client.instances.terminate_many([*ids, UNKNOWN[0]], timeout=0.05)
    assert report.failed == [*ids, UNKNOWN[0]]
    assert set(report.errors) == set(report.failed)
    # Retried until the deadline, which then names the last failure.
    assert all(isinstance(e, DeadlineExceededError) for e in report.errors.values())
    assert all(isinstance(e.__cause__, InternalServerError) for e in report.errors.values())
    with pytest.raises(BulkTerminateError) as caught:
        report.raise_for_errors()
    assert caught.value.report is report


async def test_a_deadline_ends_throttling_with_a_failure_not_a_429(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    ids = await launch(client, 2)
    emu.faults.add(Fault(kind="status", status=429, path=TERMINATE, retry_after=5))
    report = await client.instances.terminate_many(ids, timeout=0.05)
    assert report.failed == ids
    assert all(isinstance(e, DeadlineExceededError) for e in report.errors.values())


async def test_unpaced_client_works_too() -> None:
    async with emulated(paced=False) as (_, client):
        ids = await launch(client, 3)
        report = await client.instances.terminate_many(
            ids, wait=True, poll_interval=POLL, timeout=LIMIT
        )
    assert sorted(report.terminated) == sorted(ids)


async def test_bad_arguments(client: AsyncLambdaCloud) -> None:
    with pytest.raises(ValidationError):
        await client.instances.terminate_many([])
    with pytest.raises(ValidationError):
        await client.instances.terminate_many("abc")
    with pytest.raises(ValidationError):
        await client.instances.terminate_many(["a"], batch_size=0)


async def test_a_wait_without_timeout_still_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """``timeout=None``: an instance stuck ``terminating`` does not hang ``wait=True``."""
    from lambda_cloud.bulk import terminate as terminate_module

    monkeypatch.setattr(terminate_module, "DEFAULT_WAIT_TIMEOUT", 0.05)
    async with emulated(terminate_delay=1e9) as (_, client):
        ids = await launch(client, 2)
        report = await client.instances.terminate_many(ids, wait=True, poll_interval=POLL)
    assert report.waited and report.terminating == ids and not report.ok


async def test_a_lost_answer_then_404_is_bisected_not_taken_as_done(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """The first answer is lost and the retry meets 404 because of one unknown id: nothing was
    terminated, so the batch is bisected, and every known id really is terminated."""
    ids = await launch(client, 3)
    fault = emu.faults.add(Fault(kind="reset_after_commit", path=TERMINATE, times=1))
    report = await client.instances.terminate_many([*ids, UNKNOWN[0]])
    assert fault.fired == 1
    report.raise_for_errors()
    assert report.not_found == [UNKNOWN[0]]
    assert all(statuses(emu)[i] in ("terminating", "terminated") for i in ids)


async def test_a_listed_instance_answered_404_again_and_again_is_still_terminated(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    """Three 404s in a row for an instance the list shows live: each is checked against the
    list and the terminate is sent again, until it goes through."""
    ids = await launch(client, 1)
    emu.faults.add(Fault(kind="status", status=404, path=TERMINATE, times=3))
    report = await client.instances.terminate_many(ids)
    assert report.ok and report.terminating == ids
    assert statuses(emu)[ids[0]] in ("terminating", "terminated")


async def test_a_listed_instance_that_always_answers_404_is_reported_failed(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    ids = await launch(client, 1)
    emu.faults.add(Fault(kind="status", status=404, path=TERMINATE))
    report = await client.instances.terminate_many(ids)
    assert report.failed == ids and not report.ok
    assert statuses(emu)[ids[0]] not in ("terminating", "terminated")
