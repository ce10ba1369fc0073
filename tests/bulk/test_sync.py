"""The bulk operations through the generated sync facade, Ctrl-C included."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from lambda_cloud import InstanceStatus, LambdaCloud
from lambda_cloud.bulk import (
    LAUNCH_TOKEN_TAG,
    BulkLaunchCancelledError,
    ProgressEvent,
    ProgressKind,
    UnresolvedLaunchError,
)
from lambda_cloud.emulator import Emulator, Fault

from .helpers import A10, FAST_RETRIES, KEY, LIMIT, POLL, SETTLE, Events, check_launch_invariants


@pytest.fixture
def sync_emu() -> Iterator[Emulator]:
    with Emulator(time_scale=0.001, seed=11) as emulator:
        yield emulator


@pytest.fixture
def sync_client(sync_emu: Emulator) -> Iterator[LambdaCloud]:
    client = LambdaCloud(
        api_key=sync_emu.api_key,
        base_url=sync_emu.base_url,
        rate_limits=sync_emu.rate_limits,
        max_retries=FAST_RETRIES,
    )
    client.ssh_keys.create(name=KEY)
    try:
        yield client
    finally:
        client.close()


def test_launch_wait_terminate(sync_emu: Emulator, sync_client: LambdaCloud) -> None:
    events = Events()
    report = sync_client.instances.launch_many(
        8,
        instance_type_name=A10,
        ssh_key_names=[KEY],
        on_progress=events,
        poll_interval=POLL,
        settle_timeout=SETTLE,
    )
    report.raise_for_errors()
    check_launch_invariants(sync_emu, report)
    instances = sync_client.instances.wait_for(report.ids, poll_interval=POLL, timeout=LIMIT)
    assert all(i.status is InstanceStatus.ACTIVE for i in instances)
    terminated = sync_client.instances.terminate_many(
        report.ids, wait=True, poll_interval=POLL, timeout=LIMIT
    )
    assert sorted(terminated.terminated) == sorted(report.ids)
    assert events.kinds()["launched"] == 8


def _all_ended(emu: Emulator) -> bool:
    tagged = [
        i
        for i in emu.instances(include_gone=True)
        if any(t["key"] == LAUNCH_TOKEN_TAG for t in i.get("tags") or ())
    ]
    return bool(tagged) and all(i["status"] in ("terminating", "terminated") for i in tagged)


def test_ctrl_c_terminates_what_was_launched(sync_emu: Emulator) -> None:
    client = LambdaCloud(
        api_key=sync_emu.api_key,
        base_url=sync_emu.base_url,
        rate_limits=sync_emu.rate_limits,
        max_retries=FAST_RETRIES,
    )
    client.ssh_keys.create(name=KEY)
    launched = 0

    def press_ctrl_c_after_three(event: ProgressEvent) -> None:
        nonlocal launched
        if event.kind is ProgressKind.LAUNCHED:
            launched += 1
            if launched == 3:
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)  # Ctrl-C

    try:
        with pytest.raises(KeyboardInterrupt):
            client.instances.launch_many(
                15,
                instance_type_name=A10,
                ssh_key_names=[KEY],
                on_progress=press_ctrl_c_after_three,
                poll_interval=POLL,
                settle_timeout=SETTLE,
            )
        # The facade gives the cancelled call a grace period to clean up before it re-raises.
        for _ in range(5000):
            if _all_ended(sync_emu):
                break
            time.sleep(0.001)
        assert _all_ended(sync_emu)
        assert 3 <= launched < 15
    finally:
        client.close()


def test_callbacks_run_in_the_callers_thread_and_may_call_the_client(
    sync_emu: Emulator, sync_client: LambdaCloud
) -> None:
    caller = threading.get_ident()
    seen: list[tuple[ProgressEvent, str]] = []
    threads: set[int] = set()

    def on_progress(event: ProgressEvent) -> None:
        threads.add(threading.get_ident())
        if event.kind is ProgressKind.LAUNCHED:
            assert event.instance_id is not None
            # A call back into the sync client: it used to raise SyncCallInLoopThreadError.
            seen.append((event, sync_client.instances.get(event.instance_id).id))

    report = sync_client.instances.launch_many(
        6, instance_type_name=A10, ssh_key_names=[KEY], on_progress=on_progress, poll_interval=POLL
    )
    report.raise_for_errors()
    assert threads == {caller}
    assert sorted(instance_id for _, instance_id in seen) == sorted(report.ids)
    assert all(event.instance_id == instance_id for event, instance_id in seen)
    # Delivered in the order they were emitted: the settled count never goes back.
    counts = [event.done for event, _ in seen]
    assert counts == sorted(counts)


def test_a_failing_callback_is_logged_and_the_run_goes_on(
    sync_client: LambdaCloud, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: ProgressEvent) -> None:
        raise ValueError("progress bar bug")

    report = sync_client.instances.launch_many(
        2, instance_type_name=A10, ssh_key_names=[KEY], on_progress=broken, poll_interval=POLL
    )
    report.raise_for_errors()
    assert len(report.ids) == 2
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert failures and all(r.exc_info and r.exc_info[0] is ValueError for r in failures)


@pytest.mark.parametrize("relayed", [False, True], ids=["loop-here", "loop-in-daemon"])
def test_a_second_ctrl_c_stops_waiting_for_a_launch_of_unknown_outcome(
    sync_emu: Emulator, sync_client: LambdaCloud, caplog: pytest.LogCaptureFixture, relayed: bool
) -> None:
    """The first Ctrl-C cancels the launch while its request is held by the server; the
    cleanup would wait the whole settle horizon for it. The second Ctrl-C cuts that short: the
    call ends with the slot unresolved, and a warning names the run's tag. (A callback makes the
    facade run the loop on its daemon thread: both ways of waiting are covered.)"""
    held = sync_emu.faults.add(
        Fault(kind="late_commit", delay=60_000.0, path="/instance-operations/launch", times=1)
    )
    # Matches every instance list (and changes nothing): counts them.
    listed = sync_emu.faults.add(Fault(kind="delay", delay=0.0, method="GET", path="/instances"))
    main = threading.main_thread().ident or 0

    def press_ctrl_c_twice() -> None:
        while not held.fired:  # the launch is in the server's hands
            time.sleep(0.001)
        before = listed.fired
        signal.pthread_kill(main, signal.SIGINT)
        while listed.fired == before:  # the cancelled run is looking for the held launch
            time.sleep(0.001)
        signal.pthread_kill(main, signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c_twice, daemon=True)
    presser.start()
    with (
        caplog.at_level(logging.WARNING, logger="lambda_cloud"),
        pytest.raises(KeyboardInterrupt) as caught,
    ):
        sync_client.instances.launch_many(
            1,
            instance_type_name=A10,
            ssh_key_names=[KEY],
            request_timeout=30.0,
            poll_interval=POLL,
            settle_timeout=600.0,  # far longer than this test may take: only hurrying ends it
            run_id="hurried",
            on_progress=Events() if relayed else None,
        )
    presser.join()
    cancelled = BulkLaunchCancelledError.find(caught.value)
    assert cancelled is not None
    (failure,) = cancelled.report.failures
    assert isinstance(failure.error, UnresolvedLaunchError)
    assert any(
        "hurried" in r.getMessage() and "cancelled again" in r.getMessage() for r in caplog.records
    )
