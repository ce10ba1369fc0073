"""A shared store that fails (unreachable at start or mid-run, slow, answering nonsense) costs
one warning and the fallback to the process's own adaptive pacing, then is tried again; with
``strict=True`` it raises ``SharedStateError`` before anything is sent. Never a hang, never an
untyped exception."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    RateLimits,
    SharedState,
    SharedStateError,
    ValidationError,
)
from lambda_cloud.emulator import Emulator
from lambda_cloud.shared.pacing import SharedRateLimiter

from .conftest import RedisServer

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(time_scale=0.001) as emulator:
        yield emulator


def client_for(emu: Emulator, shared: SharedState | str) -> AsyncLambdaCloud:
    limits = RateLimits(shared=shared).scaled(0.001)
    return AsyncLambdaCloud(api_key=emu.api_key, base_url=emu.base_url, rate_limits=limits)


def store_of(client: AsyncLambdaCloud) -> SharedRateLimiter:
    limiter = client._transport.rate_limiter
    assert isinstance(limiter, SharedRateLimiter)
    return limiter


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The SDK's warnings."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name == "lambda_cloud"
    ]


async def serving(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"redis://:hunter2@127.0.0.1:{port}/0"


async def test_unreachable_at_start_paces_locally_with_one_warning(
    emu: Emulator, closed_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = closed_url.replace("http://", "redis://:hunter2@").removesuffix("/api/v1")
    async with client_for(emu, url) as client:
        for _ in range(10):
            assert await client.instances.list() == []
        assert store_of(client).store.down
    [warning] = warnings_in(caplog)
    assert "failed" in warning and "trying the store again in 30s" in warning
    assert "hunter2" not in caplog.text  # the store's password stays out of the log


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(b"+OK\r\n", id="a-status"),
        pytest.param(b"$5\r\nhello\r\n", id="a-string"),
        pytest.param(b"*2\r\n:7\r\n:-1\r\n", id="a-wrong-list"),
        pytest.param(b"not redis at all\r\n", id="garbage"),
        pytest.param(b"-ERR unknown command\r\n", id="an-error"),
    ],
)
async def test_a_store_answering_nonsense(
    emu: Emulator, reply: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(65536):
            writer.write(reply)
            await writer.drain()
        writer.close()

    server, url = await serving(answer)
    async with server:
        async with client_for(emu, url) as client:
            assert await client.instances.list() == []
        assert len(warnings_in(caplog)) == 1
        strict = SharedState(url=url, strict=True)
        async with client_for(emu, strict) as client:
            with pytest.raises(SharedStateError) as info:
                await client.instances.list()
        assert "hunter2" not in str(info.value)


async def test_a_store_that_never_answers_costs_its_timeout_once(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    connections = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.read()  # until the client hangs up

    server, url = await serving(hold)
    async with server:
        async with client_for(emu, SharedState(url=url, timeout=0.2)) as client:
            for _ in range(5):
                assert await client.instances.list() == []
        # One timeout, then the store is left alone until it is due for a recheck.
        assert len(connections) == 1
        assert len(warnings_in(caplog)) == 1


async def test_strict_raises_before_anything_is_sent(emu: Emulator, closed_url: str) -> None:
    url = closed_url.replace("http://", "redis://").removesuffix("/api/v1")
    async with client_for(emu, SharedState(url=url, strict=True)) as client:
        for _ in range(2):  # every call tries the store again
            with pytest.raises(SharedStateError):
                await client.ssh_keys.create("k")
    async with AsyncLambdaCloud(api_key=emu.api_key, base_url=emu.base_url) as plain:
        assert await plain.ssh_keys.list() == []


async def test_a_store_that_dies_mid_run_and_comes_back(
    emu: Emulator, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    shared = SharedState(url=redis_server.url, recheck=0.05)
    async with client_for(emu, shared) as client:
        limiter = store_of(client)
        assert await client.instances.list() == []
        assert not limiter.store.down
        redis_server.stop()
        for _ in range(5):
            assert await client.instances.list() == []  # paced locally meanwhile
        assert limiter.store.down
        redis_server.start()
        deadline = time.monotonic() + 30.0
        while limiter.store.down:  # back once a call after the recheck finds it
            assert time.monotonic() < deadline, "the store was never tried again"
            assert await client.instances.list() == []
            await asyncio.sleep(0.01)
    messages = warnings_in(caplog)
    assert len(messages) == 2
    assert "failed" in messages[0] and "reachable again" in messages[1]


@pytest.mark.parametrize(
    "form",
    [
        pytest.param("redis://:hunter2@{host}/0", id="in-the-user-part"),
        pytest.param("redis://{host}/0?password=hunter2&db=0", id="as-a-query-parameter"),
    ],
)
async def test_the_stores_password_stays_out_of_logs_errors_and_reprs(
    emu: Emulator, closed_url: str, caplog: pytest.LogCaptureFixture, form: str
) -> None:
    # The redis client reads a password from the query too (?password=...).
    url = form.format(host=closed_url.removeprefix("http://").removesuffix("/api/v1"))
    async with client_for(emu, url) as client:
        assert await client.instances.list() == []
    async with client_for(emu, SharedState(url=url, strict=True)) as client:
        with pytest.raises(SharedStateError) as info:
            await client.instances.list()
    [warning] = warnings_in(caplog)
    assert "***" in warning and "***" in str(info.value)
    shown = [caplog.text, str(info.value), repr(SharedState(url=url))]
    assert not [text for text in shown if "hunter2" in text]


def test_an_unreadable_store_url_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as info:
        RateLimits(shared="redis://[::1")  # an unclosed IPv6 bracket
    assert info.value.field == "shared"
