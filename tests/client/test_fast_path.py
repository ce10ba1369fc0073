"""The first attempt goes out without the retry machinery; a retryable failure starts it."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_cloud import AsyncLambdaCloud, BadRequestError, InternalServerError, _transport
from lambda_cloud.emulator import Emulator, Fault

from .conftest import recorded_sleeps


@pytest.fixture
def retry_loops(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every retry controller the transport builds."""
    built: list[Any] = []
    real = _transport.make_retrying

    def spy(*args: Any, **kwargs: Any) -> Any:
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(_transport, "make_retrying", spy)
    return built


async def test_a_call_that_succeeds_builds_no_retry_loop(
    client: AsyncLambdaCloud, retry_loops: list[Any]
) -> None:
    assert await client.ssh_keys.list() == []
    assert retry_loops == []


async def test_a_failure_that_is_not_retried_builds_none_either(
    client: AsyncLambdaCloud, emu: Emulator, retry_loops: list[Any]
) -> None:
    emu.faults.add(Fault(kind="status", status=400, code="global/invalid-parameters"))
    with pytest.raises(BadRequestError):
        await client.ssh_keys.list()
    assert retry_loops == []


async def test_a_retryable_failure_counts_as_the_first_of_the_allowed_attempts(
    client: AsyncLambdaCloud, emu: Emulator, retry_loops: list[Any]
) -> None:
    fault = emu.faults.add(Fault(kind="status", status=503, method="GET", path="/ssh-keys"))
    slept = recorded_sleeps(client)
    with pytest.raises(InternalServerError):
        await client.ssh_keys.list()
    # max_retries=2: three attempts in all, the fast one included, with a wait before each retry.
    assert (fault.fired, len(slept), len(retry_loops)) == (3, 2, 1)
    emu.faults.remove(fault)
    emu.faults.add(Fault(kind="status", status=503, method="GET", path="/ssh-keys", times=1))
    assert await client.ssh_keys.list() == []
