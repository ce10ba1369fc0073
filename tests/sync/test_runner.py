"""The private loop behind the sync facade: threads, running loops, deadlocks, Ctrl-C, fork and
shutdown."""

from __future__ import annotations

import gc
import signal
import subprocess
import threading
import traceback
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import pytest

from lambda_cloud import (
    APIConnectionError,
    ClientClosedError,
    LambdaCloud,
    NotFoundError,
    SyncCallInLoopThreadError,
    SyncInAsyncContextWarning,
)
from lambda_cloud._sync._runner import _loop_thread
from lambda_cloud.emulator import Emulator

from ..ctrl_c import hold_listings, press_ctrl_c_thrice
from .conftest import HeldServer

NewClient = Callable[..., LambdaCloud]
NOISE = ("Task was destroyed", "Unclosed", "never awaited", "Exception ignored", "Traceback")


def loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "lambda-cloud-sync"]


def test_calls_return_what_the_async_client_returns(new_client: NewClient) -> None:
    client = new_client()
    key = client.ssh_keys.create("returns")
    assert key.private_key
    assert key.id in [k.id for k in client.ssh_keys.list()]
    client.ssh_keys.delete(key.id)
    assert key.id not in [k.id for k in client.ssh_keys.list()]


def test_errors_are_the_async_core_classes_raised_from_the_users_call(
    new_client: NewClient,
) -> None:
    client = new_client()
    with pytest.raises(NotFoundError) as info:
        client.instances.get("missing")
    frames = [frame.name for frame in traceback.extract_tb(info.tb)]
    assert frames[0] == "test_errors_are_the_async_core_classes_raised_from_the_users_call"
    assert "_send_once" in frames  # where the async core raised it
    assert "_drive" not in frames


def test_errors_keep_their_cause(closed_url: str) -> None:
    with (
        LambdaCloud(api_key="k", base_url=closed_url, max_retries=0, rate_limits=None) as client,
        pytest.raises(APIConnectionError) as info,
    ):
        client.regions.list()
    assert isinstance(info.value.__cause__, aiohttp.ClientConnectorError)


def test_async_iterators_become_iterators(new_client: NewClient, thread_emu: Emulator) -> None:
    thread_emu.audit_page_size = 2
    client = new_client()
    for i in range(5):
        client.ssh_keys.create(f"audit-{i}")
    events = list(client.audit_events.list())
    assert len(events) >= 5
    iterator = client.audit_events.list()
    assert next(iterator) == events[0]
    iterator.close()  # stopping early closes the async generator on the loop


def test_sixteen_threads_share_one_client_and_its_pool(new_client: NewClient) -> None:
    connections: list[object] = []

    async def on_connection(*_: object) -> None:
        connections.append(object())

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_connection)
    client = new_client(trace_configs=[trace])
    expected = client.regions.list()
    start = threading.Barrier(16)

    def work(_: int) -> list[Any]:
        start.wait()
        return [client.regions.list() for _ in range(10)]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(work, range(16)))
    assert results == [[expected] * 10] * 16
    assert 1 <= len(connections) <= 16  # reused, not one per call


def test_a_call_goes_through_while_another_thread_runs_the_loop(
    held: tuple[HeldServer, str], new_client: NewClient
) -> None:
    server, url = held
    slow = new_client(api_key="k", base_url=url)
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(slow.instances.list()))
    thread.start()
    assert server.arrived.wait(60)  # that thread runs the loop, waiting for the held answer
    assert new_client().regions.list()  # queued onto the loop it runs, and answered meanwhile
    server.release()
    thread.join(60)
    assert results == [[]]


async def test_a_call_inside_a_running_loop_works_and_warns_once(
    new_client: NewClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_loop_thread, "warned", False)
    client = new_client()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = client.regions.list()
        assert client.regions.list() == first
    [warning] = [w for w in caught if w.category is SyncInAsyncContextWarning]
    assert "AsyncLambdaCloud" in str(warning.message)
    assert warning.filename == __file__  # it points at the user's call


QUEUED_SCRIPT = """
import asyncio
import sys
import time

from lambda_cloud import LambdaCloud
from lambda_cloud._sync._runner import _loop_thread

state = _loop_thread._start()
queue = state.loop.call_soon_threadsafe


def started():
    return any("_drive" in repr(task) for task in asyncio.all_tasks(state.loop))


def queue_then_interrupt(callback, *args):
    handle = queue(callback, *args)
    if getattr(callback, "__name__", "") == "_spawn":
        while not started():  # the call is under way on the loop
            time.sleep(0.01)
        raise KeyboardInterrupt
    return handle


async def call(client):
    client.regions.list()


state.loop.call_soon_threadsafe = queue_then_interrupt
client = LambdaCloud(api_key="k", base_url=sys.argv[1], rate_limits=None)
try:
    asyncio.run(call(client))
except KeyboardInterrupt as exc:
    print("cause", type(exc.__cause__).__name__)
with state.lock:
    print("in flight", state.inflight)
client.close()
print("closed")
"""


def test_ctrl_c_as_the_call_is_queued_cancels_it_instead_of_dropping_it(
    held: tuple[HeldServer, str], start_script: Callable[..., Any]
) -> None:
    # SIGINT may land inside call_soon_threadsafe once it has queued the call (CI saw it under
    # load): the call is under way, and must be cancelled and counted out, not dropped. Before,
    # it was counted out at once and left running: the loop then stopped under the next call
    # (the client's close), which hung.
    _, url = held
    process = start_script(QUEUED_SCRIPT, url, warnings="ignore")
    try:
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert stdout.splitlines() == ["cause CancelledError", "in flight 0", "closed"], stderr


def test_a_call_from_the_loop_thread_raises_instead_of_deadlocking(
    new_client: NewClient,
) -> None:
    clients: list[LambdaCloud] = []

    async def call_back_into_the_facade(*_: object) -> None:
        clients[0].regions.list()  # aiohttp runs trace callbacks on the private loop

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(call_back_into_the_facade)
    clients.append(new_client(trace_configs=[trace], max_retries=0))
    with pytest.raises(SyncCallInLoopThreadError, match="deadlock"):
        clients[0].instance_types.list()


def test_the_loop_thread_stops_when_the_last_client_closes(new_client: NewClient) -> None:
    first, second = new_client(), new_client()
    first.regions.list()
    second.regions.list()
    first.close()
    assert len(loop_threads()) == 1
    second.close()
    assert loop_threads() == []


def test_with_options_copies_share_the_loop_and_leave_it_running(new_client: NewClient) -> None:
    client = new_client()
    copy = client.with_options(timeout=5)
    copy.regions.list()
    copy.close()  # a copy does not own the pool
    assert len(loop_threads()) == 1
    client.regions.list()
    client.close()
    assert loop_threads() == []


def test_a_closed_client_refuses_further_calls(new_client: NewClient) -> None:
    client = new_client()
    with client:
        client.regions.list()
    assert loop_threads() == []
    with pytest.raises(ClientClosedError):
        client.regions.list()
    client.close()  # releases the loop the refused call started
    client.close()
    assert loop_threads() == []


def test_a_dropped_client_is_closed_for_you(thread_emu: Emulator) -> None:
    client = LambdaCloud(api_key=thread_emu.api_key, base_url=thread_emu.base_url)
    client.regions.list()
    del client
    gc.collect()
    assert loop_threads() == []


CTRL_C_SCRIPT = """
import asyncio
import sys

import aiohttp

from lambda_cloud import LambdaCloud
from lambda_cloud._sync._runner import _loop_thread

seen = []


async def on_exception(session, context, params):
    seen.append(type(params.exception).__name__)


async def in_a_running_loop(client):
    client.instances.list()


trace = aiohttp.TraceConfig()
trace.on_request_exception.append(on_exception)
try:
    with LambdaCloud(
        api_key="k", base_url=sys.argv[1], rate_limits=None, trace_configs=[trace]
    ) as client:
        if sys.argv[2] == "driving":
            client.instances.list()
        else:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(in_a_running_loop(client))
            finally:
                loop.close()
except KeyboardInterrupt as exc:
    print("cause", type(exc.__cause__).__name__)
    raise
finally:
    print("request ended by", seen, "loop thread running:", _loop_thread.running)
"""


# "driving": the caller runs the loop itself; "waiting": it waits for the daemon thread to.
@pytest.mark.parametrize("path", ["driving", "waiting"])
def test_ctrl_c_cancels_the_call_and_raises_keyboard_interrupt(
    held: tuple[HeldServer, str], start_script: Callable[..., Any], path: str
) -> None:
    server, url = held
    process = start_script(CTRL_C_SCRIPT, url, path)
    assert server.arrived.wait(60)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGINT, stderr
    assert "request ended by ['CancelledError'] loop thread running: False" in stdout
    assert "cause CancelledError" in stdout  # the call's own outcome, in both paths
    assert stderr.rstrip().endswith("KeyboardInterrupt")
    assert not [noise for noise in NOISE[:-1] if noise in stderr], stderr


THRICE_SCRIPT = """
import sys

from lambda_cloud import BulkLaunchCancelledError, LambdaCloud

url, key, path = sys.argv[1:]
with LambdaCloud(api_key=key, base_url=url, rate_limits=None) as client:
    client.ssh_keys.create("thrice")
    try:
        client.instances.launch_many(
            3,
            instance_type_name="gpu_1x_a10",
            ssh_key_names=["thrice"],
            run_id="thrice",
            poll_interval=0.01,
            # A callback makes the facade wait while its daemon thread runs the loop.
            on_progress=(lambda event: None) if path == "waiting" else None,
        )
    except KeyboardInterrupt as exc:
        cancelled = BulkLaunchCancelledError.find(exc)
        print("terminated", cancelled and " ".join(sorted(cancelled.report.terminated)))
        sys.exit(130)
"""


@pytest.mark.parametrize("path", ["driving", "waiting"])
def test_a_third_ctrl_c_still_terminates_every_instance_the_launch_made(
    start_script: Callable[..., subprocess.Popen[str]], path: str
) -> None:
    """Issue 17: a third Ctrl-C during a bulk launch's cleanup abandoned every instance it
    had launched, and the loop thread raised RuntimeError. Now the third cuts the cleanup down
    to the terminate requests, and the report stays reachable."""
    with Emulator(time_scale=0.001, seed=17) as emu:
        held = hold_listings(emu)
        process = start_script(THRICE_SCRIPT, emu.base_url, emu.api_key, path)
        try:
            seen = press_ctrl_c_thrice(process, held)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        stderr = seen + stderr
        launched = emu.instances(include_gone=True)
    assert process.returncode == 130, stderr
    assert len(launched) == 3
    assert all(i["status"] in ("terminating", "terminated") for i in launched), launched
    assert stdout == f"terminated {' '.join(sorted(i['id'] for i in launched))}\n", stderr
    assert "cancelled a third time" in stderr and "instances.reclaim('thrice')" in stderr
    assert not [noise for noise in (*NOISE, "RuntimeError") if noise in stderr], stderr


def test_a_forked_child_gets_a_fresh_loop_and_leaves_the_parents_pool_alone(
    thread_emu: Emulator, run_script: Callable[..., Any]
) -> None:
    result = run_script(
        """
        import os
        import sys

        from lambda_cloud import LambdaCloud

        url, key = sys.argv[1:]
        options = dict(api_key=key, base_url=url, rate_limits=None, max_retries=0, timeout=30)
        client = LambdaCloud(**options)
        expected = client.regions.list()  # the loop thread and a pooled connection are up
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                inherited = client.regions.list()
                client.close()
                with LambdaCloud(**options) as fresh:
                    print("child", inherited == fresh.regions.list() == expected, flush=True)
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        print("child exit", os.waitstatus_to_exitcode(status))
        # Fails (no retries) if the child had closed or unregistered the pooled connection.
        print("parent", client.regions.list() == expected)
        client.close()
        """,
        thread_emu.base_url,
        thread_emu.api_key,
        # The parent's pool, which the child drops, cannot be closed from the child.
        warnings="ignore::ResourceWarning",
    )
    assert result.stdout.splitlines() == ["child True", "child exit 0", "parent True"]
    assert not [noise for noise in NOISE if noise in result.stderr], result.stderr


def test_shutdown_is_clean_and_leaves_no_thread(
    thread_emu: Emulator, run_script: Callable[..., Any]
) -> None:
    result = run_script(
        """
        import sys
        import threading

        from lambda_cloud import LambdaCloud

        url, key = sys.argv[1:]
        with LambdaCloud(api_key=key, base_url=url, rate_limits=None) as client:
            client.ssh_keys.create("shutdown")
            events = client.audit_events.list()
            next(events)  # left suspended: closing the client must not leave it pending
            client.with_options(timeout=5).regions.list()
        print("threads", [thread.name for thread in threading.enumerate()])
        """,
        thread_emu.base_url,
        thread_emu.api_key,
        warnings="error",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "threads ['MainThread']\n"
    assert result.stderr == ""


def test_exit_closes_clients_left_open(
    thread_emu: Emulator, run_script: Callable[..., Any]
) -> None:
    result = run_script(
        """
        import sys

        from lambda_cloud import LambdaCloud

        url, key = sys.argv[1:]
        client = LambdaCloud(api_key=key, base_url=url, rate_limits=None)
        client.regions.list()
        client.with_options(timeout=5).instance_types.list()
        """,
        thread_emu.base_url,
        thread_emu.api_key,
        warnings="error",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
