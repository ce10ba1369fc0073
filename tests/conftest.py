"""Fixtures several test folders share (each folder's own are in its ``conftest.py``).

Emulator and client (the ones most tests want):

- ``emu``: a running :class:`~lambda_cloud.emulator.Emulator` on the test's own event loop,
  driven by ``clock`` (a ``ManualClock`` at t=1000) with ``seed=1``. Nothing changes unless the
  test says so: instances stay ``booting`` until ``clock.advance(...)`` passes the boot delay
  (1 s by default; see ``BOOT``). Override ``emulator_options`` in a module or folder to pass
  other ``Emulator(...)`` arguments; ``{"clock": None, "time_scale": 0.001}`` gives a real
  clock, scaled.
- ``client``: an ``AsyncLambdaCloud`` connected to ``emu`` with ``rate_limits=None`` and
  ``FAST_RETRIES`` (the default retry count, but millisecond delays and ``Retry-After`` capped
  at 10 ms, so a retried request costs no real time). Closed after the test.
- ``ssh_key``: the name of an SSH key (``"my-key"``) added to ``emu``'s account through
  ``client``, for launches.
- ``clock``: the ``ManualClock`` behind ``emu``.

Other helpers:

- ``closed_url``: a base URL on a loopback port nobody listens on (connection refused).
- ``canned``: a tiny aiohttp server that answers every request with whatever the test queued
  (``canned.reply(status, body, headers)``) and records what it received (``canned.requests``),
  for responses the emulator never gives (an HTML 502, a body without the envelope).

Always on: every request body the SDK sends to an emulator is checked against the official
spec's request schema for its operation (``tests/spec/sdk_bodies.py``); a test during which the
SDK sent one the spec refuses fails.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import attrs
import orjson
import pytest
from aiohttp import web

from lambda_cloud import AsyncLambdaCloud, RetryPolicy
from lambda_cloud.emulator import Emulator, ManualClock

from .spec import sdk_bodies

#: Default retry count, tiny delays: tests exercise retries without waiting for them.
FAST_RETRIES = RetryPolicy(
    max_retries=2, initial_delay=0.001, max_delay=0.002, max_retry_after=0.01
)
#: Seconds of emulator (manual) time after which a new instance is active, with default options.
BOOT = 1.0
#: A syntactically valid OpenSSH public key.
PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f test@host"
)


@pytest.fixture(scope="session", autouse=True)
def _emulators_check_sdk_bodies() -> Iterator[None]:
    with sdk_bodies.installed():
        yield


@pytest.fixture(autouse=True)
def _sdk_bodies_follow_the_spec(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if the SDK sent a body the spec refuses while it ran (teardown included),
    unless it is marked ``off_spec_requests`` (it goes past the SDK's checks on purpose)."""
    seen = len(sdk_bodies.problems)
    yield
    if request.node.get_closest_marker("off_spec_requests"):
        return
    sent = sdk_bodies.problems[seen:]
    assert not sent, "the SDK sent requests the spec refuses:\n" + "\n".join(sent)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    """Extra ``Emulator(...)`` keyword arguments; override to change the emulated world."""
    return {}


@pytest.fixture
async def emu(clock: ManualClock, emulator_options: dict[str, Any]) -> AsyncIterator[Emulator]:
    options: dict[str, Any] = {"clock": clock, "seed": 1, **emulator_options}
    async with Emulator(**options) as emulator:
        yield emulator


def make_client(emu: Emulator, **kwargs: Any) -> AsyncLambdaCloud:
    """A client for ``emu``: no pacing and ``FAST_RETRIES`` unless overridden."""
    options: dict[str, Any] = {
        "api_key": emu.api_key,
        "base_url": emu.base_url,
        "rate_limits": None,
        "max_retries": FAST_RETRIES,
        **kwargs,
    }
    return AsyncLambdaCloud(**options)


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AsyncLambdaCloud]:
    async with make_client(emu) as lambda_client:
        yield lambda_client


@pytest.fixture
async def ssh_key(client: AsyncLambdaCloud) -> str:
    key = await client.ssh_keys.create("my-key", PUBLIC_KEY)
    return key.name


@pytest.fixture
def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Closed without listen(): connecting to it now is refused.
    return f"http://127.0.0.1:{port}/api/v1"


@attrs.define
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class Canned:
    """A loopback server answering with queued replies (the last one repeats)."""

    def __init__(self) -> None:
        self.base_url = ""
        self.requests: list[Received] = []
        self._replies: list[tuple[int, bytes, dict[str, str]]] = []

    def reply(
        self, status: int = 200, body: object = None, headers: dict[str, str] | None = None
    ) -> None:
        """Queue an answer; ``body`` bytes/str go out as is, anything else as JSON."""
        if isinstance(body, str):
            raw = body.encode()
        elif isinstance(body, bytes):
            raw = body
        else:
            raw = orjson.dumps(body)
        self._replies.append((status, raw, {"Content-Type": "application/json", **(headers or {})}))

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            Received(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                await request.read(),
            )
        )
        status, raw, headers = self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]
        return web.Response(status=status, body=raw, headers=headers)


@pytest.fixture
async def canned() -> AsyncIterator[Canned]:
    server = Canned()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server._handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server.base_url = f"http://{host}:{port}/api/v1"
    try:
        yield server
    finally:
        await runner.cleanup()
