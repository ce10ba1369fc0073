"""``client.instances``: the endpoints of ``/instances`` and ``/instance-operations`` (and
their seed SDK names), plus the operations built on them: bulk launch, terminate and wait (run
by ``bulk/`` through ``_bulk_port``), runs, reaping and costs.

Split by job: ``_instance_endpoints`` (one request each), ``_launch_request`` (building a
launch and its spend reservation), ``_instance_requests`` (the requests both share with the
bulk port), ``_bulk_port`` (the bulk engine's ``InstancesAPI``), ``_lifecycle``.
"""

from __future__ import annotations

import builtins
import datetime
from collections.abc import Callable, Sequence

from .._compat import Unpack
from .._config import Timeout
from .._options import RequestOptions
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from ..bulk import terminate as bulk_terminate
from ..bulk import wait as bulk_wait
from ..bulk.options import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_UNHEALTHY_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    LaunchManyOptions,
)
from ..bulk.progress import ProgressEvent
from ..bulk.reports import BulkLaunchReport, BulkTerminateReport
from ..lifecycle import CostReport, ExpiresIn, ExpiryExtensions, GroupBy, ReapReport
from ..types.instances import Instance, InstanceStatus
from . import _bulk_port, _lifecycle
from ._seed import SeedInstancesMixin

__all__ = ["AsyncInstances", "AsyncInstancesWithRawResponse"]


class AsyncInstances(SeedInstancesMixin):
    """Your instances, and the operations that launch, restart and terminate them."""

    async def launch_many(
        self,
        count: int,
        **options: Unpack[LaunchManyOptions],
    ) -> BulkLaunchReport:
        """Launch ``count`` instances, one per slot, and report on every slot. ``options`` say
        what to launch, as for ``launch`` (``BulkLaunchOptions``), and how the run goes
        (``LaunchRunOptions``; defaults in ``LaunchRun``); instead of ``instance_type_name``,
        ``instance_type_names`` may list several acceptable types in order of preference (each
        slot takes the first with capacity).

        ``hunt=Hunt(timeout=..., poll_interval=...)`` waits for capacity: when no (type, region)
        is left, the instance types are listed once per ``hunt.poll_interval`` until capacity
        shows up or ``hunt.timeout`` (from the start) passes, and a launch never goes where the
        latest listing showed none. ``max_hourly_cost_cents`` (or the client's) is a budget
        shared with the client's other guarded calls: the run is refused with
        ``SpendLimitExceededError``, before any launch, when ``count`` instances of the dearest
        type it could launch, on top of what the account runs and the other calls hold, would
        cost more per hour; and each slot is launched only if it still fits at its type's
        latest listed price (a slot that does not fails with that error, and so do the rest).

        Without ``region_names`` the regions reporting capacity for the type are used; with
        them, they are tried in order. A full region falls back to the next, and capacity is
        re-checked when all are full. Launches are paced by the client's rate limits; a 429 is
        retried until ``timeout`` (without one, for the retry policy's ``retry_window``), then
        fails its slot with ``DeadlineExceededError``. Each slot's instance is tagged
        ``lambda-cloud-launch-token: <run_id>/<slot>`` and named ``<name_prefix>-<slot>``; a
        ``hostname`` gets the same ``-<slot>`` suffix when ``count > 1``. ``wait=True`` also
        waits until they are ``active`` (for at most ``DEFAULT_WAIT_TIMEOUT`` seconds when
        ``timeout`` is ``None``).

        A launch whose outcome is unknown is reconciled against the instance list (one list call
        per ``poll_interval``): its instance is adopted when it shows up, and the slot is
        launched again only once ``settle_timeout`` seconds have passed since its outcome became
        unknown with no sign of it, so a slot never gets two instances. ``run_id`` (1 to 32
        letters, digits or ``-``; random by default, always in ``report.run_id``) names the
        run: called again with the same ``run_id`` after a crash, each slot adopts the live
        instance the earlier run gave it and only empty slots are launched, so a rerun converges
        on ``count`` instances; live instances of the run that these arguments would not make
        (another type, region or name) refuse the rerun with ``ValidationError``. Concurrent
        runs of one ``run_id`` keep, for each slot, the instance launched first; with a shared
        store (``RateLimits(shared=...)``) a second run of it is refused with ``RunLeasedError``
        instead, before it launches anything. ``count`` is at most ``MAX_LAUNCH_COUNT``.
        ``find_run`` and ``reclaim`` find and terminate a run's instances. Each instance is also
        tagged with the client's ``owner`` and, given ``expires_in``/``expires_at`` (or the
        client's default), with when the run expires, for ``reap``.

        ``timeout`` bounds the launching in seconds (no new launch starts after it; accounting
        for launches already sent may take up to ``settle_timeout`` more); ``request_timeout``
        applies to each request (and the client's retries: ``client.with_options(max_retries=...)``
        for others). Failed slots are in ``report.failures``; call
        ``report.raise_for_errors()`` to raise on any. When cancelled, it first accounts for
        in-flight launches (within the same settle horizon; a second cancel cuts it short, a
        third skips its last listing too), then terminates (``on_cancel="terminate"``) or keeps
        what it knows it created, and re-raises the ``CancelledError`` with a
        ``BulkLaunchCancelledError`` holding the report as its cause.
        """
        return await _bulk_port.launch_many(self._api, count, options)

    async def find_run(
        self,
        run_id: str,
        **options: Unpack[RequestOptions],
    ) -> builtins.list[Instance]:
        """The live instances (not terminating, terminated or preempted) that ``launch_many``
        with this ``run_id`` created, by slot: one list call."""
        return await _bulk_port.find_run(self._api, run_id, options)

    async def reclaim(
        self,
        run_id: str,
        *,
        keep: Sequence[str] = (),
        wait: bool = False,
        on_progress: Callable[[ProgressEvent], object] | None = None,
        timeout: float | None = None,
        request_timeout: Timeout | None = None,
    ) -> BulkTerminateReport:
        """Terminate every live instance of run ``run_id`` except the ids in ``keep``: what a
        crashed or interrupted ``launch_many`` left running. Arguments as ``terminate_many``."""
        return await _bulk_port.reclaim(
            self._api,
            run_id,
            keep=keep,
            wait=wait,
            on_progress=on_progress,
            timeout=timeout,
            request_timeout=request_timeout,
        )

    async def reap(
        self,
        *,
        dry_run: bool = True,
        owner: str | None = None,
        now: datetime.datetime | None = None,
        keep: Sequence[str] = (),
        extensions: ExpiryExtensions | None = None,
        delete_file_systems: Sequence[str] = (),
        wait: bool = False,
        on_progress: Callable[[ProgressEvent], object] | None = None,
        timeout: float | None = None,
        request_timeout: Timeout | None = None,
    ) -> ReapReport:
        """The live instances of ``owner`` (default: the client's) whose expiry tag has passed
        by ``now`` (default: the current time; naive is UTC), and the idle file systems; with
        ``dry_run=False`` the expired instances are terminated through ``terminate_many``.

        Only instances carrying both the SDK's owner and expiry tags are considered, never one
        in ``keep``. Tags cannot change after launch: an expiry extended in ``extensions``
        (an ``ExpiryExtensions``; default: the client's shared store, if it has one, where
        ``extend_expiry`` records) postpones it; while the extensions cannot be read, no
        expired instance is terminated (they are in ``report.unverified``). Unless a dry run,
        the read also marks the instances to terminate (``ClaimingExpiryExtensions``, as the
        store's are), so an extension arriving before the terminate is refused, not ignored.
        File systems no live instance mounts are listed, and deleted only when named in
        ``delete_file_systems`` (and not a dry run; ``ValidationError``, before anything is
        claimed or terminated, for one that is not idle). Terminate arguments as
        ``terminate_many``; one list call of each.
        """
        return await _lifecycle.reap(
            self._api,
            dry_run=dry_run,
            owner=owner,
            now=now,
            keep=keep,
            extensions=extensions,
            delete_file_systems=delete_file_systems,
            wait=wait,
            on_progress=on_progress,
            timeout=timeout,
            request_timeout=request_timeout,
        )

    async def extend_expiry(
        self,
        ids: Sequence[str],
        *,
        by: ExpiresIn | None = None,
        until: datetime.datetime | None = None,
        **options: Unpack[RequestOptions],
    ) -> dict[str, datetime.datetime]:
        """Postpone the expiry of the instances ``ids`` by ``by`` (seconds or a ``timedelta``:
        after their current expiry, or after now if that has passed) or to ``until``; return
        each one's expiry now. Tags cannot change after launch, so the extension is recorded
        in the client's shared store (``RateLimits(shared=...)``), where every ``reap`` using
        the key reads it; an earlier expiry never replaces a later one.

        ``ValidationError`` without a shared store (keep the instances with
        ``reap(keep=[...])`` instead), or for an id that is not a live instance launched with
        an expiry; ``InstanceBeingReapedError`` (a ``ValidationError``) for one a reap found
        expired and is terminating; ``SharedStateError`` if the store fails. Nothing is
        recorded when it raises. One list call.
        """
        return await _lifecycle.extend_expiry(self._api, ids, by=by, until=until, options=options)

    async def costs(
        self,
        *,
        since: datetime.datetime | datetime.timedelta,
        until: datetime.datetime | None = None,
        group_by: GroupBy = "run",
        max_pages: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> CostReport:
        """Cents spent from ``since`` (a datetime, or a ``timedelta`` before ``until``) to
        ``until`` (default: now), per ``"run"``, ``"owner"``, ``"instance"`` or ``"type"``,
        and what runs now per hour; idle file systems too.

        Launch and terminate times come from the audit log's ``cloud.instance`` events (at
        most ``max_pages`` pages; by default as many as ``audit_events.list`` reads); an
        instance whose launch it does not show from ``since`` on is in
        ``report.unaccounted``, not guessed. Each instance is priced as its listing shows
        it (its launch price); one no longer listed at its type's current price, marked
        ``estimated``, and its run and owner are then unknown.
        """
        return await _lifecycle.costs(
            self._api,
            since=since,
            until=until,
            group_by=group_by,
            max_pages=max_pages,
            options=options,
        )

    async def terminate_many(
        self,
        ids: Sequence[str],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        wait: bool = False,
        on_progress: Callable[[ProgressEvent], object] | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,
        request_timeout: Timeout | None = None,
    ) -> BulkTerminateReport:
        """Terminate many instances, ``batch_size`` ids per request; never raises for an id.

        Ids already terminated, terminating or unknown to the API count as done and are
        reported as such (an unknown id is isolated, so it fails nothing else, and checked
        against the instance list before it counts as gone); transient failures are retried
        until ``timeout``. ``wait=True`` also waits until they are terminated or gone from the
        list (for at most ``DEFAULT_WAIT_TIMEOUT`` seconds when ``timeout`` is ``None``).
        ``timeout`` bounds the whole operation in seconds; ``request_timeout`` applies
        to each request (retries are the client's). Call ``report.raise_for_errors()`` to raise
        on failures.
        """
        return await bulk_terminate.terminate_many(
            _bulk_port.BulkRequests(self._api, request_timeout),
            ids,
            batch_size=batch_size,
            wait=wait,
            on_progress=on_progress,
            poll_interval=poll_interval,
            timeout=timeout,
        )

    async def wait_for(
        self,
        ids: Sequence[str],
        status: InstanceStatus | str = InstanceStatus.ACTIVE,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        unhealthy_timeout: float = DEFAULT_UNHEALTHY_TIMEOUT,
        on_progress: Callable[[ProgressEvent], object] | None = None,
        request_timeout: Timeout | None = None,
    ) -> builtins.list[Instance]:
        """Wait until every instance is ``active`` (or ``terminated``); return them, in order.

        Polls with one list call per ``poll_interval``, however many ids; a failing list call
        is retried until ``timeout``. Every poll judges every id again, and the wait ends on a
        poll that settles them all: the result is that poll's view. Waiting for ``active``, an
        instance that is terminating, terminated, preempted or gone, or unhealthy for
        ``unhealthy_timeout`` seconds, has failed (even if it was active before):
        ``InstanceWaitError`` names those. Waiting for ``terminated``, an id the list no longer
        shows counts as terminated (and is left out of the result unless it was seen ended).
        After ``timeout`` seconds (``None``: no limit) raises ``WaitTimeoutError`` with every
        id's last status (and the list's last failure as its cause, if it failed).
        """
        return await bulk_wait.wait_for(
            _bulk_port.BulkRequests(self._api, request_timeout),
            ids,
            status,
            timeout=timeout,
            poll_interval=poll_interval,
            unhealthy_timeout=unhealthy_timeout,
            on_progress=on_progress,
        )


class AsyncInstancesWithRawResponse(WithRawResponse):
    """``AsyncInstances``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, instances: AsyncInstances) -> None:
        super().__init__(instances)
        self.list = async_to_raw_response_wrapper(instances.list)
        self.get = async_to_raw_response_wrapper(instances.get)
        self.update = async_to_raw_response_wrapper(instances.update)
        self.launch = async_to_raw_response_wrapper(instances.launch)
        self.hourly_cost_cents = async_to_raw_response_wrapper(instances.hourly_cost_cents)
        self.restart = async_to_raw_response_wrapper(instances.restart)
        self.terminate = async_to_raw_response_wrapper(instances.terminate)
        self.launch_many = async_to_raw_response_wrapper(instances.launch_many)
        self.find_run = async_to_raw_response_wrapper(instances.find_run)
        self.reclaim = async_to_raw_response_wrapper(instances.reclaim)
        self.terminate_many = async_to_raw_response_wrapper(instances.terminate_many)
        self.wait_for = async_to_raw_response_wrapper(instances.wait_for)
        self.reap = async_to_raw_response_wrapper(instances.reap)
        self.extend_expiry = async_to_raw_response_wrapper(instances.extend_expiry)
        self.costs = async_to_raw_response_wrapper(instances.costs)
        self.list_instances = async_to_raw_response_wrapper(instances.list_instances)
        self.get_instance = async_to_raw_response_wrapper(instances.get_instance)
        self.post_instance = async_to_raw_response_wrapper(instances.post_instance)
        self.list_instance_types = async_to_raw_response_wrapper(instances.list_instance_types)
        self.launch_instance = async_to_raw_response_wrapper(instances.launch_instance)
        self.restart_instance = async_to_raw_response_wrapper(instances.restart_instance)
        self.terminate_instance = async_to_raw_response_wrapper(instances.terminate_instance)
