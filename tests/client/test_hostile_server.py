"""The client against a server that misbehaves: redirects, huge bodies, a gzip bomb, a body that
never ends, error text echoing the API key, page tokens that never end, 429s forever, a storage
host that redirects an upload and upload instructions the client cannot follow. Small
aiohttp.web servers in the test play each part over loopback. Also: the key stays out of the
traceback (locals included) of an error raised while building a client."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib.util
import io
import traceback
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
import orjson
import pytest
from aiohttp import web

from lambda_cloud import (
    APIError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    AsyncLambdaCloud,
    AuthenticationError,
    DeadlineExceededError,
    InternalServerError,
    LambdaCloud,
    LaunchOutcomeUnknownError,
    PaginationError,
    RateLimitError,
    RedirectError,
    ResponseTooLargeError,
    RetryPolicy,
    SchemeBasicAuth,
    Security,
    ValidationError,
    WaitTimeoutError,
)
from lambda_cloud._config import DEFAULT_MAX_RESPONSE_BYTES
from lambda_cloud._retry import DEFAULT_RETRY_WINDOW
from lambda_cloud._security import Secret
from lambda_cloud.emulator import Emulator, Fault
from lambda_cloud.resources._pages import MAX_PAGES
from tests.conftest import FAST_RETRIES

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
            await client.images.list(max_retries=0)
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


# -- a server of the test's own ------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[str]:
    """A loopback server answering every request with ``handler``; yields its API base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/api/v1"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def served(handler: Handler, api_key: str = "k") -> AsyncIterator[AsyncLambdaCloud]:
    """A client (no pacing) of a server answering every request with ``handler``."""
    async with (
        serve(handler) as url,
        AsyncLambdaCloud(api_key=api_key, base_url=url, rate_limits=None) as client,
    ):
        yield client


# -- the key in tracebacks -----------------------------------------------------------------------

#: Longer than the 80 characters of a local rich shows (as ``repr(value[:80])``).
KEY = "secret_hostile_" + "0123456789abcdef" * 6
#: Any part of the key this long, found in a text, is a leak.
PART = KEY[:20]

BAD_OPTIONS = [
    pytest.param({"base_url": "ftp://example.com/api/v1"}, id="base_url"),
    pytest.param({"timeout": -1.0}, id="timeout"),
    pytest.param({"rate_limits": {"general": {"rate": "fast"}}}, id="rate_limits"),
    pytest.param({"max_retries": -1}, id="max_retries"),
]


def raised(build: Callable[[], object]) -> ValueError:
    """The error ``build`` raises (the key is a global: this frame's locals never hold it).
    A ``ValueError``: a bad ``rate_limits`` mapping raises a plain one (not yet a
    ``ValidationError``, which is one)."""
    with pytest.raises(ValueError) as info:
        build()
    return info.value


def assert_traceback_hides_the_key(exc: BaseException) -> None:
    """Neither a frame's locals nor the traceback formatted with them (by the standard library
    and, if installed, rich) show the key, which the frames do hold (concealed)."""
    frames = [frame for frame, _ in traceback.walk_tb(exc.__traceback__)]
    held = [v for f in frames for v in f.f_locals.values() if isinstance(v, str) and v == KEY]
    assert held and all(type(v) is Secret for v in held)
    for frame in frames:
        for name, value in frame.f_locals.items():
            assert PART not in repr(value), f"{name} in {frame.f_code.co_name}"
    formatted = traceback.TracebackException.from_exception(exc, capture_locals=True).format()
    text = "".join(formatted)
    assert "api_key = '<redacted>'" in text
    assert PART not in text
    if importlib.util.find_spec("rich") is None:  # the CLI's extra
        return
    from rich.console import Console
    from rich.traceback import Traceback

    console = Console(file=io.StringIO(), width=300, color_system=None)
    console.print(Traceback.from_exception(type(exc), exc, exc.__traceback__, show_locals=True))
    shown = console.file.getvalue()
    assert "api_key" in shown and PART not in shown


@pytest.mark.parametrize("bad", BAD_OPTIONS)
def test_an_async_constructor_error_hides_the_key(bad: dict[str, Any]) -> None:
    error = raised(lambda: AsyncLambdaCloud(api_key=KEY, **bad))
    assert_traceback_hides_the_key(error)


@pytest.mark.parametrize("bad", BAD_OPTIONS)
def test_a_sync_constructor_error_hides_the_key(bad: dict[str, Any]) -> None:
    error = raised(lambda: LambdaCloud(api_key=KEY, **bad))
    assert_traceback_hides_the_key(error)


async def test_with_options_errors_hide_the_key() -> None:
    async with AsyncLambdaCloud(api_key="k", base_url="https://h.invalid/api/v1") as client:
        error = raised(lambda: client.with_options(api_key=KEY, timeout=-1.0))
    assert_traceback_hides_the_key(error)


def test_sync_with_options_errors_hide_the_key() -> None:
    with LambdaCloud(api_key="k", base_url="https://h.invalid/api/v1") as client:
        error = raised(lambda: client.with_options(api_key=KEY, max_retries=-1))
    assert_traceback_hides_the_key(error)


def test_a_half_built_client_has_a_repr() -> None:
    for cls in (AsyncLambdaCloud, LambdaCloud):
        assert repr(object.__new__(cls)) == f"<{cls.__name__} (not initialised)>"


# -- error text that echoes the key --------------------------------------------------------------


def echoing(status: int, *, html: bool = False) -> Handler:
    """Answers ``status`` with every form of every credential it has been sent, in every part
    of the error: message, suggestion, code, body, headers; as JSON, or as an HTML page that
    the client's 2048-character cut would cut through the key."""
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.headers["Authorization"])
        forms = []
        for sent in seen:
            scheme, _, token = sent.partition(" ")
            forms += [sent, token]
            if scheme == "Basic":
                pair = base64.b64decode(token).decode()
                forms += [pair, pair.partition(":")[0]]
        echo = " / ".join(forms)
        headers = {"X-Echo": echo}
        if html:
            text = HTML_PAGE.format(sent=seen[-1])
            return web.Response(status=status, text=text, content_type="text/html", headers=headers)
        token = seen[-1].partition(" ")[2]
        body = {
            "error": {
                "code": f"global/{token}",
                "message": f"bad Authorization header: {echo}",
                "suggestion": f"{token} is not a valid key",
            },
            "echo": {token: forms},
        }
        return web.json_response(body, status=status, headers=headers)

    return handle


#: 2018 characters before the key: a cut at 2048 before redacting would keep 30 of it.
HTML_PAGE = "<p>" + "x" * 2008 + "{sent}</p>" + "y" * 100


def assert_redacted(exc: BaseException) -> None:
    texts = [str(exc), repr(exc), repr(exc.args), "".join(traceback.format_exception(exc))]
    if isinstance(exc, APIError):
        texts.append(exc.message)
    if isinstance(exc, APIStatusError):
        texts += [str(exc.suggestion), str(exc.code), repr(exc.body), repr([*exc.headers.items()])]
    basic = base64.b64encode(f"{KEY}:".encode()).decode()
    for text in texts:
        assert PART not in text and basic[:20] not in text, text[:300]


@pytest.mark.parametrize("status", [401, 500])
async def test_error_text_echoing_the_key_is_redacted(status: int) -> None:
    expected = AuthenticationError if status == 401 else InternalServerError
    async with served(echoing(status), api_key=KEY) as client:
        with pytest.raises(expected) as info:
            await client.instances.list(max_retries=0)
    assert_redacted(info.value)
    assert str(info.value).startswith(f"{status} global/<redacted>: bad Authorization header: ")
    assert info.value.headers["x-echo"] == "Bearer <redacted> / <redacted>"
    assert info.value.suggestion == "<redacted> is not a valid key"
    assert info.value.code == "global/<redacted>"


async def test_an_html_error_page_is_cut_after_the_redaction() -> None:
    async with served(echoing(502, html=True), api_key=KEY) as client:
        with pytest.raises(InternalServerError) as info:
            await client.instances.list(max_retries=0)
    assert info.value.body == HTML_PAGE.format(sent="Bearer <redacted>")[:2048]
    assert_redacted(info.value)


async def test_echoed_per_call_credentials_and_the_clients_key_are_redacted() -> None:
    other = "secret_other_" + "f" * 40
    async with served(echoing(401), api_key=KEY) as client:
        with pytest.raises(AuthenticationError):
            await client.instances.list(max_retries=0)  # the server learns the client's key
        basic = Security(basic_auth=SchemeBasicAuth(username=other))
        with pytest.raises(AuthenticationError) as info:
            await client.instances.list_instances(security=basic, max_retries=0)
        bearer = Security(bearer_auth=other)
        with pytest.raises(AuthenticationError) as second:
            await client.instances.list_instances(security=bearer, max_retries=0)
    for exc in (info.value, second.value):
        assert_redacted(exc)
        assert "<redacted>" in str(exc)
        assert other[:20] not in repr(exc.body) + repr([*exc.headers.items()])


# -- page tokens that never end ------------------------------------------------------------------


def endless_pages() -> tuple[Handler, list[str]]:
    """Answers every audit-events and tickets page with a token never seen before; returns the
    handler and the tokens it was asked for."""
    asked: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        asked.append(request.query.get("page_token", ""))
        token = f"t{len(asked)}"
        if request.path.endswith("/audit-events"):
            return web.json_response({"data": [], "page_token": token})
        return web.json_response({"data": {"tickets": [], "page_token": token}})

    return handle, asked


@pytest.mark.parametrize("resource", ["audit_events", "tickets"])
async def test_endless_page_tokens_stop_at_max_pages(resource: str) -> None:
    handle, asked = endless_pages()
    async with served(handle) as client:
        pages = getattr(client, resource).list(max_pages=7)
        with pytest.raises(PaginationError) as info:
            async for _ in pages:
                pass
    assert info.value.pages == 7 and "max_pages=7" in str(info.value)
    assert asked == ["", *(f"t{n}" for n in range(1, 7))]  # each token once, seven pages


async def test_a_repeated_page_token_from_the_server_stops_the_iteration() -> None:
    async def handle(request: web.Request) -> web.Response:
        token = {"": "a", "a": "b", "b": "a"}[request.query.get("page_token", "")]
        return web.json_response({"data": {"tickets": [], "page_token": token}})

    async with served(handle) as client:
        with pytest.raises(PaginationError) as info:
            async for _ in client.tickets.list():
                pass
    assert info.value.pages == 3 and isinstance(info.value, APIResponseError)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
async def test_max_pages_is_checked(bad: object) -> None:
    async with AsyncLambdaCloud(api_key="k", base_url="https://h.invalid/api/v1") as client:
        with pytest.raises(ValidationError) as info:
            async for _ in client.tickets.list(max_pages=bad):  # type: ignore[arg-type]
                pass
    assert info.value.field == "max_pages"


def test_the_documented_page_limit() -> None:
    assert MAX_PAGES == 10_000


# -- 429 forever ---------------------------------------------------------------------------------


def test_the_documented_retry_window() -> None:
    assert DEFAULT_RETRY_WINDOW == 120.0 == RetryPolicy().retry_window
    for bad in (0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="retry_window"):
            RetryPolicy(retry_window=bad)


async def test_launch_many_without_a_timeout_gives_up_on_endless_429s(
    emu: Emulator, client: AsyncLambdaCloud, ssh_key: str
) -> None:
    throttle = Fault(kind="status", status=429, retry_after=0.0, path="/instance-operations/launch")
    emu.faults.add(throttle)
    policy = attrs.evolve(FAST_RETRIES, retry_window=0.2)
    # wait_for only guards against a hang; the outcome does not depend on it.
    report = await asyncio.wait_for(
        client.with_options(max_retries=policy).instances.launch_many(
            2,
            region_names=["us-west-1"],
            instance_type_name="gpu_1x_a10",
            ssh_key_names=[ssh_key],
            timeout=None,
        ),
        timeout=60,
    )
    assert report.instances == [] and emu.instances() == []
    assert [f.slot for f in report.failures] == [0, 1]
    for failure in report.failures:
        assert isinstance(failure.error, DeadlineExceededError)
        assert isinstance(failure.error.__cause__, RateLimitError)
        assert "retry_window" in str(failure.error)
    assert throttle.fired >= 4  # each slot was retried, not given up at once


async def test_a_bulk_list_without_a_timeout_gives_up_after_the_window(
    emu: Emulator, client: AsyncLambdaCloud
) -> None:
    emu.faults.add(Fault(kind="status", status=429, retry_after=0.0, path="/instances"))
    policy = attrs.evolve(FAST_RETRIES, retry_window=0.2)
    with pytest.raises(WaitTimeoutError) as info:
        await asyncio.wait_for(
            client.with_options(max_retries=policy).instances.wait_for(["i-1"], timeout=None),
            timeout=60,
        )
    assert isinstance(info.value.__cause__, DeadlineExceededError)
    assert isinstance(info.value.__cause__.__cause__, RateLimitError)


# -- presigned uploads ---------------------------------------------------------------------------


class Storage:
    """The API's attachment routes, and a storage host (on the same server) whose upload URL
    redirects to a third host; ``initiate`` may be changed to hand out other instructions."""

    def __init__(self) -> None:
        self.url = ""
        self.received: dict[str, bytes] = {}
        self.initiate: dict[str, Any] = {}

    async def handle(self, request: web.Request) -> web.Response:
        path, root = request.path, self.url.removesuffix("/api/v1")
        if path.startswith(("/storage", "/third")):
            self.received[path] = await request.read()
            if path.startswith("/storage"):
                return web.Response(status=307, headers={"Location": root + "/third?sig=s"})
            return web.Response()
        if path.endswith("/attachments"):
            upload = {
                "attachment_id": "a1",
                "upload_url": root + "/storage/a1?sig=secret",
                "upload_method": "PUT",
                "upload_status": "pending",
                "expires_in": 3600,
                **self.initiate,
            }
            return web.json_response({"data": upload})
        raise AssertionError(f"unexpected {request.method} {path}")


async def test_a_presigned_upload_does_not_follow_a_redirect() -> None:
    storage = Storage()
    async with served(storage.handle) as client:
        storage.url = client.base_url
        with pytest.raises(RedirectError) as info:
            await client.tickets.attachments.upload("t1", b"the file", filename="f.txt")
    assert storage.received == {"/storage/a1": b"the file"}  # never resent to the third host
    assert info.value.status_code == 307
    assert "sig=" not in str(info.value) and "sig=" not in str(info.value.location)


@pytest.mark.parametrize(
    "instructions",
    [
        {"upload_method": "DELETE"},
        {"upload_method": "PUT\r\nX-Injected: 1"},
        {"upload_method": "GET /x HTTP/1.1"},
        {"upload_url": "file:///etc/passwd"},
        {"upload_url": "not a url"},
        {"upload_method": None},
        {"upload_url": 5},
        {"attachment_id": ".."},
    ],
    ids=["delete", "crlf", "request-line", "file-url", "no-url", "no-method", "int-url", "dot-id"],
)
async def test_unusable_upload_instructions_are_a_typed_error(
    instructions: dict[str, Any],
) -> None:
    storage = Storage()
    storage.initiate = instructions
    async with served(storage.handle) as client:
        storage.url = client.base_url
        with pytest.raises(APIResponseError, match="Unusable upload instructions"):
            await client.tickets.attachments.upload("t1", b"the file", filename="f.txt")
    assert storage.received == {}  # nothing was sent anywhere
