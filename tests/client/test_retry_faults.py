"""Retry and no-retry rules end to end, with faults injected by the emulator.

Reads and idempotent operations are retried on 5xx, 429, broken connections and unreadable
bodies; a launch is retried only when it provably did nothing (429, connection refused), and
otherwise raises ``LaunchOutcomeUnknownError`` with the emulator holding at most one instance.
Retry waits are recorded instead of slept (``recorded_sleeps``), so nothing here waits on time
except the two client-timeout tests (a fraction of a second each).
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from lambda_cloud import (
    APIConnectionError,
    APIResponseError,
    APITimeoutError,
    AsyncLambdaCloud,
    ConflictError,
    InternalServerError,
    InvalidParametersError,
    LaunchOutcomeUnknownError,
    RateLimitError,
    RateLimits,
    RetryPolicy,
    SSHKey,
)
from lambda_cloud.emulator import Emulator, Fault, ManualClock
from tests.conftest import BOOT, FAST_RETRIES, PUBLIC_KEY, make_client

from .conftest import recorded_sleeps

REGION, TYPE = "us-west-1", "gpu_1x_a10"
LAUNCH_PATH = "/instance-operations/launch"
#: A client timeout that a held answer always runs into, and a healthy loopback call never does.
SHORT_TIMEOUT = 0.5


def launch_args(ssh_key: str, **extra: Any) -> dict[str, Any]:
    return {
        "region_name": REGION,
        "instance_type_name": TYPE,
        "ssh_key_names": [ssh_key],
        **extra,
    }


# -- safe requests are retried -----------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault(kind="status", status=503), id="503"),
        pytest.param(
            Fault(kind="status", status=502, code="provider/internal-unavailable"), id="502"
        ),
        pytest.param(Fault(kind="status", status=500), id="500"),
        pytest.param(Fault(kind="status", status=429), id="429"),
        pytest.param(Fault(kind="status", status=408, code="global/timeout"), id="408"),
        pytest.param(Fault(kind="malformed_body"), id="malformed-body"),
    ],
)
async def test_get_is_retried_and_succeeds(
    client: AsyncLambdaCloud, emu: Emulator, fault: Fault
) -> None:
    fault.method, fault.path, fault.times = "GET", "/ssh-keys", 1
    emu.faults.add(fault)
    slept = recorded_sleeps(client)
    assert await client.ssh_keys.list() == []
    assert fault.fired == 1
    assert len(slept) == 1


@pytest.mark.parametrize("kind", ["reset_before_commit", "reset_after_commit"])
async def test_get_survives_a_reset_connection(
    client: AsyncLambdaCloud, emu: Emulator, kind: Any
) -> None:
    # aiohttp itself resends an idempotent request once when the connection drops, so which
    # layer retries is not asserted here; a POST below shows the client's own retry.
    fault = emu.faults.add(Fault(kind=kind, method="GET", path="/ssh-keys", times=1))
    assert await client.ssh_keys.list() == []
    assert fault.fired == 1


async def test_get_gives_up_after_max_retries(client: AsyncLambdaCloud, emu: Emulator) -> None:
    fault = emu.faults.add(Fault(kind="status", status=503, path="/instances"))
    slept = recorded_sleeps(client)
    with pytest.raises(InternalServerError) as info:
        await client.instances.list()
    assert info.value.status_code == 503
    assert info.value.code == "provider/internal-unavailable"
    assert fault.fired == 1 + FAST_RETRIES.max_retries
    assert len(slept) == FAST_RETRIES.max_retries


async def test_max_retries_zero_is_not_retried(client: AsyncLambdaCloud, emu: Emulator) -> None:
    fault = emu.faults.add(Fault(kind="status", status=503, path="/instances", times=1))
    no_retries = client.with_options(max_retries=0)
    with pytest.raises(InternalServerError):
        await no_retries.instances.list()
    assert fault.fired == 1
    assert await no_retries.instances.list() == []  # the fault was spent: the server is fine


async def test_per_call_retries(client: AsyncLambdaCloud, emu: Emulator) -> None:
    fault = emu.faults.add(Fault(kind="status", status=503, path="/instance-types", times=4))
    with pytest.raises(InternalServerError):
        await client.instance_types.list(max_retries=0)
    assert fault.fired == 1
    # Three failures left; the client default (2 retries) is not enough, 3 is.
    types = await client.instance_types.list(
        max_retries=RetryPolicy(max_retries=3, initial_delay=0.0, max_delay=0.0)
    )
    assert fault.fired == 4
    assert TYPE in types


async def test_idempotent_posts_are_retried_after_a_lost_answer(
    client: AsyncLambdaCloud, emu: Emulator, clock: ManualClock, ssh_key: str
) -> None:
    [instance_id] = await client.instances.launch(**launch_args(ssh_key))
    rename = emu.faults.add(Fault(kind="reset_after_commit", path="/instances/*", times=1))
    slept = recorded_sleeps(client)
    assert (await client.instances.update(instance_id, name="renamed")).name == "renamed"
    assert rename.fired == 1
    assert len(slept) == 1  # POST is not resent by aiohttp: this retry is the client's
    terminate = emu.faults.add(
        Fault(kind="reset_after_commit", path="/instance-operations/terminate", times=1)
    )
    [terminated] = await client.instances.terminate([instance_id])
    assert terminate.fired == 1
    assert terminated.id == instance_id
    assert [i["status"] for i in emu.instances()] == ["terminating"]


async def test_restart_retried_after_a_lost_answer_succeeds(
    client: AsyncLambdaCloud, emu: Emulator, clock: ManualClock, ssh_key: str
) -> None:
    [instance_id] = await client.instances.launch(**launch_args(ssh_key))
    clock.advance(BOOT)
    emu.faults.add(Fault(kind="reset_after_commit", path="/instance-operations/restart", times=1))
    [restarted] = await client.instances.restart([instance_id])
    assert restarted.id == instance_id


async def test_terminate_retried_after_the_instance_is_gone_counts_as_done(
    clock: ManualClock,
) -> None:
    # Terminated instances leave the list at once here, so the retry after the lost answer
    # meets 404: the terminate had worked, and must not be reported as NotFoundError.
    emu = Emulator(clock=clock, terminate_delay=0, terminated_retention=0)
    async with emu, make_client(emu) as client:
        await client.ssh_keys.create("k", PUBLIC_KEY)
        [instance_id] = await client.instances.launch(**launch_args("k"))
        clock.advance(BOOT)
        emu.faults.add(
            Fault(kind="reset_after_commit", path="/instance-operations/terminate", times=1)
        )
        assert await client.instances.terminate([instance_id]) == []
        assert emu.instances() == []
        assert [i["status"] for i in emu.instances(include_gone=True)] == ["terminated"]


async def test_delete_retried_after_a_lost_answer_succeeds(
    client: AsyncLambdaCloud, emu: Emulator
) -> None:
    key = await client.ssh_keys.create("doomed", PUBLIC_KEY)
    emu.faults.add(Fault(kind="reset_after_commit", method="DELETE", times=1))
    await client.ssh_keys.delete(key.id)
    assert await client.ssh_keys.list() == []


async def test_get_timeout_is_retried(client: AsyncLambdaCloud, emu: Emulator) -> None:
    fault = emu.faults.add(Fault(kind="timeout_after_commit", path="/ssh-keys", times=1))
    assert await client.ssh_keys.list(timeout=SHORT_TIMEOUT) == []
    assert fault.fired == 1


async def test_timeout_without_retries_raises_api_timeout_error(
    client: AsyncLambdaCloud, emu: Emulator
) -> None:
    emu.faults.add(Fault(kind="delay", delay=30.0, path="/ssh-keys", times=1))
    with pytest.raises(APITimeoutError) as info:
        await client.ssh_keys.list(timeout=SHORT_TIMEOUT, max_retries=0)
    assert info.value.sent is True
    assert info.value.method == "GET"


async def test_unreadable_body_without_retries(client: AsyncLambdaCloud, emu: Emulator) -> None:
    emu.faults.add(Fault(kind="malformed_body", path="/instances", times=1))
    with pytest.raises(APIResponseError):
        await client.instances.list(max_retries=0)


# -- launches are never repeated when they might have happened ---------------------------------


@pytest.mark.parametrize(
    ("fault", "cause", "created"),
    [
        pytest.param(Fault(kind="reset_after_commit"), APIConnectionError, 1, id="reset-after"),
        pytest.param(Fault(kind="malformed_body"), APIResponseError, 1, id="malformed-body"),
        pytest.param(Fault(kind="status", status=500), InternalServerError, 0, id="500"),
        pytest.param(Fault(kind="status", status=503), InternalServerError, 0, id="503"),
        pytest.param(
            Fault(kind="status", status=502, code="provider/internal-unavailable"),
            InternalServerError,
            0,
            id="502-provider",
        ),
        # An upstream failure, whatever status carries it, may have launched.
        pytest.param(
            Fault(kind="status", status=409, code="provider/internal-unavailable"),
            ConflictError,
            0,
            id="409-provider",
        ),
        # A reset before the commit looks exactly like one after it to the client.
        pytest.param(Fault(kind="reset_before_commit"), APIConnectionError, 0, id="reset-before"),
    ],
)
async def test_ambiguous_launch_is_not_repeated(
    client: AsyncLambdaCloud,
    emu: Emulator,
    ssh_key: str,
    fault: Fault,
    cause: type[Exception],
    created: int,
) -> None:
    fault.path = LAUNCH_PATH  # no `times`: a retry would meet the same fault and count it
    emu.faults.add(fault)
    with pytest.raises(LaunchOutcomeUnknownError) as info:
        await client.instances.launch(
            **launch_args(ssh_key, name="job-7", tags={"run": "7"}, user_data="SECRET=1")
        )
    assert fault.fired == 1
    assert len(emu.instances()) == created
    exc = info.value
    assert isinstance(exc.__cause__, cause)
    assert exc.method == "POST"
    assert exc.url.endswith(LAUNCH_PATH)
    assert exc.request_body["name"] == "job-7"
    assert exc.request_body["tags"] == [
        {"key": "run", "value": "7"},
        {"key": "lambda-cloud-owner", "value": client.owner},
    ]
    assert "user_data" not in exc.request_body
    assert "SECRET" not in str(exc)
    assert "launch_many" in str(exc)


async def test_launch_timed_out_after_commit_is_not_repeated(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str
) -> None:
    fault = emu.faults.add(Fault(kind="timeout_after_commit", path=LAUNCH_PATH))
    short = client.with_options(timeout=SHORT_TIMEOUT)
    with pytest.raises(LaunchOutcomeUnknownError) as info:
        await short.instances.launch(**launch_args(ssh_key))
    assert isinstance(info.value.__cause__, APITimeoutError)
    assert fault.fired == 1
    assert len(emu.instances()) == 1


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault(kind="status", status=429), id="429"),
        pytest.param(Fault(kind="status", status=429, retry_after=1.0), id="429-retry-after"),
    ],
)
async def test_throttled_launch_is_retried_once_and_creates_one_instance(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str, fault: Fault
) -> None:
    fault.path, fault.times = LAUNCH_PATH, 1
    emu.faults.add(fault)
    slept = recorded_sleeps(client)
    [instance_id] = await client.instances.launch(**launch_args(ssh_key))
    assert fault.fired == 1
    assert len(slept) == 1
    assert [i["id"] for i in emu.instances()] == [instance_id]


async def test_a_throttled_launch_is_retried_until_the_call_s_time_is_up(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str
) -> None:
    # A 429 was not carried out: max_retries does not count it, the call's timeout does.
    fault = emu.faults.add(Fault(kind="status", status=429, path=LAUNCH_PATH))
    with pytest.raises(RateLimitError) as info:
        await client.with_options(timeout=0.2).instances.launch(**launch_args(ssh_key))
    assert info.value.attempts == fault.fired > 1 + FAST_RETRIES.max_retries
    assert f"gave up after {fault.fired} attempts" in str(info.value)
    assert emu.instances() == []


async def test_a_429_whose_next_slot_is_past_the_call_s_time_ends_it_at_once(
    emu: Emulator,
) -> None:
    # Paced, the retry waits for its rate-limit slot, which the server's Retry-After holds
    # back: a slot the call's time does not reach is not waited for.
    fault = emu.faults.add(Fault(kind="status", status=429, retry_after=30.0))
    options = {"rate_limits": emu.rate_limits, "timeout": 2.0, "max_retries": RetryPolicy()}
    async with make_client(emu, **options) as client:
        with pytest.raises(RateLimitError) as info:
            await client.instances.list()
    assert info.value.attempts == fault.fired == 1
    assert info.value.__cause__ is None


async def test_launch_to_a_closed_port_is_retried_and_raised_as_not_sent(
    closed_url: str,
) -> None:
    async with AsyncLambdaCloud(
        api_key="secret_x", base_url=closed_url, rate_limits=None, max_retries=FAST_RETRIES
    ) as offline:
        slept = recorded_sleeps(offline)
        with pytest.raises(APIConnectionError) as info:
            await offline.instances.launch(**launch_args("k"))
    assert not isinstance(info.value, LaunchOutcomeUnknownError)
    assert info.value.sent is False
    assert len(slept) == FAST_RETRIES.max_retries  # refused connections are safe to retry


async def test_get_to_a_closed_port(closed_url: str) -> None:
    async with AsyncLambdaCloud(
        api_key="secret_x", base_url=closed_url, rate_limits=None, max_retries=0
    ) as offline:
        with pytest.raises(APIConnectionError) as info:
            await offline.instances.list()
    assert info.value.sent is False
    assert info.value.url == f"{closed_url}/instances"


async def test_launch_rejected_by_the_server_is_not_outcome_unknown(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str
) -> None:
    fault = emu.faults.add(Fault(kind="status", status=400, code="global/invalid-parameters"))
    with pytest.raises(InvalidParametersError) as info:
        await client.instances.launch(**launch_args(ssh_key))
    assert not isinstance(info.value, LaunchOutcomeUnknownError)
    assert fault.fired == 1
    assert emu.instances() == []


# -- creating an SSH key is UNSAFE -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        pytest.param(Fault(kind="status", status=503), InternalServerError, id="503"),
        pytest.param(Fault(kind="reset_after_commit"), APIConnectionError, id="reset-after"),
        pytest.param(Fault(kind="reset_before_commit"), APIConnectionError, id="reset-before"),
        pytest.param(Fault(kind="malformed_body"), APIResponseError, id="malformed"),
    ],
)
async def test_ssh_key_create_is_not_retried_when_it_may_have_happened(
    client: AsyncLambdaCloud, emu: Emulator, fault: Fault, error: type[Exception]
) -> None:
    fault.method, fault.path = "POST", "/ssh-keys"
    emu.faults.add(fault)
    with pytest.raises(error):
        await client.ssh_keys.create("k")
    assert fault.fired == 1


async def test_ssh_key_create_is_retried_on_429(client: AsyncLambdaCloud, emu: Emulator) -> None:
    fault = emu.faults.add(Fault(kind="status", status=429, method="POST", times=1))
    key = await client.ssh_keys.create("k", PUBLIC_KEY)
    assert isinstance(key, SSHKey)
    assert fault.fired == 1
    assert len(await client.ssh_keys.list()) == 1


# -- Retry-After -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retry_after", "cap", "expected"),
    [
        pytest.param(2.0, 60.0, 2.0, id="honoured"),
        pytest.param(0.25, 60.0, 0.25, id="honoured-ms"),
        pytest.param(30.0, 0.5, 0.5, id="capped"),
    ],
)
async def test_retry_after_is_honoured_up_to_the_cap(
    emu: Emulator, retry_after: float, cap: float, expected: float
) -> None:
    policy = RetryPolicy(max_retries=1, initial_delay=0.0, max_delay=0.0, max_retry_after=cap)
    emu.faults.add(Fault(kind="status", status=429, retry_after=retry_after, times=1))
    async with make_client(emu, max_retries=policy) as client:
        slept = recorded_sleeps(client)
        assert await client.instances.list() == []
    assert slept == [pytest.approx(expected)]


async def test_rate_limiter_back_off_respects_the_retry_after_cap(emu: Emulator) -> None:
    policy = RetryPolicy(max_retries=1, initial_delay=0.0, max_delay=0.0, max_retry_after=0.5)
    emu.faults.add(Fault(kind="status", status=429, retry_after=3600.0, times=1))
    # Fixed pacing: an adaptive bucket would also slow down, which is not the hold's doing.
    fixed = attrs.evolve(RateLimits.coerce(emu.rate_limits), adaptive=False)
    async with make_client(emu, max_retries=policy, rate_limits=fixed) as client:
        recorded_sleeps(client)
        limiter = client._transport.rate_limiter
        assert limiter is not None
        paced: list[float] = []

        async def sleep(seconds: float) -> None:
            paced.append(seconds)

        limiter._sleep = sleep
        assert await client.instances.list() == []
    # The retry waited 0.5 s, not an hour; the pacing after a 429 must not undo that cap.
    assert max(paced, default=0.0) <= 0.5 + 1e-3
