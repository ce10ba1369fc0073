"""``client.with_raw_response``: every resource method returns an ``APIResponse``."""

from __future__ import annotations

import orjson
import pytest

from lambda_cloud import APIResponse, AsyncLambdaCloud, InternalServerError, NotFoundError
from lambda_cloud._response import wants_exchange
from lambda_cloud.emulator import Emulator, Fault
from lambda_cloud.types import Image, SSHKey

from ..conftest import PUBLIC_KEY, Canned


async def test_a_list_returns_status_headers_body_and_the_parsed_value(
    client: AsyncLambdaCloud, ssh_key: str
) -> None:
    raw = await client.with_raw_response.ssh_keys.list()
    assert isinstance(raw, APIResponse)
    assert raw.status_code == 200
    assert raw.headers["Content-Type"].startswith("application/json")
    assert raw.method == "GET"
    assert raw.url == client.base_url + "/ssh-keys"
    assert raw.elapsed > 0
    assert raw.exchanges == 1
    assert raw.json() == orjson.loads(raw.content)
    assert [key["name"] for key in raw.json()["data"]] == [ssh_key]
    keys = raw.parse()
    assert [type(key) for key in keys] == [SSHKey]
    assert keys == await client.ssh_keys.list()


async def test_creates_gets_and_nested_resources_all_have_raw_twins(
    client: AsyncLambdaCloud, emu: Emulator
) -> None:
    raw = client.with_raw_response
    created = await raw.ssh_keys.create("k", PUBLIC_KEY)
    assert created.method == "POST"
    assert created.parse().name == "k"
    rules = await raw.firewall.rules.list()
    assert rules.url.endswith("/firewall-rules")
    assert rules.parse() == await client.firewall.rules.list()
    images = await raw.images.list()
    assert all(isinstance(image, Image) for image in images.parse())
    assert images.json()["data"][0]["id"] == images.parse()[0].id


async def test_errors_still_raise_and_a_retried_call_reports_its_last_exchange(
    client: AsyncLambdaCloud, emu: Emulator
) -> None:
    with pytest.raises(NotFoundError):
        await client.with_raw_response.instances.get("0" * 32)
    emu.faults.add(Fault(kind="status", status=503, method="GET", path="/images", times=1))
    raw = await client.with_raw_response.images.list()
    assert (raw.status_code, raw.exchanges) == (200, 2)
    emu.faults.add(Fault(kind="status", status=503, method="GET", path="/images"))
    with pytest.raises(InternalServerError):
        await client.with_raw_response.images.list()


async def test_request_id_comes_from_the_response_header(canned: Canned) -> None:
    canned.reply(200, {"data": []}, headers={"X-Request-Id": "req-123"})
    async with AsyncLambdaCloud(api_key="k", base_url=canned.base_url, rate_limits=None) as client:
        raw = await client.with_raw_response.regions.list()
    assert raw.request_id == "req-123"
    assert raw.parse() == []


async def test_only_single_response_methods_and_resources_are_offered(
    client: AsyncLambdaCloud,
) -> None:
    with pytest.raises(TypeError, match="yields items"):
        await client.with_raw_response.audit_events.list()
    with pytest.raises(AttributeError, match="base_url"):
        client.with_raw_response.base_url  # noqa: B018
    with pytest.raises(AttributeError):
        client.with_raw_response.instances._request  # noqa: B018
    assert "instances" in dir(client.with_raw_response)


async def test_the_capture_ends_with_the_call(client: AsyncLambdaCloud) -> None:
    await client.with_raw_response.ssh_keys.list()
    assert not wants_exchange()
    assert await client.ssh_keys.list() == []
