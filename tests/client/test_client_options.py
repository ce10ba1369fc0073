"""Client options are checked at construction (each failure a ``ValidationError`` naming the
option), a closed client stays closed, and the documented lifecycles print no aiohttp dumps."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest

from lambda_cloud import (
    APIStatusError,
    AsyncLambdaCloud,
    ClientClosedError,
    LambdaCloud,
    RetryPolicy,
    SchemeBasicAuth,
    Security,
    ValidationError,
)
from lambda_cloud.emulator import Emulator
from tests.conftest import Canned, make_client

ROOT = Path(__file__).resolve().parents[2]
KEY = "secret_abcdef"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMBDA_API_KEY", raising=False)
    monkeypatch.delenv("LAMBDA_BASE_URL", raising=False)


def refused(field: str, **options: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        AsyncLambdaCloud(**{"api_key": KEY, **options})
    assert info.value.field == field
    assert KEY not in str(info.value)
    return info.value


@pytest.mark.parametrize("key", [123, b"bytes-key", ["k"], ""])
def test_api_key_must_be_a_non_empty_str(key: object) -> None:
    with pytest.raises(ValidationError) as info:
        AsyncLambdaCloud(api_key=key)  # type: ignore[arg-type]
    assert info.value.field == "api_key"


@pytest.mark.parametrize(
    "url",
    [
        "cloud.lambda.ai/api/v1",
        "ftp://cloud.lambda.ai/api/v1",
        "https:///api/v1",
        "https://host:port/api/v1",
        "https://cloud.lambda.ai/api/v1?x=1",
        "https://user:pw@cloud.lambda.ai/api/v1",
    ],
)
def test_base_url_needs_an_http_scheme_and_a_host(url: str) -> None:
    refused("base_url", base_url=url)


def test_base_url_of_the_wrong_type() -> None:
    refused("base_url", base_url=8080)


def test_plain_http_to_a_remote_host_is_refused_unless_allowed() -> None:
    error = refused("base_url", base_url="http://api.example.com/api/v1")
    assert "allow_insecure_http" in str(error)
    client = AsyncLambdaCloud(
        api_key=KEY, base_url="http://api.example.com/api/v1", allow_insecure_http=True
    )
    assert client.base_url == "http://api.example.com/api/v1"
    # A copy pointed elsewhere inherits the permission, or is refused as the constructor would.
    assert client.with_options(base_url="http://other.example/api/v1").base_url.startswith("http:")
    secure = AsyncLambdaCloud(api_key=KEY)
    with pytest.raises(ValidationError):
        secure.with_options(base_url="http://other.example/api/v1")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/api/v1", "http://localhost/api/v1", "http://[::1]:80/api/v1"]
)
def test_plain_http_to_this_machine_is_fine(url: str) -> None:
    assert AsyncLambdaCloud(api_key=KEY, base_url=url).base_url == url


def test_a_base_url_without_api_v1_gets_a_warning_naming_it() -> None:
    with pytest.warns(UserWarning, match="/api/v1"):
        AsyncLambdaCloud(api_key=KEY, base_url="https://cloud.lambda.ai")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AsyncLambdaCloud(api_key=KEY, base_url="https://cloud.lambda.ai/api/v1/")


@pytest.mark.parametrize("timeout", ["10", True, None, float("inf"), [1]])
def test_timeout_is_type_checked(timeout: object) -> None:
    refused("timeout", timeout=timeout)


@pytest.mark.parametrize("retries", [float("inf"), 2.0, "2", True, -1, 101, None])
def test_max_retries_is_type_checked(retries: object) -> None:
    refused("max_retries", max_retries=retries)


def test_max_retries_bounds_are_accepted() -> None:
    AsyncLambdaCloud(api_key=KEY, max_retries=0)
    AsyncLambdaCloud(api_key=KEY, max_retries=100)
    AsyncLambdaCloud(api_key=KEY, max_retries=RetryPolicy(max_retries=5))


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("default_headers", True, "default_headers"),
        ("default_headers", 0, "default_headers"),  # falsy, yet no mapping
        ("default_headers", {"X-Team": 5}, "default_headers['X-Team']"),
        ("default_headers", {"X-Team": "a\r\nX-Evil: 1"}, "default_headers['X-Team']"),
        ("default_headers", {"X Team": "ml"}, "default_headers"),
        ("default_headers", {1: "ml"}, "default_headers"),
        ("session", True, "session"),
        ("trace_configs", True, "trace_configs"),
        ("trace_configs", [1], "trace_configs[0]"),
        ("allow_insecure_http", 0, "allow_insecure_http"),
        ("allow_insecure_http", None, "allow_insecure_http"),
        ("rate_limits", {"general": {"rate": "fast"}}, "rate_limits.general.rate"),
    ],
)
def test_options_that_would_fail_at_the_first_request_are_refused_now(
    option: str, value: object, field: str
) -> None:
    refused(field, **{option: value})


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("default_headers", True, "default_headers"),
        ("default_headers", {"X-Team": "a\nb"}, "default_headers['X-Team']"),
        ("allow_insecure_http", 1, "allow_insecure_http"),
        ("rate_limits", {"general": {}}, "rate_limits.general"),
    ],
)
def test_with_options_checks_them_too(option: str, value: object, field: str) -> None:
    client = AsyncLambdaCloud(api_key=KEY)
    with pytest.raises(ValidationError) as info:
        client.with_options(**{option: value})
    assert info.value.field == field


def test_good_default_headers_are_sent_as_given() -> None:
    client = AsyncLambdaCloud(api_key=KEY, default_headers={"X-Team": "ml\tops"})
    copy = client.with_options(default_headers={"X-Env": "prod"})
    assert dict(copy._transport.default_headers) == {"X-Team": "ml\tops", "X-Env": "prod"}


@pytest.mark.parametrize("retries", [float("inf"), "3", 101, -1])
async def test_per_call_retries_are_checked_before_sending(canned: Canned, retries: Any) -> None:
    canned.reply(200, {"data": []})
    async with AsyncLambdaCloud(api_key=KEY, base_url=canned.base_url, rate_limits=None) as c:
        with pytest.raises(ValidationError) as info:
            await c.instances.list(max_retries=retries)
    assert info.value.field == "max_retries"
    assert canned.requests == []


@pytest.mark.parametrize(
    ("security", "field"),
    [
        ("a-key", "security"),
        ({"bearer_auth": "k"}, "security"),
        (Security(bearer_auth=5), "security.bearer_auth"),  # type: ignore[arg-type]
        (Security(basic_auth="user"), "security.basic_auth"),  # type: ignore[arg-type]
        (Security(basic_auth=SchemeBasicAuth(username="")), "security.basic_auth.username"),
    ],
)
async def test_security_is_type_checked_before_sending(
    canned: Canned, security: Any, field: str
) -> None:
    canned.reply(200, {"data": []})
    async with AsyncLambdaCloud(api_key=KEY, base_url=canned.base_url, rate_limits=None) as c:
        with pytest.raises(ValidationError) as info:
            await c.instances.list_instances(security=security)
    assert info.value.field == field
    assert canned.requests == []


async def test_a_closed_client_raises_instead_of_reopening(emu: Emulator) -> None:
    client = make_client(emu)
    copy = client.with_options(timeout=5.0)
    await client.regions.list()
    await client.aclose()
    with pytest.raises(ClientClosedError):
        await client.regions.list()
    with pytest.raises(ClientClosedError):
        await copy.regions.list()  # the copy shares the closed pool
    await client.aclose()  # closing twice is harmless


def test_the_sync_client_repr_matches_the_async_one() -> None:
    client = LambdaCloud(api_key=KEY, base_url="https://h.invalid/api/v1")
    try:
        assert repr(client) == "LambdaCloud(base_url='https://h.invalid/api/v1')"
        assert KEY not in repr(client)
    finally:
        client.close()


def run_python(source: str) -> subprocess.CompletedProcess[str]:
    """Run ``source`` with warnings (ResourceWarning included) shown, as ``python -X dev``."""
    return subprocess.run(
        [sys.executable, "-X", "dev", "-c", textwrap.dedent(source)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_module_level_client_across_two_asyncio_runs_prints_nothing() -> None:
    result = run_python(
        """
        import asyncio
        from lambda_cloud import AsyncLambdaCloud
        from lambda_cloud.emulator import Emulator

        with Emulator() as emu:
            client = AsyncLambdaCloud(api_key=emu.api_key, base_url=emu.base_url, rate_limits=None)

            async def main() -> None:
                print(len(await client.regions.list()) > 0)

            asyncio.run(main())
            asyncio.run(main())
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
    assert "Unclosed" not in result.stderr
    assert "never closed" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_client_never_closed_gets_one_warning_of_ours() -> None:
    result = run_python(
        """
        import asyncio, gc
        from lambda_cloud import AsyncLambdaCloud
        from lambda_cloud.emulator import Emulator

        with Emulator() as emu:
            async def main() -> None:
                client = AsyncLambdaCloud(
                    api_key=emu.api_key, base_url=emu.base_url, rate_limits=None
                )
                await client.regions.list()
                del client
                gc.collect()

            asyncio.run(main())
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("ResourceWarning: An AsyncLambdaCloud was never closed") == 1
    assert "Unclosed" not in result.stderr


async def test_extra_headers_go_with_that_call_only_over_the_client_headers(
    canned: Canned,
) -> None:
    canned.reply(200, {"data": []})
    async with AsyncLambdaCloud(
        api_key=KEY,
        base_url=canned.base_url,
        rate_limits=None,
        default_headers={"X-Team": "ml", "X-Env": "prod"},
    ) as c:
        await c.instances.list(extra_headers={"X-Env": "staging", "X-Trace": "t1"})
        await c.instances.list()
    with_extra, plain = (r.headers for r in canned.requests)
    assert (with_extra["X-Team"], with_extra["X-Env"], with_extra["X-Trace"]) == (
        "ml",
        "staging",
        "t1",
    )
    assert with_extra["Authorization"] == plain["Authorization"] == f"Bearer {KEY}"
    assert plain["X-Env"] == "prod" and "X-Trace" not in plain


@pytest.mark.parametrize("name", ["Authorization", "user-agent", "Content-Type", "HOST"])
async def test_extra_headers_never_replace_what_the_client_sets(canned: Canned, name: str) -> None:
    canned.reply(200, {"data": []})
    async with AsyncLambdaCloud(api_key=KEY, base_url=canned.base_url, rate_limits=None) as c:
        with pytest.raises(ValidationError) as info:
            await c.instances.list(extra_headers={name: "Bearer someone-else"})
    assert info.value.field == f"extra_headers[{name!r}]"
    assert canned.requests == []


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"timeout": -1}, "timeout"),
        ({"timeout": "5"}, "timeout"),
        ({"extra_headers": {"X-Team": "a\r\nX-Evil: 1"}}, "extra_headers['X-Team']"),
        ({"extra_headers": ["X-Team"]}, "extra_headers"),
    ],
)
async def test_per_call_options_are_checked_before_sending(
    canned: Canned, options: dict[str, Any], field: str
) -> None:
    canned.reply(200, {"data": []})
    async with AsyncLambdaCloud(api_key=KEY, base_url=canned.base_url, rate_limits=None) as c:
        with pytest.raises(ValidationError) as info:
            await c.instances.launch(
                region_name="us-east-1",
                instance_type_name="gpu_1x_a10",
                ssh_key_names=["k"],
                **options,
            )
    assert info.value.field == field
    assert canned.requests == []


async def test_an_unknown_per_call_keyword_is_refused_as_a_signature_would(
    canned: Canned,
) -> None:
    canned.reply(200, {"data": []})
    async with AsyncLambdaCloud(api_key=KEY, base_url=canned.base_url, rate_limits=None) as c:
        with pytest.raises(TypeError, match="retries"):
            await c.instances.list(retries=0)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="retries"):
            await c.instances.launch(  # type: ignore[call-arg]
                region_name="us-east-1", instance_type_name="a", ssh_key_names=["k"], retries=0
            )
        with pytest.raises(TypeError, match="max_retries"):
            await c.instances.launch_many(  # type: ignore[call-arg]
                2, instance_type_name="a", ssh_key_names=["k"], max_retries=0
            )
    assert canned.requests == []


async def test_a_per_call_retry_count_replaces_the_clients(canned: Canned) -> None:
    canned.reply(503, {"error": {"code": "global/unknown", "message": "down"}})
    async with AsyncLambdaCloud(
        api_key=KEY,
        base_url=canned.base_url,
        rate_limits=None,
        max_retries=RetryPolicy(max_retries=3, initial_delay=0.001, max_delay=0.001),
    ) as c:
        with pytest.raises(APIStatusError):
            await c.regions.list(max_retries=0)
        assert len(canned.requests) == 1
        with pytest.raises(APIStatusError):
            await c.regions.list()
    assert len(canned.requests) == 1 + 4
