"""``watch`` keeps a fleet converged across failing passes, and ends on what no pass can fix."""

from __future__ import annotations

import pytest

from lambda_cloud import AsyncLambdaCloud, AuthenticationError, InternalServerError
from lambda_cloud.emulator import Emulator
from lambda_cloud.emulator.faults import Fault

from .helpers import check_converged, fleet


async def test_a_failed_pass_is_reported_and_the_next_one_converges(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    # More 503s than the client's retries: the first pass fails, the second goes through.
    emu.faults.add(Fault(kind="status", status=503, method="GET", path="/instances", times=3))
    passes = client.fleets.watch(fleet(count=2), interval=10)
    failed = await passes.__anext__()
    assert failed.plan is None and isinstance(failed.error, InternalServerError)
    assert not failed.ok
    second = await passes.__anext__()
    assert second.converged, second.summary()
    check_converged(emu, 2)
    await passes.aclose()


async def test_a_refused_key_ends_the_watch(emu: Emulator, client: AsyncLambdaCloud) -> None:
    """A 401 will be a 401 on every pass: the watch raises it instead of retrying forever."""
    emu.faults.add(Fault(kind="status", status=401, method="GET", path="/instances"))
    passes = client.fleets.watch(fleet(count=2), interval=10)
    with pytest.raises(AuthenticationError):
        await passes.__anext__()
    assert emu.launch_attempts() == []
