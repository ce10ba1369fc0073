"""The transport against a server that misbehaves: redirects, huge bodies, a gzip bomb and a body
that never ends. A small aiohttp.web server in the test plays each part over loopback."""

from __future__ import annotations

import asyncio
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web

from lambda_cloud import (
    APITimeoutError,
    AsyncLambdaCloud,
    LaunchOutcomeUnknownError,
    RedirectError,
    ResponseTooLargeError,
    ValidationError,
)
from lambda_cloud._config import DEFAULT_MAX_RESPONSE_BYTES

MiB = 1024 * 1024
LIMIT = 1 * MiB
INFLATED = 256 * MiB  # what the bomb inflates to


def gzip_bomb(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes (about a thousandth of it on the wire)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MiB)
    parts = [compressor.compress(block) for _ in range(size // MiB)]
    return b"".join(parts) + compressor.flush()


class Hostile:
    """Routes under /api/v1 that each misbehave in one way; ``hits`` counts requests per path."""

    def __init__(self) -> None:
        self.base_url = ""
        self.hits: dict[str, int] = {}
        self.bomb = gzip_bomb(INFLATED)
        self.stalled = asyncio.Event()
        self.release = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/v1/{tail:.*}", self.handle)
        app.router.add_route("*", "/elsewhere/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] = self.hits.get(path, 0) + 1
        if path.startswith("/elsewhere"):
            return web.json_response({"data": ["i-from-elsewhere"]})
        route = path.removeprefix("/api/v1")
        if route in ("/instances", "/instance-operations/launch"):  # redirected
            return web.Response(status=307, headers={"Location": "/elsewhere" + route})
        if route == "/instance-types":  # a body of 8 MiB
            body = b'{"data": {"x": "' + b"a" * (8 * MiB) + b'"}}'
            return web.Response(body=body, content_type="application/json")
        if route == "/regions":  # the gzip bomb
            headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
            return web.Response(body=self.bomb, headers=headers)
        if route == "/images":  # a body that starts, then never ends
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            await response.prepare(request)
            await response.write(b'{"data": [')
            self.stalled.set()
            await self.release.wait()  # until the test is over
        return web.json_response({"data": []})


@pytest.fixture(scope="module")
def bomb_server_state() -> Hostile:
    return Hostile()  # built once: compressing 256 MiB is the slow part


@pytest.fixture
async def hostile(bomb_server_state: Hostile) -> AsyncIterator[Hostile]:
    server = bomb_server_state
    server.hits.clear()
    server.stalled, server.release = asyncio.Event(), asyncio.Event()
    runner = web.AppRunner(server.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server.base_url = f"http://{host}:{port}/api/v1"
    try:
        yield server
    finally:
        server.release.set()
        await runner.cleanup()


def client_for(server: Hostile, **options: Any) -> AsyncLambdaCloud:
    options = {"max_response_bytes": LIMIT, **options}
    return AsyncLambdaCloud(
        api_key="secret_k", base_url=server.base_url, rate_limits=None, **options
    )


async def test_a_redirect_is_not_followed_and_names_the_location(hostile: Hostile) -> None:
    async with client_for(hostile) as client:
        with pytest.raises(RedirectError) as info:
            await client.instances.list()
    assert info.value.status_code == 307
    assert info.value.location == "/elsewhere/instances"
    assert "/elsewhere/instances" in str(info.value)
    assert hostile.hits == {"/api/v1/instances": 1}  # neither followed nor retried


async def test_a_redirected_launch_is_not_resent_elsewhere(hostile: Hostile) -> None:
    async with client_for(hostile) as client:
        with pytest.raises(RedirectError):
            await client.instances.launch(
                region_name="us-east-1",
                instance_type_name="gpu_1x_a10",
                ssh_key_names=["k"],
                user_data="#cloud-config\n",
            )
    assert hostile.hits == {"/api/v1/instance-operations/launch": 1}


async def test_a_body_past_the_limit_raises_and_is_not_retried(hostile: Hostile) -> None:
    async with client_for(hostile) as client:
        with pytest.raises(ResponseTooLargeError) as info:
            await client.instance_types.list()
    assert info.value.limit == LIMIT
    assert hostile.hits == {"/api/v1/instance-types": 1}


async def test_the_limit_can_be_raised(hostile: Hostile) -> None:
    async with client_for(hostile, max_response_bytes=16 * MiB) as client:
        with pytest.raises(Exception) as info:
            await client.instance_types.list()
    assert not isinstance(info.value, ResponseTooLargeError)


async def test_a_gzip_bomb_stops_at_the_limit_without_inflating(hostile: Hostile) -> None:
    assert len(hostile.bomb) < 2 * MiB
    async with client_for(hostile) as client:
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError):
                await client.regions.list()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 16 * MiB  # against 256 MiB inflated had it been read whole


async def test_the_timeout_covers_a_body_that_never_ends(hostile: Hostile) -> None:
    async with client_for(hostile, timeout=0.3) as client:
        with pytest.raises(APITimeoutError):
            await client.images.list(retries=0)
    assert hostile.stalled.is_set()  # the headers came back; the read is what timed out


async def test_a_launch_answered_past_the_limit_has_an_unknown_outcome() -> None:
    body = orjson.dumps({"data": {"instance_ids": ["i-" + "x" * 100]}})

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/api/v1/instance-operations/launch", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with AsyncLambdaCloud(
            api_key="k",
            base_url=f"http://{host}:{port}/api/v1",
            rate_limits=None,
            max_response_bytes=64,
        ) as client:
            with pytest.raises(LaunchOutcomeUnknownError) as info:
                await client.instances.launch(
                    region_name="us-east-1", instance_type_name="t", ssh_key_names=["k"]
                )
        assert isinstance(info.value.__cause__, ResponseTooLargeError)
    finally:
        await runner.cleanup()


def test_the_default_limit_and_bad_limits() -> None:
    assert 64 * MiB == DEFAULT_MAX_RESPONSE_BYTES
    for bad in (0, -1, 1.5, "64", True):
        with pytest.raises(ValidationError) as info:
            AsyncLambdaCloud(api_key="k", max_response_bytes=bad)  # type: ignore[arg-type]
        assert info.value.field == "max_response_bytes"
