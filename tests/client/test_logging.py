"""``LAMBDA_CLOUD_LOG`` and what the ``lambda_cloud`` logger says: attempts, retries and
rate-limit waits, never the API key."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import pytest

from lambda_cloud import RateLimit, RateLimits, SchemeBasicAuth, Security
from lambda_cloud._ratelimit import RateLimiter
from lambda_cloud.emulator import Emulator, Fault
from lambda_cloud.errors import APIError
from tests.conftest import PUBLIC_KEY, make_client

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import asyncio
from lambda_cloud import AsyncLambdaCloud
from lambda_cloud.emulator import Emulator

with Emulator() as emu:
    async def main() -> None:
        async with AsyncLambdaCloud(
            api_key=emu.api_key, base_url=emu.base_url, rate_limits=None
        ) as client:
            await client.regions.list()
            print(emu.api_key)

    asyncio.run(main())
"""


def run_with(level: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAMBDA_CLOUD_LOG": level}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_debug_from_the_environment_logs_each_attempt() -> None:
    result = run_with("debug")
    assert result.returncode == 0, result.stderr
    assert "DEBUG lambda_cloud] GET /regions -> 200 (" in result.stderr
    assert "attempt 1)" in result.stderr
    key = result.stdout.strip()
    assert key and key not in result.stderr


def test_info_from_the_environment_leaves_attempts_out() -> None:
    result = run_with("INFO")
    assert result.returncode == 0, result.stderr
    assert "GET /regions" not in result.stderr


def test_an_unknown_level_is_reported_not_ignored() -> None:
    result = run_with("verbose")
    assert result.returncode == 0, result.stderr
    assert "LAMBDA_CLOUD_LOG='verbose'" in result.stderr


async def test_retries_and_rate_limit_waits_are_logged(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.faults.add(Fault(kind="status", status=503, path="/regions", times=1))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    limits = RateLimits(general=RateLimit(rate=2.0, burst=1))
    async with make_client(emu, rate_limits=limits) as client:
        # A still clock: the second request must wait half a second for its slot.
        client._transport.rate_limiter = RateLimiter(limits, clock=lambda: 100.0, sleep=sleep)
        with caplog.at_level(logging.DEBUG, logger="lambda_cloud"):
            await client.regions.list()
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert ("DEBUG", "rate limit: waiting 0.500s for a slot in the general bucket") in messages
    attempts = [m for level, m in messages if m.startswith("GET /regions")]
    assert [a.split(" -> ")[1].split()[0] for a in attempts] == ["503", "200"]
    assert "attempt 1)" in attempts[0] and "attempt 2)" in attempts[1]
    retries = [m for level, m in messages if level == "INFO" and m.startswith("retrying in")]
    assert len(retries) == 1 and "503" in retries[0]
    assert slept == [0.5]


async def test_the_key_never_reaches_a_log_record(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    other = emu.add_account()
    secrets = [emu.api_key, other]
    emu.faults.add(Fault(kind="status", status=503, path="/instances", times=1))
    emu.faults.add(Fault(kind="status", status=429, path="/ssh-keys", times=1, retry_after=0.0))
    emu.faults.add(Fault(kind="reset_before_commit", path="/regions", times=1))
    caplog.set_level(logging.DEBUG)  # every logger, every level
    async with make_client(emu) as client:
        await client.instances.list()
        await client.ssh_keys.create("k", PUBLIC_KEY)
        await client.regions.list()
        await client.instances.list_instances(security=Security(bearer_auth=other))
        basic = Security(basic_auth=SchemeBasicAuth(username=other))
        await client.instances.list_instances(security=basic)
        with pytest.raises(APIError):
            await client.with_options(api_key=emu.api_key + "x").instances.list()
        with pytest.raises(APIError):
            await client.instances.launch(
                region_name="us-east-1",
                instance_type_name="no_such_type",
                ssh_key_names=["k"],
                user_data="#cloud-config\n",
            )
    levels = {r.levelname for r in caplog.records}
    assert {"DEBUG", "INFO"} <= levels
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + repr(record.__dict__)
        if record.exc_info:
            text += "".join(traceback.format_exception(*record.exc_info))
        for secret in secrets:
            assert secret not in text, record
