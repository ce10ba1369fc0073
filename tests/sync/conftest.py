"""Fixtures for the sync facade.

A sync call blocks its thread, so nothing here may run on the test's own event loop: the
emulator and the held server serve from background threads.

- ``thread_emu``: an :class:`~lambda_cloud.emulator.Emulator` on a background thread (one per
  module).
- ``new_client(**options)``: a ``LambdaCloud`` on ``thread_emu`` without rate limits; every
  client it made is closed after the test.
- ``held``: ``(server, base_url)`` of a loopback server that holds each request until
  ``server.release()`` or the test ends; ``server.arrived`` is set once a request is in.
- ``run_script(source, *args, warnings="default")``: run Python code in a fresh interpreter
  (``-W warnings``) from this checkout, and return the finished process; ``start_script``
  returns it running.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from lambda_cloud import LambdaCloud
from lambda_cloud.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def thread_emu() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture
def new_client(thread_emu: Emulator) -> Iterator[Callable[..., LambdaCloud]]:
    clients: list[LambdaCloud] = []

    def make(**options: Any) -> LambdaCloud:
        options = {"api_key": thread_emu.api_key, "base_url": thread_emu.base_url, **options}
        client = LambdaCloud(rate_limits=None, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


class HeldServer:
    """Answers nothing until stopped; ``arrived`` tells when a request came in."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _hold(self, request: web.Request) -> web.Response:
        self.arrived.set()
        await self._release.wait()
        return web.json_response({"data": []})

    async def _start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._hold)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}/api/v1"

    async def _stop(self) -> None:
        self._release.set()
        assert self._runner is not None
        await self._runner.cleanup()

    def start(self) -> str:
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self._start(), self._loop).result()

    def release(self) -> None:
        """Answer the held requests (and any later one at once)."""
        self._loop.call_soon_threadsafe(self._release.set)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


@pytest.fixture
def held() -> Iterator[tuple[HeldServer, str]]:
    server = HeldServer()
    url = server.start()
    yield server, url
    server.stop()


def _run(source: str, *args: str, warnings: str = "default") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-W", warnings, "-c", textwrap.dedent(source), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def run_script() -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(source: str, *args: str, warnings: str = "default") -> subprocess.CompletedProcess[str]:
        proc = _run(source, *args, warnings=warnings)
        stdout, stderr = proc.communicate(timeout=120)
        return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)

    return run


@pytest.fixture
def start_script() -> Callable[..., subprocess.Popen[str]]:
    """Like ``run_script``, but returns the running process."""
    return _run
