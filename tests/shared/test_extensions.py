"""Expiry extensions in the shared store: recorded by one client, honoured by every client's
reap; kept in the store only a little past the expiry they hold; a store that is down when a
reap runs terminates nothing that may have been extended; an extension that lands while a reap
is terminating the instance is refused, never reported and then ignored.

Expiry "passes" through reap's ``now=``, never by waiting: nothing here depends on the
machine's speed (the store's time to live is checked as a number, not waited out).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    InstanceBeingReapedError,
    RateLimits,
    SharedState,
    SharedStateError,
    ValidationError,
)
from lambda_cloud.emulator import Emulator, Fault
from lambda_cloud.shared.extensions import LINGER, REAPING, SharedExpiryExtensions
from lambda_cloud.shared.store import Account, Store, namespace
from tests.bulk.helpers import RequestLog
from tests.conftest import make_client

from .conftest import RedisServer

redis = pytest.importorskip("redis", reason="needs lambda-cloud[redis]")

REGION, TYPE, KEY, OWNER = "us-west-1", "gpu_1x_a10", "extend-key", "alice@laptop"
UTC = datetime.timezone.utc
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)


def shared_client(
    emu: Emulator, shared: SharedState | str, requests: RequestLog | None = None
) -> AsyncLambdaCloud:
    """A client of ``OWNER`` whose state is in the store ``shared`` (its pace compressed)."""
    traces = None if requests is None else [requests.trace_config()]
    limits = RateLimits(shared=shared).scaled(0.001)
    return make_client(emu, owner=OWNER, rate_limits=limits, trace_configs=traces)


@pytest.fixture
async def alice(emu: Emulator, redis_url: str) -> AsyncIterator[AsyncLambdaCloud]:
    async with shared_client(emu, redis_url) as client:
        await client.ssh_keys.create(KEY)
        yield client


async def launch(client: AsyncLambdaCloud, count: int = 1) -> tuple[list[str], datetime.datetime]:
    """``count`` instances expiring in an hour, and their (common) expiry."""
    report = await client.instances.launch_many(
        count, instance_type_name=TYPE, ssh_key_names=[KEY], expires_in=HOUR
    )
    expiries = {
        i.tag("lambda-cloud-expires-at")
        for i in await client.instances.list()
        if i.id in report.ids
    }
    (stamp,) = expiries  # one launch request: one expiry
    assert stamp is not None
    return report.ids, datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def status(emu: Emulator) -> dict[str, str]:
    return {i["id"]: i["status"] for i in emu.instances()}


async def test_an_extension_recorded_by_one_client_is_honoured_by_anothers_reap(
    emu: Emulator, redis_url: str, alice: AsyncLambdaCloud
) -> None:
    (extended, plain), expires_at = await launch(alice, 2)
    held = await alice.instances.extend_expiry([extended], by=2 * HOUR)
    assert held == {extended: expires_at + 2 * HOUR}  # after the tag's expiry, not after now

    # Another client (another connection to the store, as another process would have).
    async with shared_client(emu, redis_url) as reaper:
        report = await reaper.instances.reap(now=expires_at + 90 * MINUTE)
        assert [e.id for e in report.expired] == [plain]
        assert [(e.id, e.expires_at) for e in report.extended] == [
            (extended, expires_at + 2 * HOUR)
        ]
        done = await reaper.instances.reap(now=expires_at + 90 * MINUTE, dry_run=False)
        done.raise_for_errors()
        assert done.terminated is not None and sorted(done.terminated.outcomes) == [plain]
        assert status(emu)[extended] != "terminating"
        # Once the extension has passed too, it goes.
        later = await reaper.instances.reap(now=expires_at + 2 * HOUR, dry_run=False)
        assert [e.id for e in later.expired] == [extended] and later.extended == []


async def test_extensions_only_postpone(alice: AsyncLambdaCloud) -> None:
    (iid,), expires_at = await launch(alice)
    assert await alice.instances.extend_expiry([iid], by=HOUR) == {iid: expires_at + HOUR}
    # By: after the current expiry, the extension's now.
    assert await alice.instances.extend_expiry([iid], by=HOUR) == {iid: expires_at + 2 * HOUR}
    # An earlier until changes nothing: neither the extension nor the tag is shortened.
    assert await alice.instances.extend_expiry([iid], until=expires_at + HOUR / 2) == {
        iid: expires_at + 2 * HOUR
    }
    assert await alice.instances.extend_expiry([iid], until=expires_at + 3 * HOUR) == {
        iid: expires_at + 3 * HOUR
    }
    report = await alice.instances.reap(now=expires_at + 150 * MINUTE)
    assert [(e.id, e.expires_at) for e in report.extended] == [(iid, expires_at + 3 * HOUR)]


async def test_the_store_forgets_an_extension_a_little_after_it(
    emu: Emulator, redis_url: str, alice: AsyncLambdaCloud
) -> None:
    (iid,), expires_at = await launch(alice)
    until = expires_at + 5 * HOUR
    before = datetime.datetime.now(UTC)
    await alice.instances.extend_expiry([iid], until=until)
    after = datetime.datetime.now(UTC)
    store = redis.asyncio.from_url(redis_url)
    try:
        key = f"lambda-cloud:{{{namespace(emu.api_key, emu.base_url)}}}:expiry:{iid}"
        assert await store.keys("*expiry*") == [key.encode()]
        assert int(await store.get(key)) == int(until.timestamp())
        ttl = datetime.timedelta(milliseconds=await store.pttl(key))
        # Set from the recorder's clock: until + LINGER, less the time since it was set.
        assert until - after + LINGER - datetime.timedelta(minutes=1) < ttl
        assert ttl <= until - before + LINGER + datetime.timedelta(seconds=1)
        for name in await store.keys("*"):
            assert emu.api_key.encode() not in name + (await store.dump(name) or b"")
    finally:
        await store.aclose()


async def test_explicit_extensions_win_over_the_stores(alice: AsyncLambdaCloud) -> None:
    (iid,), expires_at = await launch(alice)
    await alice.instances.extend_expiry([iid], by=HOUR)

    class Nothing:
        async def extended_expiries(self, ids: Sequence[str]) -> Mapping[str, datetime.datetime]:
            return {}

    report = await alice.instances.reap(now=expires_at + HOUR / 2, extensions=Nothing())
    assert [e.id for e in report.expired] == [iid] and report.extended == []


async def test_a_store_down_at_reap_time_terminates_nothing_that_may_be_extended(
    emu: Emulator, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    requests = RequestLog()
    async with shared_client(emu, redis_server.url, requests) as client:
        await client.ssh_keys.create(KEY)
        (extended, plain), expires_at = await launch(client, 2)
        await client.instances.extend_expiry([extended], by=HOUR)
        redis_server.stop()
        caplog.set_level(logging.WARNING, "lambda_cloud")
        requests.clear()
        report = await client.instances.reap(now=expires_at + HOUR / 2, dry_run=False, keep=[plain])
        # Neither could be checked against the store (the kept one is not asked about).
        assert [e.id for e in report.unverified] == [extended]
        assert report.expired == [] and report.terminated is None
        assert [e.id for e in report.kept] == [plain]
        report = await client.instances.reap(now=expires_at + HOUR / 2, dry_run=False)
        assert sorted(e.id for e in report.unverified) == sorted([extended, plain])
        assert report.expired == [] and report.terminated is None
        assert requests["POST /instance-operations/terminate"] == 0
        assert all(s != "terminating" for s in status(emu).values())
        assert "failed" in caplog.text  # the store's one warning
        # Recording refuses too: an extension kept nowhere is no extension.
        with pytest.raises(SharedStateError, match="not recorded"):
            await client.instances.extend_expiry([plain], by=HOUR)


async def test_a_strict_store_down_at_reap_time_raises_before_terminating(
    emu: Emulator, redis_server: RedisServer
) -> None:
    requests = RequestLog()
    strict = SharedState(url=redis_server.url, strict=True)
    async with shared_client(emu, strict, requests) as client:
        await client.ssh_keys.create(KEY)
        (iid,), expires_at = await launch(client)
        redis_server.stop()
        requests.clear()
        with pytest.raises(SharedStateError):
            await client.instances.reap(now=expires_at + HOUR, dry_run=False)
        with pytest.raises(SharedStateError):
            await client.instances.extend_expiry([iid], until=expires_at + HOUR)
        assert requests["POST /instance-operations/terminate"] == 0
        assert status(emu)[iid] != "terminating"


async def test_without_a_store_an_extension_is_refused_pointing_at_keep(emu: Emulator) -> None:
    requests = RequestLog()
    async with make_client(emu, trace_configs=[requests.trace_config()]) as client:
        with pytest.raises(ValidationError, match=r"keep=\[id\]") as caught:
            await client.instances.extend_expiry(["0920582c7ff041399e34823a0be62549"], by=60)
        assert caught.value.field == "shared"
        assert sum(requests.counts.values()) == 0


@pytest.mark.parametrize(
    ("ids", "options", "field"),
    [
        pytest.param([], {"by": 60}, "ids", id="no-ids"),
        pytest.param("abc", {"by": 60}, "ids", id="a-string"),
        pytest.param(["abc"], {}, "by", id="neither"),
        pytest.param(["abc"], {"by": 60, "until": datetime.datetime(2100, 1, 1)}, "by", id="both"),
        pytest.param(["abc"], {"by": -5}, "by", id="negative"),
        pytest.param(["abc"], {"by": "2h"}, "by", id="text"),
        pytest.param(["abc"], {"until": datetime.datetime(2000, 1, 1)}, "until", id="past"),
        pytest.param(["abc"], {"until": "tomorrow"}, "until", id="not-a-date"),
        pytest.param(["abc"], {"until": datetime.datetime.max}, "until", id="past-year-9999"),
    ],
)
async def test_bad_arguments_are_refused_before_sending(
    emu: Emulator, redis_url: str, ids: Any, options: dict[str, Any], field: str
) -> None:
    requests = RequestLog()
    async with shared_client(emu, redis_url, requests) as client:
        with pytest.raises(ValidationError) as caught:
            await client.instances.extend_expiry(ids, **options)
        assert caught.value.field == field
        assert sum(requests.counts.values()) == 0


async def test_only_live_instances_with_an_expiry_are_extended(
    emu: Emulator, redis_url: str, alice: AsyncLambdaCloud
) -> None:
    (tagged,), expires_at = await launch(alice)
    (forever,) = await alice.instances.launch(
        region_name=REGION, instance_type_name=TYPE, ssh_key_names=[KEY]
    )
    (gone,), _ = await launch(alice)
    await alice.instances.terminate([gone])
    unknown = "0920582c7ff041399e34823a0be62549"
    with pytest.raises(ValidationError, match=f"{forever}, {gone}, {unknown}"):
        await alice.instances.extend_expiry([tagged, forever, gone, unknown], by=HOUR)
    store = redis.asyncio.from_url(redis_url)
    try:
        assert await store.keys("*expiry*") == []  # nothing recorded, not even the good one
    finally:
        await store.aclose()
    report = await alice.instances.reap(now=expires_at + HOUR / 2)
    assert [e.id for e in report.expired] == [tagged]


@pytest.mark.parametrize(
    ("garbage", "replaced"),
    [
        pytest.param(b"99999999999999", False, id="past-year-9999"),
        pytest.param(b"1e300", False, id="past-any-integer"),
        pytest.param(b"soon", True, id="not-a-number"),
    ],
)
async def test_an_extension_the_store_garbled_leaves_the_instance_running(
    emu: Emulator, redis_url: str, alice: AsyncLambdaCloud, garbage: bytes, replaced: bool
) -> None:
    (iid,), expires_at = await launch(alice)
    store = redis.asyncio.from_url(redis_url)
    try:
        key = f"lambda-cloud:{{{namespace(emu.api_key, emu.base_url)}}}:expiry:{iid}"
        await store.set(key, garbage)
    finally:
        await store.aclose()
    # A store answering nonsense is a failing store: nothing it may have extended goes, and
    # no untyped error (a year past 9999) escapes.
    report = await alice.instances.reap(now=expires_at + HOUR, dry_run=False)
    assert [e.id for e in report.unverified] == [iid]
    assert report.terminated is None and status(emu)[iid] != "terminating"
    # Recording (a client whose store is not marked down): the script keeps the later of the
    # stored and the new expiry, and answers what it holds; a value that is no number at all
    # is no extension, and is replaced.
    async with shared_client(emu, redis_url) as other:
        if replaced:
            held = await other.instances.extend_expiry([iid], until=expires_at + HOUR)
            assert held == {iid: expires_at + HOUR}
        else:
            with pytest.raises(SharedStateError, match="not recorded"):
                await other.instances.extend_expiry([iid], until=expires_at + HOUR)


async def reaping_keys(redis_url: str) -> dict[bytes, int]:
    """The reaping marks in the store, with their time to live (ms)."""
    store = redis.asyncio.from_url(redis_url)
    try:
        return {key: await store.pttl(key) for key in await store.keys("*:reaping:*")}
    finally:
        await store.aclose()


async def test_a_reap_marks_what_it_terminates_and_an_extension_of_it_is_refused(
    emu: Emulator, redis_url: str, alice: AsyncLambdaCloud
) -> None:
    (doomed, extended), expires_at = await launch(alice, 2)
    await alice.instances.extend_expiry([extended], by=HOUR)
    # The terminate fails, so the reaped instance stays live: only the mark refuses it.
    emu.faults.add(
        Fault(
            kind="status",
            method="POST",
            path="/instance-operations/terminate",
            status=400,
            code="global/invalid-parameters",
            times=1,
        )
    )
    report = await alice.instances.reap(now=expires_at + MINUTE, dry_run=False)
    assert [e.id for e in report.expired] == [doomed] and not report.ok
    marks = await reaping_keys(redis_url)
    assert [key.decode().rsplit(":", 1)[1] for key in marks] == [doomed]  # not the extended
    assert all(0 < ttl <= REAPING / datetime.timedelta(milliseconds=1) for ttl in marks.values())
    with pytest.raises(InstanceBeingReapedError, match=doomed) as caught:
        await alice.instances.extend_expiry([extended, doomed], by=HOUR)
    assert isinstance(caught.value, ValidationError) and caught.value.ids == [doomed]
    # Nothing was recorded, not even the unmarked instance's extension.
    assert await alice.instances.extend_expiry([extended], by=0.5) == {
        extended: expires_at + HOUR + datetime.timedelta(seconds=1)
    }


async def test_a_dry_run_marks_nothing(
    emu: Emulator, redis_url: str, alice: AsyncLambdaCloud
) -> None:
    (iid,), expires_at = await launch(alice)
    report = await alice.instances.reap(now=expires_at + MINUTE)
    assert [e.id for e in report.expired] == [iid]
    assert await reaping_keys(redis_url) == {}
    assert await alice.instances.extend_expiry([iid], by=HOUR) == {iid: expires_at + HOUR}


class ExtendingMidReap:
    """The store's extensions, through which another client's ``extend_expiry`` lands right
    after the reaper's read, before its terminate: the race, interleaved on purpose."""

    def __init__(self, store: SharedExpiryExtensions, extend: Callable[[], Awaitable[object]]):
        self.store, self.extend = store, extend
        self.outcome: object = None

    async def _then_extend(self) -> None:
        try:
            self.outcome = await self.extend()
        except Exception as exc:
            self.outcome = exc

    async def extended_expiries(self, ids: Sequence[str]) -> Mapping[str, datetime.datetime]:
        found = await self.store.extended_expiries(ids)
        await self._then_extend()
        return found

    async def claim_expired(
        self, ids: Sequence[str], now: datetime.datetime
    ) -> Mapping[str, datetime.datetime]:
        found = await self.store.claim_expired(ids, now)
        await self._then_extend()
        return found


async def test_an_extension_between_a_reaps_read_and_its_terminate_is_refused_not_lost(
    emu: Emulator, redis_url: str, alice: AsyncLambdaCloud
) -> None:
    (iid,), expires_at = await launch(alice)
    store = Store(SharedState(url=redis_url))
    try:
        account = Account(store, namespace(emu.api_key, emu.base_url))
        async with shared_client(emu, redis_url) as bob:
            source = ExtendingMidReap(
                SharedExpiryExtensions(account),
                lambda: bob.instances.extend_expiry([iid], by=HOUR),
            )
            report = await alice.instances.reap(
                now=expires_at + MINUTE, dry_run=False, extensions=source
            )
    finally:
        await store.close()
    report.raise_for_errors()
    assert report.terminated is not None and list(report.terminated.outcomes) == [iid]
    assert status(emu)[iid] == "terminating"
    # The extension was not reported as recorded: its caller was told why.
    assert isinstance(source.outcome, InstanceBeingReapedError), source.outcome
    assert source.outcome.ids == [iid]
