"""The API key never shows: not in reprs, not in the text of any error the client raises (nor of
its causes, nor a formatted traceback), not in DEBUG logs of real calls, retries included."""

from __future__ import annotations

import base64
import logging
import traceback
from collections.abc import Iterator

import pytest

from lambda_cloud import (
    APIConnectionError,
    APIResponseError,
    APITimeoutError,
    AsyncLambdaCloud,
    AuthenticationError,
    LambdaCloudError,
    LaunchOutcomeUnknownError,
    NotFoundError,
    SchemeBasicAuth,
    Security,
    ValidationError,
)
from lambda_cloud._security import Secret
from lambda_cloud.emulator import Emulator, Fault
from tests.conftest import FAST_RETRIES, make_client

LAUNCH = {
    "region_name": "us-west-1",
    "instance_type_name": "gpu_1x_a10",
    "ssh_key_names": ["my-key"],
}
WRONG_KEY = "secret_wrong_0123456789abcdef"


def forms(key: str) -> list[str]:
    """Every way the key travels: itself and its basic-auth encodings."""
    return [
        key,
        base64.b64encode(f"{key}:".encode()).decode(),
        base64.b64encode(key.encode()).decode(),
    ]


def assert_hidden(text: str, *keys: str) -> None:
    for key in keys:
        for form in forms(key):
            assert form not in text, f"secret leaked in: {text[:300]!r}"


def chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def assert_error_hidden(exc: BaseException, *keys: str) -> None:
    for link in chain(exc):
        assert_hidden(str(link), *keys)
        assert_hidden(repr(link), *keys)
        assert_hidden(repr(getattr(link, "args", ())), *keys)
    assert_hidden("".join(traceback.format_exception(exc)), *keys)


def test_reprs_hide_the_key() -> None:
    key = "secret_repr_0123456789abcdef"
    client = AsyncLambdaCloud(api_key=key, base_url="https://h.invalid/api/v1")
    copy = client.with_options(timeout=1.0)
    texts = [
        repr(client),
        str(client),
        repr(copy),
        repr(client._transport),
        repr(client._api_key),
        repr(Secret(key)),
        repr(Security(bearer_auth=key)),
        repr(Security(basic_auth=SchemeBasicAuth(username=key, password=key))),
        repr(SchemeBasicAuth(username=key)),
        repr(Security(basic_auth=SchemeBasicAuth(username=key)).authorization()),
        repr(client._transport.default_headers),
    ]
    for name in vars(client):
        texts.append(repr(getattr(client, name)))
    for text in texts:
        assert_hidden(text, key)


async def test_errors_hide_the_key(
    emu: Emulator, client: AsyncLambdaCloud, ssh_key: str, closed_url: str
) -> None:
    key = emu.api_key
    caught: list[BaseException] = []

    async def expect(error: type[BaseException], call: object) -> None:
        with pytest.raises(error) as info:
            await call  # type: ignore[misc]
        caught.append(info.value)

    wrong = client.with_options(api_key=WRONG_KEY)
    await expect(AuthenticationError, wrong.instances.list())
    basic = Security(basic_auth=SchemeBasicAuth(username=WRONG_KEY, password=""))
    await expect(AuthenticationError, client.instances.list_instances(security=basic))
    await expect(ValidationError, client.instances.list_instances(security=Security()))
    await expect(NotFoundError, client.instances.get("0" * 32))
    await expect(ValidationError, client.instances.launch(**{**LAUNCH, "ssh_key_names": []}))

    emu.faults.add(Fault(kind="reset_after_commit", method="POST", times=1))
    await expect(LaunchOutcomeUnknownError, client.instances.launch(**LAUNCH))
    emu.faults.add(Fault(kind="reset_after_commit", method="POST", path="/ssh-keys", times=1))
    await expect(APIConnectionError, client.ssh_keys.create("x"))
    emu.faults.add(Fault(kind="malformed_body", times=1))
    await expect(APIResponseError, client.instances.list(max_retries=0))
    emu.faults.add(Fault(kind="delay", delay=30.0, times=1))
    await expect(APITimeoutError, client.instances.list(max_retries=0, timeout=0.2))
    async with make_client(emu, base_url=closed_url, max_retries=0) as offline:
        await expect(APIConnectionError, offline.instances.list())
        await expect(APIConnectionError, offline.instances.launch(**LAUNCH))

    assert len(caught) == 11
    for exc in caught:
        assert isinstance(exc, LambdaCloudError)
        assert_error_hidden(exc, key, WRONG_KEY)


async def test_debug_logs_hide_the_key(
    emu: Emulator, client: AsyncLambdaCloud, ssh_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = emu.api_key
    emu.faults.add(Fault(kind="status", status=503, path="/instances", times=1))
    emu.faults.add(Fault(kind="status", status=429, retry_after=0.01, times=1))
    [instance_id] = await client.instances.launch(**LAUNCH, name="n", user_data="PASSWORD=x")
    await client.instances.list()
    await client.instances.update(instance_id, name="m")
    await client.instances.list_instances(security=Security(bearer_auth=key))
    basic = Security(basic_auth=SchemeBasicAuth(username=key, password=""))
    await client.instances.list_instances(security=basic)
    with pytest.raises(AuthenticationError):
        await client.with_options(api_key=WRONG_KEY).ssh_keys.list()
    emu.faults.add(Fault(kind="status", status=503, path="/instances"))
    with pytest.raises(LambdaCloudError):
        await client.instances.list()
    await client.instances.terminate([instance_id])

    ours = [r for r in caplog.records if r.name.startswith("lambda_cloud")]
    assert any("retrying" in r.getMessage() for r in ours)
    assert len(ours) >= 10
    for record in caplog.records:
        assert_hidden(record.getMessage(), key, WRONG_KEY)
        assert_hidden(repr(record.args), key, WRONG_KEY)
        if record.exc_info and record.exc_info[1] is not None:
            assert_error_hidden(record.exc_info[1], key, WRONG_KEY)
    assert_hidden(caplog.text, key, WRONG_KEY)
    assert "PASSWORD" not in caplog.text
    assert FAST_RETRIES.max_retries == 2  # the failing list above was retried twice and logged
