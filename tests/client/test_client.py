"""Client configuration and the transport around it: environment fallbacks, base URL, the shared
connection pool of ``with_options`` copies, borrowed sessions, trace configs, the headers that
reach the server, and odd success bodies."""

from __future__ import annotations

import pickle
from typing import Any

import aiohttp
import pytest

from lambda_cloud import (
    DEFAULT_BASE_URL,
    AccountInactiveError,
    APIResponseError,
    AsyncLambdaCloud,
    InternalServerError,
    LambdaCloudError,
    LaunchOutcomeUnknownError,
    RateLimits,
    RetryPolicy,
    ValidationError,
    __version__,
)
from lambda_cloud.emulator import Emulator
from tests.conftest import Canned, make_client

USER_AGENT = f"lambda-cloud-python/{__version__}"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMBDA_API_KEY", raising=False)
    monkeypatch.delenv("LAMBDA_BASE_URL", raising=False)


# -- configuration -----------------------------------------------------------------------------


def test_api_key_and_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_API_KEY", "secret_from_env")
    monkeypatch.setenv("LAMBDA_BASE_URL", "http://localhost:8080/api/v1/")
    client = AsyncLambdaCloud()
    assert client.base_url == "http://localhost:8080/api/v1"
    assert client._api_key == "secret_from_env"


def test_explicit_arguments_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_API_KEY", "secret_from_env")
    monkeypatch.setenv("LAMBDA_BASE_URL", "https://env.invalid/api/v1")
    client = AsyncLambdaCloud(api_key="secret_explicit", base_url="https://explicit.invalid/api/v1")
    assert client.base_url == "https://explicit.invalid/api/v1"
    assert client._api_key == "secret_explicit"


def test_default_base_url() -> None:
    assert AsyncLambdaCloud(api_key="k").base_url == DEFAULT_BASE_URL
    assert DEFAULT_BASE_URL == "https://cloud.lambda.ai/api/v1"


@pytest.mark.parametrize(
    "url", ["https://h.invalid/api/v1", "https://h.invalid/api/v1/", "https://h.invalid/api/v1//"]
)
def test_base_url_trailing_slashes_are_dropped(url: str) -> None:
    assert AsyncLambdaCloud(api_key="k", base_url=url).base_url == "https://h.invalid/api/v1"


@pytest.mark.parametrize("key", [None, ""])
def test_missing_api_key_names_the_argument_and_the_variable(key: str | None) -> None:
    with pytest.raises(LambdaCloudError) as info:
        AsyncLambdaCloud(api_key=key)
    assert "api_key" in str(info.value)
    assert "LAMBDA_API_KEY" in str(info.value)


def test_empty_environment_variable_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_API_KEY", "")
    with pytest.raises(LambdaCloudError, match="LAMBDA_API_KEY"):
        AsyncLambdaCloud()


def test_reprs() -> None:
    client = AsyncLambdaCloud(api_key="secret_k", base_url="https://h.invalid/api/v1")
    assert repr(client) == "AsyncLambdaCloud(base_url='https://h.invalid/api/v1')"
    assert (
        repr(client.instances)
        == "<AsyncInstances of ClientAPI(base_url='https://h.invalid/api/v1')>"
    )


def test_clients_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(AsyncLambdaCloud(api_key="k"))


def test_with_options_changes_only_what_is_given() -> None:
    limits = RateLimits()
    client = AsyncLambdaCloud(
        api_key="secret_a",
        base_url="https://a.invalid/api/v1",
        max_retries=5,
        default_headers={"X-One": "1"},
        rate_limits=limits,
    )
    copy = client.with_options(timeout=3.0, default_headers={"X-Two": "2"})
    assert copy is not client
    assert copy.base_url == client.base_url
    assert copy._api_key == "secret_a"
    assert copy._transport.retry_policy == RetryPolicy(max_retries=5)
    assert copy._transport.timeout.total == 3.0
    assert copy._transport.default_headers == {"X-One": "1", "X-Two": "2"}
    assert copy._transport.rate_limiter is client._transport.rate_limiter  # shared buckets
    assert copy.rate_limits == limits
    other = client.with_options(
        api_key="secret_b", base_url="https://b.invalid/api/v1/", max_retries=0, rate_limits=None
    )
    assert other._api_key == "secret_b"
    assert other.base_url == "https://b.invalid/api/v1"
    assert other._transport.retry_policy.max_retries == 0
    assert other.rate_limits is None
    assert client.rate_limits == limits  # the original is untouched


# -- the connection pool -----------------------------------------------------------------------


class Traced:
    """A TraceConfig that records requests (with their headers) and connection use."""

    def __init__(self) -> None:
        self.config = aiohttp.TraceConfig()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.statuses: list[int] = []
        self.created = 0
        self.reused = 0
        self.config.on_request_start.append(self._start)
        self.config.on_request_end.append(self._end)
        self.config.on_connection_create_end.append(self._create)
        self.config.on_connection_reuseconn.append(self._reuse)

    async def _start(self, _s: Any, _c: Any, params: aiohttp.TraceRequestStartParams) -> None:
        self.requests.append((params.method, str(params.url), dict(params.headers)))

    async def _end(self, _s: Any, _c: Any, params: aiohttp.TraceRequestEndParams) -> None:
        self.statuses.append(params.response.status)

    async def _create(self, *_: Any) -> None:
        self.created += 1

    async def _reuse(self, *_: Any) -> None:
        self.reused += 1


async def test_trace_configs_receive_events_and_the_user_agent(emu: Emulator) -> None:
    traced = Traced()
    async with make_client(emu, trace_configs=[traced.config]) as client:
        await client.instances.list()
        with pytest.raises(LambdaCloudError):
            await client.instances.get("0" * 32)
    assert [(m, u) for m, u, _ in traced.requests] == [
        ("GET", f"{emu.base_url}/instances"),
        ("GET", f"{emu.base_url}/instances/{'0' * 32}"),
    ]
    assert traced.statuses == [200, 404]
    headers = traced.requests[0][2]
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept"] == "application/json"
    assert headers["Authorization"] == f"Bearer {emu.api_key}"


async def test_with_options_copies_share_the_connection_pool(emu: Emulator) -> None:
    traced = Traced()
    async with make_client(emu, trace_configs=[traced.config]) as client:
        copy = client.with_options(timeout=5.0, max_retries=0)
        await client.instances.list()
        await copy.instances.list()
        await copy.aclose()  # a copy does not own the pool: this leaves it open
        await client.ssh_keys.list()
        assert copy._transport.sessions is client._transport.sessions
    assert traced.statuses == [200, 200, 200]
    assert (traced.created, traced.reused) == (1, 2)


async def test_aclose_closes_an_owned_session(emu: Emulator) -> None:
    client = make_client(emu)
    await client.instances.list()
    session = client._transport.sessions.get()
    await client.aclose()
    assert session.closed


async def test_a_borrowed_session_is_not_closed(emu: Emulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with make_client(emu, session=session) as client:
            assert await client.instances.list() == []
            assert client._transport.sessions.get() is session
        assert not session.closed
        async with session.get(f"{emu.base_url}/instances") as response:
            assert response.status == 401  # still usable (and it sent no key of its own)


# -- what reaches the server -------------------------------------------------------------------


async def test_headers_and_body_that_reach_the_server(canned: Canned) -> None:
    canned.reply(200, {"data": {"instance_ids": ["i-1"]}})
    async with AsyncLambdaCloud(
        api_key="secret_k",
        base_url=canned.base_url,
        rate_limits=None,
        default_headers={"X-Request-Source": "tests"},
        owner="me",
    ) as client:
        ids = await client.instances.launch(
            region_name="us-west-1", instance_type_name="gpu_1x_a10", ssh_key_names=["k"]
        )
    assert ids == ["i-1"]
    [received] = canned.requests
    assert (received.method, received.path) == ("POST", "/api/v1/instance-operations/launch")
    assert received.headers["User-Agent"] == USER_AGENT
    assert received.headers["Authorization"] == "Bearer secret_k"
    assert received.headers["X-Request-Source"] == "tests"
    assert received.headers["Content-Type"] == "application/json"
    assert received.body == (
        b'{"region_name":"us-west-1","instance_type_name":"gpu_1x_a10","ssh_key_names":["k"],'
        b'"tags":[{"key":"lambda-cloud-owner","value":"me"}]}'
    )


async def test_default_headers_cannot_replace_the_authorization(canned: Canned) -> None:
    canned.reply(200, {"data": []})
    async with AsyncLambdaCloud(
        api_key="secret_k",
        base_url=canned.base_url,
        rate_limits=None,
        default_headers={"Authorization": "Bearer someone-else"},
    ) as client:
        await client.instances.list()
    assert canned.requests[0].headers["Authorization"] == "Bearer secret_k"


async def test_html_502_from_a_proxy(canned: Canned) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    canned.reply(502, page, {"Content-Type": "text/html"})
    async with AsyncLambdaCloud(
        api_key="k", base_url=canned.base_url, rate_limits=None, max_retries=0
    ) as client:
        with pytest.raises(InternalServerError) as info:
            await client.instances.list()
    exc = info.value
    assert exc.status_code == 502
    assert exc.code is None
    assert exc.body == page


async def test_403_without_a_suggestion(canned: Canned) -> None:
    canned.reply(403, {"error": {"code": "global/account-inactive", "message": "Inactive."}})
    async with AsyncLambdaCloud(api_key="k", base_url=canned.base_url, rate_limits=None) as client:
        with pytest.raises(AccountInactiveError) as info:
            await client.ssh_keys.list()
    assert (info.value.message, info.value.suggestion) == ("Inactive.", None)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b"", id="empty"),
        pytest.param(b"[]", id="list"),
        pytest.param(b'{"instances": []}', id="no-envelope"),
    ],
)
async def test_unreadable_success_bodies(canned: Canned, body: bytes) -> None:
    canned.reply(200, body)
    async with AsyncLambdaCloud(
        api_key="k", base_url=canned.base_url, rate_limits=None, max_retries=0
    ) as client:
        with pytest.raises(APIResponseError):
            await client.instances.list()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([{"id": "i-1"}], id="missing-fields"),
        pytest.param({"id": "i-1"}, id="object-not-list"),
    ],
)
async def test_success_bodies_that_do_not_fit_the_model(canned: Canned, data: object) -> None:
    canned.reply(200, {"data": data})
    async with AsyncLambdaCloud(
        api_key="k", base_url=canned.base_url, rate_limits=None, max_retries=0
    ) as client:
        with pytest.raises(APIResponseError):
            await client.instances.list()


async def test_api_key_with_a_trailing_newline(emu: Emulator) -> None:
    try:
        client = make_client(emu, api_key=emu.api_key + "\n")
    except LambdaCloudError as exc:  # refusing it up front is fine too
        assert emu.api_key not in str(exc)
        return
    async with client:
        assert await client.instances.list() == []


def test_with_options_checks_the_api_key_as_the_constructor_does() -> None:
    client = AsyncLambdaCloud(api_key="secret_a")
    assert client.with_options(api_key="secret_b\n")._api_key == "secret_b"
    with pytest.raises(LambdaCloudError):
        client.with_options(api_key="")
    with pytest.raises(LambdaCloudError):
        client.with_options(api_key="secret\r\nX-Injected: 1")


@pytest.mark.parametrize("seconds", [0, 0.0, -1.0, float("nan")])
def test_a_timeout_that_aiohttp_would_read_as_none_is_refused(seconds: float) -> None:
    # aiohttp takes a total of 0 (or less) as "no timeout at all".
    with pytest.raises(ValidationError, match="timeout"):
        AsyncLambdaCloud(api_key="k", timeout=seconds)
    with pytest.raises(ValidationError, match="timeout"):
        AsyncLambdaCloud(api_key="k").with_options(timeout=seconds)


async def test_a_per_call_timeout_of_zero_is_refused_before_sending(canned: Canned) -> None:
    canned.reply(200, {"data": []})
    async with AsyncLambdaCloud(api_key="k", base_url=canned.base_url, rate_limits=None) as client:
        with pytest.raises(ValidationError, match="timeout"):
            await client.instances.list(timeout=0)
    assert canned.requests == []


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="no-ids"),
        pytest.param({"instance_ids": []}, id="empty-ids"),
        pytest.param(None, id="null"),
        pytest.param({"instance_ids": "i-1"}, id="a-string"),
    ],
)
async def test_a_launch_answered_without_ids_is_an_unknown_outcome(
    canned: Canned, data: object
) -> None:
    # The launch went through (200) but the instance cannot be named: never a bare KeyError,
    # which would tempt a caller (or a bulk launch) to launch again.
    canned.reply(200, {"data": data})
    async with AsyncLambdaCloud(
        api_key="k", base_url=canned.base_url, rate_limits=None, max_retries=2
    ) as client:
        with pytest.raises(LaunchOutcomeUnknownError) as info:
            await client.instances.launch(
                region_name="us-west-1", instance_type_name="gpu_1x_a10", ssh_key_names=["k"]
            )
    assert isinstance(info.value.__cause__, APIResponseError)
    assert info.value.request_body["region_name"] == "us-west-1"
    assert len(canned.requests) == 1  # not retried
