"""Fault injection, one kind at a time."""

from __future__ import annotations

import asyncio
import threading
import time

import aiohttp
import pytest

from lambda_cloud.emulator import Emulator, Fault, ManualClock

from .helpers import LAUNCH, Api, until

LAUNCH_BODY = {
    "region_name": "us-west-1",
    "instance_type_name": "gpu_1x_a10",
    "ssh_key_names": ["my-key"],
}


async def test_status_fault_answers_without_effect(keyed: Api, emu: Emulator) -> None:
    fault = emu.faults.add(Fault(kind="status", status=503, path=LAUNCH, times=1))
    reply = await keyed.launch()
    assert reply.status == 503
    assert reply.body == {
        "error": {
            "code": "provider/internal-unavailable",
            "message": "Provider unavailable",
            "suggestion": "Try again shortly",
        }
    }
    assert "Retry-After" not in reply.headers
    assert emu.instances() == []
    assert fault.fired == 1
    assert (await keyed.launch()).status == 200  # times=1: spent
    assert fault.fired == 1


async def test_status_fault_with_code_message_and_retry_after(api: Api, emu: Emulator) -> None:
    emu.faults.add(
        Fault(
            kind="status",
            status=429,
            retry_after=2.5,
            message="slow down",
            method="get",
            path="/instances",
        )
    )
    reply = await api.get("/instances")
    assert reply.status == 429
    assert reply.body["error"]["code"] == "global/rate-limited"
    assert reply.message == "slow down"
    assert reply.headers["Retry-After"] == "3"
    assert reply.headers["Retry-After-Ms"] == "2500"
    assert emu.rate_limited_count == 0  # only the rate limiter's own 429s count
    assert (await api.post("/instances")).status != 429  # method must match too
    emu.faults.add(Fault(kind="status", status=409, code="provider/x", path="/ssh-keys"))
    conflict = await api.get("/ssh-keys")
    assert (conflict.status, conflict.code) == (409, "provider/x")


async def test_status_fault_409_default_code_depends_on_the_path(api: Api, emu: Emulator) -> None:
    emu.faults.add(Fault(kind="status", status=409))
    for path in ("/firewall-rulesets", "/firewall-rulesets/global", "/firewall-rulesets/abc"):
        reply = await api.get(path)
        assert (reply.status, reply.code) == (409, "global/internal-error"), path
        assert reply.message == "An internal server error occurred."
    for path in ("/instances", "/firewall-rules", "/firewall-rulesetsx"):
        reply = await api.get(path)
        assert (reply.status, reply.code) == (409, "global/conflict"), path


async def test_reset_before_commit_does_nothing(keyed: Api, emu: Emulator) -> None:
    emu.faults.add(Fault(kind="reset_before_commit", path=LAUNCH, times=1))
    with pytest.raises(aiohttp.ClientError):
        await keyed.launch()
    assert emu.instances() == []


async def test_reset_after_commit_applies_the_operation(keyed: Api, emu: Emulator) -> None:
    emu.faults.add(Fault(kind="reset_after_commit", path=LAUNCH, times=1))
    with pytest.raises(aiohttp.ClientError):
        await keyed.launch()
    assert len(emu.instances()) == 1
    assert len((await keyed.get("/instances")).data) == 1


async def test_timeout_after_commit_holds_until_the_client_gives_up(
    keyed: Api, emu: Emulator
) -> None:
    fault = emu.faults.add(Fault(kind="timeout_after_commit", path=LAUNCH, times=1))
    timeout = aiohttp.ClientTimeout(total=0.2)
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        async with keyed.session.post(
            emu.base_url + LAUNCH, json=LAUNCH_BODY, headers=headers, timeout=timeout
        ) as r:
            await r.read()
    assert time.monotonic() - started < 2
    assert fault.fired == 1
    assert len(emu.instances()) == 1


async def test_timeout_after_commit_with_a_delay_answers_late(keyed: Api, emu: Emulator) -> None:
    emu.faults.add(Fault(kind="timeout_after_commit", delay=0.2, path=LAUNCH))
    started = time.monotonic()
    reply = await keyed.launch()
    assert reply.status == 200
    assert time.monotonic() - started >= 0.2


async def test_held_request_does_not_block_shutdown(clock: ManualClock) -> None:
    emu = Emulator(clock=clock)
    await emu.start()
    fault = emu.faults.add(Fault(kind="timeout_after_commit"))
    async with aiohttp.ClientSession() as session:
        api = Api(session, emu)
        pending = asyncio.ensure_future(api.get("/instances"))
        for _ in range(400):
            if fault.fired:
                break
            await asyncio.sleep(0.005)
        started = time.monotonic()
        await emu.stop()
        assert time.monotonic() - started < 1
        with pytest.raises(aiohttp.ClientError):
            await pending


async def test_delay_then_normal_handling(keyed: Api, emu: Emulator) -> None:
    emu.faults.add(Fault(kind="delay", delay=0.2, path="/instances*"))
    started = time.monotonic()
    assert (await keyed.get("/instances")).data == []
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    assert (await keyed.get("/ssh-keys")).status == 200
    assert time.monotonic() - started < 0.2


async def test_delay_is_scaled(clock: ManualClock) -> None:
    async with Emulator(clock=clock, time_scale=0.01) as emu, aiohttp.ClientSession() as s:
        emu.faults.add(Fault(kind="delay", delay=30))  # 0.3 s once scaled
        started = time.monotonic()
        assert (await Api(s, emu).get("/regions")).status == 200
        assert 0.3 <= time.monotonic() - started < 5


async def _hang_up_on_launch(api: Api, emu: Emulator, after: float) -> None:
    """Send a launch and give up on it after ``after`` seconds."""
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    with pytest.raises(asyncio.TimeoutError):
        async with api.session.post(
            emu.base_url + LAUNCH,
            json=LAUNCH_BODY,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=after),
        ) as r:
            await r.read()


async def test_late_commit_applies_after_the_client_hung_up(keyed: Api, emu: Emulator) -> None:
    hold = 0.5
    fault = emu.faults.add(Fault(kind="late_commit", delay=hold, path=LAUNCH, times=1))
    started = time.monotonic()
    await _hang_up_on_launch(keyed, emu, after=0.05)
    assert fault.fired == 1
    # The hold began after ``started``: while less than ``hold`` has passed, nothing is done.
    seen = emu.instances()
    if time.monotonic() - started < hold:
        assert seen == []
    await until(lambda: len(emu.instances()) == 1)  # the server carried on without the client
    assert time.monotonic() - started >= hold
    instance = emu.instances()[0]
    assert instance["region"]["name"] == "us-west-1"
    assert len((await keyed.get("/instances")).data) == 1
    assert emu.capacity("gpu_1x_a10", "us-west-1") == 7  # the slot was taken, once


async def test_late_commit_answers_a_client_that_waits(keyed: Api, emu: Emulator) -> None:
    emu.faults.add(Fault(kind="late_commit", delay=0.1, path=LAUNCH, times=1))
    started = time.monotonic()
    reply = await keyed.launch()
    assert time.monotonic() - started >= 0.1
    assert [i["id"] for i in emu.instances()] == reply.data["instance_ids"]
    # Errors are answered late too, and have no effect.
    emu.faults.add(Fault(kind="late_commit", path=LAUNCH, times=1))  # delay 0: at once
    refused = await keyed.launch(region_name="us-nowhere-1")
    assert refused.code == "global/object-does-not-exist"
    assert len(emu.instances()) == 1


async def test_late_commit_delay_is_scaled(clock: ManualClock) -> None:
    async with Emulator(clock=clock, time_scale=0.01) as emu, aiohttp.ClientSession() as s:
        api = Api(s, emu)
        await api.add_key()
        emu.faults.add(Fault(kind="late_commit", delay=20, path=LAUNCH))  # 0.2 s once scaled
        started = time.monotonic()
        assert (await api.launch()).status == 200
        assert 0.2 <= time.monotonic() - started < 5


async def test_stopping_releases_a_late_commit_uncommitted(clock: ManualClock) -> None:
    emu = Emulator(clock=clock)
    await emu.start()
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(session, emu)
            await api.add_key()
            fault = emu.faults.add(Fault(kind="late_commit", delay=600, path=LAUNCH))
            await _hang_up_on_launch(api, emu, after=0.05)  # one held with nobody listening
            pending = asyncio.ensure_future(api.launch())  # one held with its client waiting
            await until(lambda: fault.fired == 2)
            started = time.monotonic()
            await emu.stop()
            assert time.monotonic() - started < 1
            with pytest.raises(aiohttp.ClientError):
                await pending
    finally:
        await emu.stop()
    assert emu.instances() == []  # stopped during the hold: nothing was done


def test_late_commit_survives_a_hang_up_on_a_threaded_emulator() -> None:
    import socket
    import urllib.request

    with Emulator(time_scale=0.01) as emu:
        emu.faults.add(Fault(kind="late_commit", delay=10, method="POST", path="/ssh-keys"))
        request = urllib.request.Request(
            emu.base_url + "/ssh-keys",
            data=b'{"name": "late"}',
            headers={"Authorization": f"Bearer {emu.api_key}"},
            method="POST",
        )
        with pytest.raises((socket.timeout, TimeoutError, OSError)):
            urllib.request.urlopen(request, timeout=0.02)
        for _ in range(5000):
            if emu.account().ssh_keys:
                break
            time.sleep(0.001)
        assert [k.name for k in emu.account().ssh_keys.values()] == ["late"]


async def test_malformed_body_after_commit(keyed: Api, emu: Emulator) -> None:
    emu.faults.add(Fault(kind="malformed_body", path=LAUNCH))
    async with keyed.session.post(
        emu.base_url + LAUNCH,
        json={
            "region_name": "us-west-1",
            "instance_type_name": "gpu_1x_a10",
            "ssh_key_names": ["my-key"],
        },
        headers={"Authorization": f"Bearer {emu.api_key}"},
    ) as r:
        assert r.status == 200
        assert r.content_type == "application/json"
        with pytest.raises(ValueError):
            await r.json()
    assert len(emu.instances()) == 1


async def test_first_matching_fault_wins_and_auth_comes_first(api: Api, emu: Emulator) -> None:
    first = emu.faults.add(Fault(kind="status", status=500, path="/ssh-keys"))
    second = emu.faults.add(Fault(kind="status", status=502))
    assert (await api.get("/ssh-keys", auth="Bearer wrong")).status == 401
    assert first.fired == second.fired == 0
    assert (await api.get("/ssh-keys")).status == 500
    assert (await api.get("/regions")).status == 502
    assert (first.fired, second.fired) == (1, 1)
    assert (await api.get("/ssh-keys")).code == "global/internal-error"
    emu.faults.remove(first)
    assert (await api.get("/ssh-keys")).status == 502
    with pytest.raises(ValueError):
        emu.faults.remove(first)
    emu.faults.clear()
    assert len(emu.faults) == 0
    assert (await api.get("/ssh-keys")).status == 200


async def test_probability_replays_with_the_seed() -> None:
    async def outcomes(seed: int) -> list[int]:
        async with Emulator(seed=seed) as emu, aiohttp.ClientSession() as s:
            emu.faults.add(Fault(kind="status", status=503, probability=0.5))
            api = Api(s, emu)
            return [(await api.get("/regions")).status for _ in range(24)]

    first = await outcomes(42)
    assert set(first) == {200, 503}
    assert await outcomes(42) == first


def test_faults_can_be_added_from_another_thread() -> None:
    import urllib.error
    import urllib.request

    with Emulator(time_scale=0.01) as emu:
        adder = threading.Thread(target=emu.faults.add, args=(Fault(kind="status", status=418),))
        adder.start()
        adder.join()
        request = urllib.request.Request(
            emu.base_url + "/regions", headers={"Authorization": f"Bearer {emu.api_key}"}
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=5)
        assert caught.value.code == 418
        caught.value.close()


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        Fault(kind="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Fault(kind="delay", delay=-1)
