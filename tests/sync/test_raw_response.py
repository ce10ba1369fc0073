"""``LambdaCloud.with_raw_response``: the same wrapper, sync, across the runner's loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from lambda_cloud import APIResponse, LambdaCloud, NotFoundError, SyncInAsyncContextWarning
from lambda_cloud.types import InstanceTypesItem

from ..conftest import PUBLIC_KEY


def test_sync_methods_return_an_api_response(new_client: Callable[..., LambdaCloud]) -> None:
    client = new_client()
    raw = client.with_raw_response.instance_types.list()
    assert isinstance(raw, APIResponse)
    assert (raw.status_code, raw.method) == (200, "GET")
    types = raw.parse()
    assert all(isinstance(item, InstanceTypesItem) for item in types.values())
    assert set(types) == set(raw.json()["data"])
    key = client.with_raw_response.ssh_keys.create("sync-raw", PUBLIC_KEY)
    assert key.method == "POST"
    assert key.parse().name == "sync-raw"
    deleted = client.with_raw_response.ssh_keys.delete(key.parse().id)
    assert deleted.status_code == 200
    assert deleted.parse() is None
    with pytest.raises(NotFoundError):
        client.with_raw_response.instances.get("0" * 32)


def test_nested_resources_and_iterators(new_client: Callable[..., LambdaCloud]) -> None:
    client = new_client()
    assert client.with_raw_response.firewall.rules.list().parse() == client.firewall.rules.list()
    with pytest.raises(TypeError, match="yields items"):
        client.with_raw_response.audit_events.list()


def test_captured_when_the_call_runs_on_the_loop_thread(
    new_client: Callable[..., LambdaCloud],
) -> None:
    # Called from inside a running loop, the call is handed to the runner's own thread: the
    # exchange must still reach the caller.
    client = new_client()

    async def inside() -> APIResponse[object]:
        with pytest.warns(SyncInAsyncContextWarning):
            raw: APIResponse[object] = client.with_raw_response.regions.list()
        return raw

    raw = asyncio.run(inside())
    assert raw.status_code == 200
    assert raw.url.endswith("/regions")
