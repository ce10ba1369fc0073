"""``client.audit_events``: one page at a time, or every page through one iterator."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from lambda_cloud import (
    APIResponseError,
    AsyncLambdaCloud,
    AuditEvent,
    AuditEventsPage,
    InvalidParametersError,
    ValidationError,
)
from lambda_cloud.emulator import Emulator, ManualClock

from .conftest import Api


async def _make_events(api: Api, clock: ManualClock, count: int) -> None:
    """``count`` SSH-key creations, one minute apart."""
    for i in range(count):
        await api(lambda c, i=i: c.ssh_keys.create(f"key-{i}"))
        clock.advance(60)


async def test_list_follows_every_page(api: Api, emu: Emulator, clock: ManualClock) -> None:
    emu.audit_page_size = 2
    await _make_events(api, clock, 5)
    events = await api(lambda c: c.audit_events.list())
    assert [event.additional_details["name"] for event in events] == [f"key-{i}" for i in range(5)]
    event = events[0]
    assert isinstance(event, AuditEvent)
    assert (event.service_name, event.resource_name, event.action) == (
        "cloud",
        "ssh_key",
        "created",
    )
    assert event.resource_type == "cloud.ssh_key"
    assert event.event_time.tzinfo is not None
    assert [e.event_time for e in events] == sorted(e.event_time for e in events)


async def test_list_page(api: Api, emu: Emulator, clock: ManualClock) -> None:
    emu.audit_page_size = 3
    await _make_events(api, clock, 4)
    first = await api(lambda c: c.audit_events.list_page())
    assert isinstance(first, AuditEventsPage)
    assert len(first.data) == 3 and first.page_token
    second = await api(lambda c: c.audit_events.list_page(page_token=first.page_token))
    assert (len(second.data), second.page_token) == (1, None)
    with pytest.raises(InvalidParametersError):
        await api(lambda c: c.audit_events.list_page(page_token="not-a-token"))


async def test_filters(api: Api, clock: ManualClock) -> None:
    await _make_events(api, clock, 3)
    await api(lambda c: c.file_systems.create("fs", "us-west-1"))
    events = await api(lambda c: c.audit_events.list())
    middle = events[1].event_time

    only_fs = await api(lambda c: c.audit_events.list(resource_type="cloud.filesystem"))
    assert [e.resource_type for e in only_fs] == ["cloud.filesystem"]
    assert await api(lambda c: c.audit_events.list(start=middle)) == events[1:]
    assert await api(lambda c: c.audit_events.list(end=middle)) == events[:2]
    assert await api(lambda c: c.audit_events.list(start=middle, end=middle)) == [events[1]]
    # A naive datetime is UTC; a string is sent as given.
    naive = middle.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    assert await api(lambda c: c.audit_events.list(start=naive)) == events[1:]
    in_paris = middle.astimezone(datetime.timezone(datetime.timedelta(hours=2)))
    assert await api(lambda c: c.audit_events.list(start=in_paris)) == events[1:]
    text = middle.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert await api(lambda c: c.audit_events.list(start=text)) == events[1:]
    page = await api(
        lambda c: c.audit_events.list_page(start=middle, resource_type="cloud.ssh_key")
    )
    assert page.data == events[1:3]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"end": ""}, "end"),
        ({"start": 1700000000}, "start"),
        ({"resource_type": ""}, "resource_type"),
        ({"page_token": 3}, "page_token"),
    ],
)
@pytest.mark.usefixtures("unsent")
async def test_validation(api: Api, kwargs: dict[str, Any], field: str) -> None:
    call: Any = (
        (lambda c: c.audit_events.list_page(**kwargs))
        if "page_token" in kwargs
        else (lambda c: c.audit_events.list(**kwargs))
    )
    with pytest.raises(ValidationError) as caught:
        await api(call)
    assert caught.value.field == field


async def test_a_repeated_page_token_stops_the_iteration(
    client: AsyncLambdaCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def same_page(**_: Any) -> AuditEventsPage:
        return AuditEventsPage(data=[], page_token="again")

    monkeypatch.setattr(client.audit_events, "list_page", same_page)
    with pytest.raises(APIResponseError, match="again"):
        async for _ in client.audit_events.list():
            pass
