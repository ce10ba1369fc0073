"""Helpers for the bulk tests: fast clients, a request log, and the bulk invariants."""

from __future__ import annotations

import collections
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from lambda_cloud import AsyncLambdaCloud, RateLimitError, RetryPolicy
from lambda_cloud.bulk import (
    LAUNCH_TOKEN_TAG,
    BulkLaunchReport,
    ProgressEvent,
    UnresolvedLaunchError,
)
from lambda_cloud.emulator import Emulator

KEY = "bulk-key"
A10 = "gpu_1x_a10"
#: Retries spaced in milliseconds, to match the emulator's compressed time.
FAST_RETRIES = RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.01)
#: Polls as often as a compressed second allows.
POLL = 0.002
#: How long a launch of unknown outcome is looked for before its slot is relaunched: past the
#: longest server-side delay the fault scenarios use (0.2 s). The async tests here run on
#: virtual time (``conftest.py``), so machine load cannot stretch anything past it.
SETTLE = 0.25
#: Seconds (virtual ones, see ``conftest.py``) any wait in these tests may take: a broken
#: emulator fails fast, never hangs.
LIMIT = 10.0


class RequestLog:
    """Counts the requests a client sends, by ``"METHOD /path"`` (ids folded into ``{id}``)."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()

    def clear(self) -> None:
        self.counts.clear()

    def trace_config(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()

        async def on_start(
            session: aiohttp.ClientSession, ctx: Any, params: aiohttp.TraceRequestStartParams
        ) -> None:
            path = params.url.path.removeprefix("/api/v1")
            if path.startswith("/instances/"):
                path = "/instances/{id}"
            self.counts[f"{params.method} {path}"] += 1

        config.on_request_start.append(on_start)
        return config

    def __getitem__(self, key: str) -> int:
        return self.counts[key]


def make_client(
    emu: Emulator, requests: RequestLog | None = None, *, paced: bool = True
) -> AsyncLambdaCloud:
    return AsyncLambdaCloud(
        api_key=emu.api_key,
        base_url=emu.base_url,
        rate_limits=emu.rate_limits if paced else None,
        max_retries=FAST_RETRIES,
        timeout=5.0,
        trace_configs=None if requests is None else [requests.trace_config()],
    )


@contextlib.asynccontextmanager
async def emulated(
    *, paced: bool = True, **options: Any
) -> AsyncIterator[tuple[Emulator, AsyncLambdaCloud]]:
    """A running emulator (time compressed 1000 times unless told) and a client with ``KEY``."""
    options.setdefault("time_scale", 0.001)
    async with Emulator(**options) as emu, make_client(emu, paced=paced) as client:
        await client.ssh_keys.create(name=KEY)
        yield emu, client


def token_instances(emu: Emulator, run_id: str) -> dict[str, dict[str, Any]]:
    """Every instance (gone ones included) tagged with a token of run ``run_id``, by id."""
    found = {}
    for instance in emu.instances(include_gone=True):
        for tag in instance.get("tags") or ():
            if tag["key"] == LAUNCH_TOKEN_TAG and tag["value"].startswith(f"{run_id}/"):
                found[instance["id"]] = instance
    return found


def check_launch_invariants(
    emu: Emulator, report: BulkLaunchReport, *, extras: int = 0
) -> dict[str, dict[str, Any]]:
    """What must hold after any ``launch_many``; returns the run's instances by id.

    ``extras``: how many second instances (late commits) the run is expected to have caught.
    """
    created = token_instances(emu, report.run_id)
    reported = {i.id for i in report.instances} | {e.id for e in report.extras}
    assert reported <= set(created), "the report names an instance the run did not create"
    # The one documented gap: a launch of unknown outcome the run never saw (its list calls
    # failed, or the server held it past the settle horizon) lands after the run. Its slot
    # must then say so, and reclaim(run_id) finds the instance.
    unresolved = {f.slot for f in report.failures if isinstance(f.error, UnresolvedLaunchError)}
    for instance_id in set(created) - reported:
        slot = int(_token(created[instance_id]).rpartition("/")[2])
        assert slot in unresolved, f"instance {instance_id} of slot {slot} is not in the report"
    assert len(report.extras) == extras, "a slot got a second instance"
    filled = {i.slot: i.id for i in report.instances}
    for extra in report.extras:
        assert extra.id != filled.get(extra.slot), "an extra is also the slot's instance"
        assert extra.token == f"{report.run_id}/{extra.slot}"
        tags = {t["key"]: t["value"] for t in created[extra.id]["tags"]}
        assert tags[LAUNCH_TOKEN_TAG] == extra.token
    slots = [i.slot for i in report.instances] + [f.slot for f in report.failures]
    assert sorted(slots) == list(range(report.requested)), "each slot exactly once"
    for launched in report.instances:
        instance = created[launched.id]
        tags = {t["key"]: t["value"] for t in instance["tags"]}
        assert tags[LAUNCH_TOKEN_TAG] == launched.token == f"{report.run_id}/{launched.slot}"
        assert instance["region"]["name"] == launched.region
    for failure in report.failures:
        assert isinstance(failure.error, Exception)
        assert not _throttled(failure.error), "a 429 surfaced"
    return created


def _token(instance: dict[str, Any]) -> str:
    return next(t["value"] for t in instance["tags"] if t["key"] == LAUNCH_TOKEN_TAG)


def _throttled(error: BaseException) -> bool:
    return isinstance(error, RateLimitError)


class Events:
    """Collects progress events (``on_progress=events``)."""

    def __init__(self) -> None:
        self.events: list[ProgressEvent] = []

    def __call__(self, event: ProgressEvent) -> None:
        self.events.append(event)

    def kinds(self) -> collections.Counter[str]:
        return collections.Counter(e.kind.value for e in self.events)
