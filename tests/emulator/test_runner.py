"""Running the emulator: on a loop, on a thread, from the command line, as a pytest plugin."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from lambda_cloud.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]


def _get(emu: Emulator, path: str) -> Any:
    request = urllib.request.Request(
        emu.base_url + path, headers={"Authorization": f"Bearer {emu.api_key}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def _emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "lambda-cloud-emulator"]


def test_threaded_runner_serves_and_stops_cleanly() -> None:
    before = len(_emulator_threads())
    with Emulator(time_scale=0.01, api_key="secret_test_key") as emu:
        assert emu.api_key == "secret_test_key"
        assert emu.base_url.startswith("http://127.0.0.1:")
        assert emu.base_url.endswith("/api/v1")
        assert _get(emu, "/instances") == {"data": []}
        with pytest.raises(RuntimeError):
            emu.start_in_thread()
    assert len(_emulator_threads()) == before
    with pytest.raises(RuntimeError):
        _ = emu.base_url
    emu.stop_thread()  # a second stop is harmless


def test_threaded_runner_can_restart() -> None:
    emu = Emulator()
    for _ in range(2):
        emu.start_in_thread()
        assert _get(emu, "/regions")["data"]
        emu.stop_thread()


def test_start_failure_surfaces_in_the_caller() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        before = len(_emulator_threads())
        with pytest.raises(OSError):
            Emulator(port=port).start_in_thread()
        assert len(_emulator_threads()) == before


async def test_async_runner_refuses_a_second_start() -> None:
    async with Emulator() as emu:
        with pytest.raises(RuntimeError):
            await emu.start()
    await emu.stop()


def test_constructor_checks() -> None:
    with pytest.raises(ValueError):
        Emulator(time_scale=0)
    with pytest.raises(ValueError):
        Emulator(boot_delay=-1)
    with pytest.raises(ValueError):  # as set_capacity refuses it
        Emulator(capacity={("gpu_1x_a10", "us-west-1"): -1})
    emu = Emulator()
    with pytest.raises(RuntimeError):
        _ = emu.base_url
    with pytest.raises(KeyError):
        emu.account("nope")
    other = emu.add_account()
    assert other != emu.api_key and emu.account(other).api_key == other
    with pytest.raises(ValueError):
        emu.audit_page_size = 0


def test_command_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "lambda_cloud.emulator", "--port", "0", "--api-key", "k1"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().split()[-1]
        api_key = process.stdout.readline().split()[-1]
        assert api_key == "k1"
        request = urllib.request.Request(
            base_url + "/regions", headers={"Authorization": f"Bearer {api_key}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["data"]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_plugin_emulator_fixture(lambda_emulator: Emulator) -> None:
    assert lambda_emulator.time_scale == 0.01
    assert _get(lambda_emulator, "/instances") == {"data": []}


def test_plugin_sync_client_fixture(lambda_client: Any, lambda_emulator: Emulator) -> None:
    assert lambda_client.base_url == lambda_emulator.base_url
    assert lambda_client.instances.list() == []


async def test_plugin_async_client_fixture(
    async_lambda_client: Any, lambda_emulator: Emulator
) -> None:
    assert async_lambda_client.base_url == lambda_emulator.base_url
    assert await async_lambda_client.instances.list() == []
