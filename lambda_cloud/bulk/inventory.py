"""A run's instances as the instance list shows them, found by their launch-token tags."""

from __future__ import annotations

import asyncio
import collections
import math
from collections.abc import Sequence

from .._clock import monotonic
from .._deadline import Deadline
from ..types.instances import TERMINAL_STATUSES, Instance, InstanceStatus
from .api import InstancesAPI
from .options import LAUNCH_TOKEN_TAG, LAUNCHED_AT_TAG
from .slots import parse_token

__all__ = [
    "ENDED_STATUSES",
    "Inventory",
    "Listing",
    "is_live",
    "launch_order",
    "mismatch",
    "run_instances",
]

#: Statuses of an instance that is gone or going: it no longer needs terminating.
ENDED_STATUSES = TERMINAL_STATUSES | {InstanceStatus.TERMINATING}


def is_live(instance: Instance) -> bool:
    """Whether the instance is (or is about to be) running, and so billed."""
    return instance.status not in ENDED_STATUSES


def launch_order(instance: Instance) -> tuple[bool, str, str]:
    """Sort key of one slot's instances; the first is the one every run of the ``run_id`` keeps:
    live before ended, then sent first (by its launch-time tag), then the smallest id. Every
    process computes it from the listing alone, so concurrent runs agree without a lock. An
    instance without the launch-time tag (an older SDK's) counts as sent first."""
    return (not is_live(instance), instance.tag(LAUNCHED_AT_TAG) or "", instance.id)


def mismatch(
    instance: Instance,
    *,
    instance_type_names: Sequence[str],
    region_names: Sequence[str] | None,
    name: str | None,
) -> str | None:
    """How a run's instance differs from what its slot would launch now (one of
    ``instance_type_names``, in one of ``region_names`` if given, named ``name``); ``None`` if it
    does not. A rerun refuses such an instance; a fleet replaces it."""
    if instance.instance_type.name not in instance_type_names:
        wanted = " or ".join(instance_type_names)
        return f"type {instance.instance_type.name}, not {wanted}"
    if region_names is not None and instance.region.name not in region_names:
        return f"region {instance.region.name}, not {' or '.join(region_names)}"
    if (instance.name or None) != name:
        return f"name {instance.name!r}, not {name!r}"
    return None


def run_instances(instances: list[Instance], run_id: str) -> dict[int, list[Instance]]:
    """The instances carrying run ``run_id``'s launch tokens, by slot."""
    found: dict[int, list[Instance]] = collections.defaultdict(list)
    for instance in instances:
        parsed = parse_token(instance.tag(LAUNCH_TOKEN_TAG))
        if parsed is not None and parsed[0] == run_id:
            found[parsed[1]].append(instance)
    return found


class Listing:
    """One instance list: when it was asked for, and the run's instances in it, by slot."""

    def __init__(self, started: float, by_slot: dict[int, list[Instance]]) -> None:
        self.started = started
        self.by_slot = by_slot


class Inventory:
    """Lists a run's instances, sharing list calls between the callers that can share them: a
    listing serves every caller that asked for one begun no earlier than some moment."""

    def __init__(self, api: InstancesAPI, run_id: str) -> None:
        self._api = api
        self._run_id = run_id
        #: Instances that were there before this run started (a rerun's dead ones): not ours.
        self.ignored: set[str] = set()
        self._fetch: asyncio.Future[Listing] | None = None
        self._started = -math.inf
        self._running: set[asyncio.Future[Listing]] = set()

    def close(self) -> None:
        """Stop listings nobody waits for any more, so none outlives the run."""
        for fetch in self._running:
            fetch.cancel()

    async def lookup(self, deadline: Deadline, *, since: float | None = None) -> Listing:
        """A listing begun at or after ``since`` (a ``_clock.monotonic()`` value), retried until
        ``deadline``; without ``since``, one begun after this call."""
        # Without ``since``, never one begun earlier at the same clock reading: a coarse clock
        # (a millisecond loop clock, a virtual one) reads the same before and after something
        # happened, and a listing from before it would not show it.
        fresh = since is None
        since = monotonic() if since is None else since
        fetch = self._fetch
        failed = fetch is not None and fetch.done() and (fetch.cancelled() or fetch.exception())
        if fetch is None or fresh or self._started < since or failed:
            self._started = monotonic()
            fetch = self._fetch = asyncio.ensure_future(self._list(self._started, deadline))
            self._running.add(fetch)
            fetch.add_done_callback(self._finished)
        return await asyncio.shield(fetch)

    def _finished(self, fetch: asyncio.Future[Listing]) -> None:
        self._running.discard(fetch)
        # Every waiter may have been cancelled; the failure is then nobody's to report.
        if not fetch.cancelled():
            fetch.exception()

    async def _list(self, started: float, deadline: Deadline) -> Listing:
        instances = await self._api.list_instances(deadline)
        mine = [i for i in instances if i.id not in self.ignored]
        return Listing(started, run_instances(mine, self._run_id))
