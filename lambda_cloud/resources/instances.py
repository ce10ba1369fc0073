"""``/instances`` and ``/instance-operations``: list, inspect, rename, launch, restart,
terminate."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import datetime
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .._budget import LiveCost, Reservation
from .._compat import Unpack
from .._config import Timeout, check_spend_ceiling, to_client_timeout
from .._converter import structure, unstructure
from .._deadline import Deadline, retrying_until
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from .._retry import RetryPolicy, RetryRule, may_have_taken_effect
from .._validation import (
    check_callback,
    check_hostname,
    check_ids,
    check_length,
    check_list,
    check_mount_point,
    check_path_id,
    check_single_ssh_key,
    check_string,
    check_tag,
    check_user_data,
)
from ..bulk import launch as bulk_launch
from ..bulk import terminate as bulk_terminate
from ..bulk import wait as bulk_wait
from ..bulk.api import RequestBuilder
from ..bulk.checks import check_names
from ..bulk.errors import BulkLaunchCancelledError
from ..bulk.inventory import is_live, run_instances
from ..bulk.options import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_SETTLE_TIMEOUT,
    DEFAULT_UNHEALTHY_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    Hunt,
    OnCancel,
)
from ..bulk.progress import ProgressEvent
from ..bulk.reports import BulkLaunchReport, BulkTerminateReport
from ..bulk.slots import check_run_id, token
from ..errors import APIError, APIResponseError, LaunchOutcomeUnknownError, ValidationError
from ..lifecycle import CostReport, ExpiresIn, ExpiryExtensions, GroupBy, ReapReport
from ..types.instance_types import InstanceTypesItem
from ..types.instances import (
    FirewallRulesetEntry,
    ImageSpecification,
    ImageSpecificationFamily,
    ImageSpecificationID,
    Instance,
    InstanceStatus,
    LaunchInstanceRequest,
    RequestedFilesystemMountEntry,
    RequestedTagEntry,
)
from ..types.launch import (
    BulkLaunchOptions,
    FileSystemMountParam,
    FirewallRulesetParam,
    ImageParam,
    LaunchOptions,
    TagsParam,
)
from . import _lifecycle
from ._base import AsyncAPIResource, is_conflict, is_not_found
from ._seed import SeedInstancesMixin
from ._spend import dearest, live_costs

if TYPE_CHECKING:
    from .._client import AsyncLambdaCloud

__all__ = ["AsyncInstances", "AsyncInstancesWithRawResponse", "build_launch_request"]


class AsyncInstances(SeedInstancesMixin):
    """Your instances, and the operations that launch, restart and terminate them."""

    async def list(
        self,
        *,
        cluster_id: str | None = None,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> builtins.list[Instance]:
        """Your running instances (and recently terminated ones, for a while), optionally only
        those of 1-Click Cluster ``cluster_id``."""
        params = (
            None
            if cluster_id is None
            else {"cluster_id": check_length(cluster_id, "cluster_id", min_len=1, max_len=256)}
        )
        data = await self._request(
            "GET", "/instances", params=params, timeout=timeout, retries=retries
        )
        return structure(data, list[Instance])

    async def get(
        self, id: str, *, timeout: Timeout | None = None, retries: int | RetryPolicy | None = None
    ) -> Instance:
        """The instance with this id; ``NotFoundError`` once it is gone."""
        data = await self._request(
            "GET", f"/instances/{check_path_id(id)}", timeout=timeout, retries=retries
        )
        return structure(data, Instance)

    async def update(
        self,
        id: str,
        *,
        name: str,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> Instance:
        """Rename an instance (up to 64 characters; ``""`` clears the name)."""
        body = {"name": check_length(name, "name", max_len=64)}
        # Setting a name is idempotent, so a lost answer may safely be retried.
        data = await self._request(
            "POST", f"/instances/{check_path_id(id)}", body=body, timeout=timeout, retries=retries
        )
        return structure(data, Instance)

    async def launch(
        self,
        *,
        region_name: str,
        name: str | None = None,
        max_hourly_cost_cents: int | None = None,
        expires_in: ExpiresIn | None = None,
        expires_at: datetime.datetime | None = None,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
        **options: Unpack[LaunchOptions],
    ) -> builtins.list[str]:
        """Launch one instance named ``name`` in ``region_name`` and return its id (in a list, as
        the API does). ``options`` say what to launch (see ``LaunchOptions``): at least
        ``instance_type_name`` and ``ssh_key_names``.

        Retried only when the request provably had no effect (429, connection refused). If the
        outcome is unknown (a timeout after sending, a broken connection, a 5xx or ``provider/*``
        error, a success without the new id) this raises
        ``LaunchOutcomeUnknownError`` rather than risk paying for a duplicate: see
        ``launch_many`` for launches that reconcile by themselves.

        With ``max_hourly_cost_cents`` (or the client's), the type's price and the account's
        live instances are listed first, and a launch that would take what the account runs,
        plus what the client's other guarded calls hold, past that many cents per hour raises
        ``SpendLimitExceededError`` unsent (``InvalidPriceError`` for a price that is not one).

        The instance is tagged with the client's ``owner`` and, given ``expires_in`` (seconds
        or a ``timedelta``) or ``expires_at`` (or the client's ``default_expires_in``), with
        when it expires: ``reap`` terminates it after that.
        """
        request = build_launch_request(region_name=region_name, name=name, **options)
        tags = _lifecycle.sdk_tags(self._client, request.tags, expires_in, expires_at)
        request = attrs.evolve(request, tags=[*(request.tags or ()), *tags])
        reservation, _ = await self._reserve(
            [request.instance_type_name], 1, max_hourly_cost_cents, timeout, retries
        )

        async def build() -> LaunchInstanceRequest:
            return request

        try:
            return await self._send_launch(build, timeout=timeout, retries=retries)
        finally:
            if reservation is not None:
                await reservation.release()

    async def _reserve(
        self,
        names: builtins.list[str],
        count: int,
        max_hourly_cost_cents: int | None,
        timeout: Timeout | None,
        retries: int | RetryPolicy | None,
        *,
        run_id: str | None = None,
    ) -> tuple[Reservation | None, dict[str, InstanceTypesItem] | None]:
        """Reserve ``count`` launches of the dearest of ``names`` (run ``run_id``'s slots) from
        the client's spend budget, or raise ``SpendLimitExceededError`` (``InvalidPriceError``);
        the reservation and the instance-types listing that priced it (``None`` and ``None``
        without a ceiling)."""
        ceiling = (
            self._client.max_hourly_cost_cents
            if max_hourly_cost_cents is None
            else check_spend_ceiling(max_hourly_cost_cents)
        )
        if ceiling is None:
            return None, None
        types = await self._client.instance_types.list(timeout=timeout, retries=retries)
        name, price = dearest(types, names)

        async def live() -> builtins.list[LiveCost]:
            return live_costs(await self.list(timeout=timeout, retries=retries))

        # The run's instances, listed while it runs (or adopted by a rerun), are in its hold.
        tokens = frozenset(() if run_id is None else (token(run_id, i) for i in range(count)))
        reservation = await self._client._budget.reserve(
            ceiling=ceiling,
            count=count,
            instance_type_name=name,
            price=price,
            live=live,
            tokens=tokens,
        )
        return reservation, types

    async def hourly_cost_cents(
        self, *, timeout: Timeout | None = None, retries: int | RetryPolicy | None = None
    ) -> int:
        """What the account's live instances (not terminating, terminated or preempted) cost
        per hour, in US cents: one list call (each instance carries its type's price;
        ``InvalidPriceError`` if one is not a whole number of cents)."""
        instances = await self.list(timeout=timeout, retries=retries)
        return sum(cost for _, cost in live_costs(instances))

    async def _send_launch(
        self,
        build: RequestBuilder,
        *,
        timeout: Timeout | None,
        retries: int | RetryPolicy | None,
    ) -> builtins.list[str]:
        """Launch the request ``build`` makes once the launch's rate-limit slot is reserved."""
        sent: dict[str, Any] = {}

        async def body() -> object:
            sent.clear()
            sent.update(unstructure(await build()))
            return sent

        try:
            data = await self._request(
                "POST",
                "/instance-operations/launch",
                build_body=body,
                rule=RetryRule.LAUNCH,
                timeout=timeout,
                retries=retries,
            )
        except APIError as exc:
            if may_have_taken_effect(exc):
                raise _outcome_unknown(exc, sent) from exc
            raise
        ids = data.get("instance_ids") if isinstance(data, dict) else None
        if (
            not isinstance(ids, builtins.list)
            or not ids
            or not all(isinstance(i, str) for i in ids)
        ):
            # The launch went through, but which instance it made is unknown: reconcile.
            bad = APIResponseError(
                f"Launch answered without instance ids: {str(data)[:200]}",
                method="POST",
                url=self._client.base_url + "/instance-operations/launch",
            )
            raise _outcome_unknown(bad, sent) from bad
        return ids

    async def restart(
        self,
        ids: Sequence[str],
        *,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> builtins.list[Instance]:
        """Restart instances; returns them as the API reports them after the request."""
        instance_ids = check_ids(ids, "ids")
        data = await self._request(
            "POST",
            "/instance-operations/restart",
            body={"instance_ids": instance_ids},
            timeout=timeout,
            retries=retries,
            done_if=is_conflict,
        )
        if data is None:  # restarted by an attempt whose answer was lost
            return await self._listed(instance_ids, timeout=timeout, retries=retries)
        return structure(data["restarted_instances"], builtins.list[Instance])

    async def terminate(
        self,
        ids: Sequence[str],
        *,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> builtins.list[Instance]:
        """Terminate instances; an unknown id fails the whole call with ``NotFoundError``.

        Instances already terminating or terminated are returned as they are. If a retry of a
        single-id call finds the instance gone after an attempt whose answer was lost, the
        terminate counts as done (the result then holds it only if it is still listed).
        """
        instance_ids = check_ids(ids, "ids")
        # With several ids, a 404 may name one that never existed, in which case the API
        # terminated none of them: only a lone id's 404 can be the lost attempt's work.
        return await self._terminate(
            instance_ids, timeout=timeout, retries=retries, gone_is_done=len(instance_ids) == 1
        )

    async def _terminate(
        self,
        ids: builtins.list[str],
        *,
        timeout: Timeout | None,
        retries: int | RetryPolicy | None,
        gone_is_done: bool,
    ) -> builtins.list[Instance]:
        """``terminate`` without validation; ``gone_is_done=False`` makes every 404 an error
        (``terminate_many`` tells an unknown id from a terminated one)."""
        data = await self._request(
            "POST",
            "/instance-operations/terminate",
            body={"instance_ids": ids},
            timeout=timeout,
            retries=retries,
            done_if=is_not_found if gone_is_done else None,
        )
        if data is None:  # terminated by an attempt whose answer was lost
            return await self._listed(ids, timeout=timeout, retries=retries)
        return structure(data["terminated_instances"], builtins.list[Instance])

    async def _listed(
        self,
        ids: builtins.list[str],
        *,
        timeout: Timeout | None,
        retries: int | RetryPolicy | None,
    ) -> builtins.list[Instance]:
        """The listed instances among ``ids`` (the result of an operation whose answer was lost)."""
        wanted = set(ids)
        return [i for i in await self.list(timeout=timeout, retries=retries) if i.id in wanted]

    async def launch_many(
        self,
        count: int,
        *,
        instance_type_names: Sequence[str] | None = None,
        hunt: Hunt | None = None,
        max_hourly_cost_cents: int | None = None,
        region_names: Sequence[str] | None = None,
        name_prefix: str | None = None,
        run_id: str | None = None,
        expires_in: ExpiresIn | None = None,
        expires_at: datetime.datetime | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        wait: bool = False,
        on_progress: Callable[[ProgressEvent], object] | None = None,
        on_cancel: OnCancel = "terminate",
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        settle_timeout: float = DEFAULT_SETTLE_TIMEOUT,
        timeout: float | None = None,
        request_timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
        **options: Unpack[BulkLaunchOptions],
    ) -> BulkLaunchReport:
        """Launch ``count`` instances, one per slot, and report on every slot. ``options`` say
        what to launch, as for ``launch``; instead of ``instance_type_name``,
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
        and ``retries`` apply to each request. Failed slots are in ``report.failures``; call
        ``report.raise_for_errors()`` to raise on any. When cancelled, it first accounts for
        in-flight launches (within the same settle horizon; a second cancel cuts it short, a
        third skips its last listing too), then terminates (``on_cancel="terminate"``) or keeps
        what it knows it created, and re-raises the ``CancelledError`` with a
        ``BulkLaunchCancelledError`` holding the report as its cause.
        """
        last = count - 1 if isinstance(count, int) and count > 0 else 0
        type_names = _type_names(options.get("instance_type_name"), instance_type_names)
        # The last slot has the longest name and hostname: if it passes, they all do (once
        # they are known to be strings: a suffixed 5 would pass as "5-0").
        hostname = options.get("hostname")
        last_slot: LaunchOptions = {
            **options,
            "instance_type_name": type_names[0],
            "hostname": bulk_launch.slot_hostname(
                None if hostname is None else check_string(hostname, "hostname"), last, count
            ),
        }
        template = build_launch_request(
            region_name=_ANY_REGION,  # plan_launch checks region_names
            name=bulk_launch.slot_name(
                None if name_prefix is None else check_string(name_prefix, "name_prefix"), last
            ),
            **last_slot,
        )
        plan = bulk_launch.plan_launch(
            template,
            count,
            instance_type_names=type_names,
            hunt=hunt,
            run_id=run_id,
            region_names=region_names,
            name_prefix=name_prefix,
            hostname=hostname,
            max_concurrency=max_concurrency,
            wait=wait,
            on_cancel=on_cancel,
            poll_interval=poll_interval,
            settle_timeout=settle_timeout,
            timeout=timeout,
        )
        tags = _lifecycle.sdk_tags(self._client, template.tags, expires_in, expires_at)
        check_callback(on_progress, "on_progress")
        async with self._run_lease(plan.run_id if plan.rerun else None):
            try:
                reservation, listing = await self._reserve(
                    type_names,
                    count,
                    max_hourly_cost_cents,
                    request_timeout,
                    retries,
                    run_id=plan.run_id,
                )
            except asyncio.CancelledError as cancelled:
                # Nothing launched yet; the caller still finds the report as the cause, as it
                # would for a run cancelled at any later point.
                raise cancelled from BulkLaunchCancelledError(bulk_launch.unstarted_report(plan))
            # The first capacity check starts from the spend check's listing, not a second one.
            plan = attrs.evolve(plan, instance_types=listing, budget=reservation, sdk_tags=tags)
            api = _BulkRequests(self._client, timeout=request_timeout, retries=retries)
            try:
                return await bulk_launch.launch_many(api, plan, on_progress)
            finally:
                if reservation is not None:
                    await reservation.release()

    def _run_lease(self, run_id: str | None) -> AbstractAsyncContextManager[None]:
        """The lease on ``run_id`` in the shared store, held while the run goes (nothing
        without a run id chosen by the caller, or without a store)."""
        limiter = self._client._transport.rate_limiter
        account = None if limiter is None or run_id is None else limiter.shared_account()
        if account is None or run_id is None:
            return contextlib.nullcontext()
        from ..shared.leases import run_lease

        return run_lease(account, run_id)

    async def find_run(
        self,
        run_id: str,
        *,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> builtins.list[Instance]:
        """The live instances (not terminating, terminated or preempted) that ``launch_many``
        with this ``run_id`` created, by slot: one list call."""
        wanted = check_run_id(run_id)
        found = run_instances(await self.list(timeout=timeout, retries=retries), wanted)
        return [i for slot in sorted(found) for i in found[slot] if is_live(i)]

    async def reclaim(
        self,
        run_id: str,
        *,
        keep: Sequence[str] = (),
        wait: bool = False,
        on_progress: Callable[[ProgressEvent], object] | None = None,
        timeout: float | None = None,
        request_timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> BulkTerminateReport:
        """Terminate every live instance of run ``run_id`` except the ids in ``keep``: what a
        crashed or interrupted ``launch_many`` left running. Arguments as ``terminate_many``."""
        # Every argument is checked before the listing: a bad one costs no request.
        keep_ids = check_list(keep, "keep")
        kept = set(check_ids(keep_ids, "keep")) if keep_ids else set()
        bulk_terminate.check_options(
            batch_size=DEFAULT_BATCH_SIZE,
            wait=wait,
            on_progress=on_progress,
            poll_interval=DEFAULT_POLL_INTERVAL,
            timeout=timeout,
        )
        api = _BulkRequests(self._client, timeout=request_timeout, retries=retries)
        live = await self.find_run(run_id, timeout=api.timeout, retries=api.retries)
        ids = [i.id for i in live if i.id not in kept]
        if not ids:  # nothing left running: terminate_many refuses an empty list
            return BulkTerminateReport()
        return await self.terminate_many(
            ids,
            wait=wait,
            on_progress=on_progress,
            timeout=timeout,
            request_timeout=request_timeout,
            retries=retries,
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
        retries: int | RetryPolicy | None = None,
    ) -> ReapReport:
        """The live instances of ``owner`` (default: the client's) whose expiry tag has passed
        by ``now`` (default: the current time; naive is UTC), and the idle file systems; with
        ``dry_run=False`` the expired instances are terminated through ``terminate_many``.

        Only instances carrying both the SDK's owner and expiry tags are considered, never one
        in ``keep``. Tags cannot change after launch: an expiry extended in ``extensions``
        (an ``ExpiryExtensions``; default: the client's shared store, if it has one, where
        ``extend_expiry`` records) postpones it; while the extensions cannot be read, no
        expired instance is terminated (they are in ``report.unverified``). File systems no
        live instance mounts are listed, and deleted only when named in
        ``delete_file_systems`` (and not a dry run; ``ValidationError``, before anything is
        terminated, for one that is not idle). Terminate arguments as ``terminate_many``; one
        list call of each.
        """
        return await _lifecycle.reap(
            self._client,
            dry_run=dry_run,
            owner=owner,
            now=now,
            keep=keep,
            extensions=extensions,
            account=self._shared_account(),
            delete_file_systems=delete_file_systems,
            wait=wait,
            on_progress=on_progress,
            timeout=timeout,
            request_timeout=request_timeout,
            retries=retries,
        )

    async def extend_expiry(
        self,
        ids: Sequence[str],
        *,
        by: ExpiresIn | None = None,
        until: datetime.datetime | None = None,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> dict[str, datetime.datetime]:
        """Postpone the expiry of the instances ``ids`` by ``by`` (seconds or a ``timedelta``:
        after their current expiry, or after now if that has passed) or to ``until``; return
        each one's expiry now. Tags cannot change after launch, so the extension is recorded
        in the client's shared store (``RateLimits(shared=...)``), where every ``reap`` using
        the key reads it; an earlier expiry never replaces a later one.

        ``ValidationError`` without a shared store (keep the instances with
        ``reap(keep=[...])`` instead), or for an id that is not a live instance launched with
        an expiry; ``SharedStateError`` if the store fails (nothing is recorded). One list call.
        """
        return await _lifecycle.extend_expiry(
            self._client,
            ids,
            account=self._shared_account(),
            by=by,
            until=until,
            timeout=timeout,
            retries=retries,
        )

    async def costs(
        self,
        *,
        since: datetime.datetime | datetime.timedelta,
        until: datetime.datetime | None = None,
        group_by: GroupBy = "run",
        max_pages: int | None = None,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
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
            self._client,
            since=since,
            until=until,
            group_by=group_by,
            max_pages=max_pages,
            timeout=timeout,
            retries=retries,
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
        retries: int | RetryPolicy | None = None,
    ) -> BulkTerminateReport:
        """Terminate many instances, ``batch_size`` ids per request; never raises for an id.

        Ids already terminated, terminating or unknown to the API count as done and are
        reported as such (an unknown id is isolated, so it fails nothing else, and checked
        against the instance list before it counts as gone); transient failures are retried
        until ``timeout``. ``wait=True`` also waits until they are terminated or gone from the
        list (for at most ``DEFAULT_WAIT_TIMEOUT`` seconds when ``timeout`` is ``None``).
        ``timeout`` bounds the whole operation in seconds; ``request_timeout`` and ``retries``
        apply to each request. Call ``report.raise_for_errors()`` to raise on failures.
        """
        return await bulk_terminate.terminate_many(
            _BulkRequests(self._client, timeout=request_timeout, retries=retries),
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
        retries: int | RetryPolicy | None = None,
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
            _BulkRequests(self._client, timeout=request_timeout, retries=retries),
            ids,
            status,
            timeout=timeout,
            poll_interval=poll_interval,
            unhealthy_timeout=unhealthy_timeout,
            on_progress=on_progress,
        )


class _BulkRequests(AsyncAPIResource):
    """The ``InstancesAPI`` the bulk operations run on: one call's requests, sent with its
    ``request_timeout`` and ``retries``."""

    def __init__(
        self,
        client: AsyncLambdaCloud,
        *,
        timeout: Timeout | None,
        retries: int | RetryPolicy | None,
    ) -> None:
        super().__init__(client)
        # Checked now, not at the first request: a bulk call refuses them before it starts.
        self.timeout = None if timeout is None else to_client_timeout(timeout, "request_timeout")
        self.retries = None if retries is None else RetryPolicy.coerce(retries)

    async def list_instances(self, deadline: Deadline) -> builtins.list[Instance]:
        with retrying_until(deadline):
            return await self._client.instances.list(timeout=self.timeout, retries=self.retries)

    async def list_instance_types(self, deadline: Deadline) -> dict[str, InstanceTypesItem]:
        with retrying_until(deadline):
            return await self._client.instance_types.list(
                timeout=self.timeout, retries=self.retries
            )

    async def launch(self, build: RequestBuilder, deadline: Deadline) -> builtins.list[str]:
        with retrying_until(deadline):
            return await self._client.instances._send_launch(
                build, timeout=self.timeout, retries=self.retries
            )

    async def terminate(
        self, ids: builtins.list[str], deadline: Deadline
    ) -> builtins.list[Instance]:
        with retrying_until(deadline):
            return await self._client.instances._terminate(
                ids, timeout=self.timeout, retries=self.retries, gone_is_done=False
            )


# Only ever used to validate the template request; each launch names its own region.
_ANY_REGION = "region"


def build_launch_request(
    *, region_name: str, name: str | None = None, **options: Unpack[LaunchOptions]
) -> LaunchInstanceRequest:
    """Validate launch arguments against the spec and build the request body."""
    _check_option_names(options)
    mounts = options.get("file_system_mounts")
    image = options.get("image")
    tags = options.get("tags")
    rulesets = options.get("firewall_rulesets")
    names = options.get("file_system_names")
    hostname = options.get("hostname")
    user_data = options.get("user_data")
    return LaunchInstanceRequest(
        region_name=check_length(region_name, "region_name", min_len=1, max_len=64),
        instance_type_name=check_length(
            options["instance_type_name"], "instance_type_name", min_len=1, max_len=128
        ),
        ssh_key_names=check_single_ssh_key(options["ssh_key_names"]),
        file_system_names=None if names is None else _names(names, "file_system_names"),
        file_system_mounts=None if mounts is None else _mounts(mounts),
        hostname=None if hostname is None else check_hostname(hostname),
        name=None if name is None else check_length(name, "name", max_len=64),
        image=None if image is None else _image(image),
        user_data=None if user_data is None else check_user_data(user_data),
        tags=None if tags is None else _tags(tags),
        firewall_rulesets=None if rulesets is None else _rulesets(rulesets),
    )


_OPTION_NAMES = frozenset(LaunchOptions.__annotations__)
_REQUIRED_OPTIONS = ("instance_type_name", "ssh_key_names")


def _check_option_names(options: Mapping[str, object]) -> None:
    # ``**options`` accepts any keyword at run time; refuse what a signature would have.
    unknown = sorted(set(options) - _OPTION_NAMES)
    if unknown:
        raise TypeError(f"unexpected launch option(s): {', '.join(unknown)}")
    missing = [k for k in _REQUIRED_OPTIONS if k not in options]
    if missing:
        raise TypeError(f"missing required launch option(s): {', '.join(missing)}")


def _type_names(single: str | None, several: Sequence[str] | None) -> builtins.list[str]:
    """``launch_many``'s instance types: ``instance_type_name`` or ``instance_type_names``."""
    if several is None:
        if single is None:
            raise ValidationError(
                "instance_type_name", "required (or instance_type_names, in order of preference)"
            )
        return [single]
    if single is not None:
        raise ValidationError(
            "instance_type_names", "give instance_type_name or instance_type_names, not both"
        )
    names = check_names(several, "instance_type_names") or []
    for i, name in enumerate(names):
        check_length(name, f"instance_type_names[{i}]", min_len=1, max_len=128)
    return names


def _names(values: Sequence[str], field: str) -> builtins.list[str]:
    return [
        check_length(v, f"{field}[{i}]", min_len=1, max_len=256)
        for i, v in enumerate(check_list(values, field))
    ]


def _entry(value: object, cls: type[_M], field: str, keys: tuple[str, ...]) -> _M:
    """``value`` as an instance of ``cls``: already one, or a dict with exactly ``keys``."""
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping) and set(value) == set(keys):
        return cls(**{k: value[k] for k in keys})
    shape = "{" + ", ".join(f'"{k}": ...' for k in keys) + "}"
    raise ValidationError(field, f"expected a {cls.__name__} or a dict {shape}, got {value!r}")


def _mounts(
    values: Sequence[RequestedFilesystemMountEntry | FileSystemMountParam],
) -> builtins.list[RequestedFilesystemMountEntry]:
    result = []
    for i, value in enumerate(check_list(values, "file_system_mounts")):
        field = f"file_system_mounts[{i}]"
        entry = _entry(value, RequestedFilesystemMountEntry, field, _MOUNT_KEYS)
        check_mount_point(entry.mount_point, f"{field}.mount_point")
        check_length(entry.file_system_id, f"{field}.file_system_id", min_len=1, max_len=256)
        result.append(entry)
    return result


def _image(image: ImageParam) -> ImageSpecification:
    if isinstance(image, Mapping) and "family" in image:
        image = _entry(image, ImageSpecificationFamily, "image", ("family",))
    elif isinstance(image, Mapping):
        image = _entry(image, ImageSpecificationID, "image", ("id",))
    if isinstance(image, ImageSpecificationID):
        check_length(image.id, "image.id", min_len=1, max_len=256)
    elif isinstance(image, ImageSpecificationFamily):
        check_length(image.family, "image.family", min_len=1, max_len=256)
    else:
        raise ValidationError(
            "image",
            "expected ImageSpecificationID(id=...), ImageSpecificationFamily(family=...), "
            '{"id": ...} or {"family": ...}',
        )
    return image


def _tags(tags: TagsParam) -> builtins.list[RequestedTagEntry]:
    if isinstance(tags, Mapping):
        entries = [RequestedTagEntry(key=k, value=v) for k, v in tags.items()]
    else:
        entries = [
            _entry(t, RequestedTagEntry, f"tags[{i}]", ("key", "value"))
            for i, t in enumerate(check_list(tags, "tags"))
        ]
    for i, entry in enumerate(entries):
        check_tag(entry.key, entry.value, f"tags[{i}]")
    return entries


def _rulesets(
    values: Sequence[str | FirewallRulesetEntry | FirewallRulesetParam],
) -> builtins.list[FirewallRulesetEntry]:
    result = []
    for i, value in enumerate(check_list(values, "firewall_rulesets")):
        field = f"firewall_rulesets[{i}]"
        entry = (
            FirewallRulesetEntry(id=value)
            if isinstance(value, str)
            else _entry(value, FirewallRulesetEntry, field, ("id",))
        )
        check_length(entry.id, field, min_len=1, max_len=256)
        result.append(entry)
    return result


_M = TypeVar("_M")
_MOUNT_KEYS = ("mount_point", "file_system_id")


def _outcome_unknown(exc: APIError, body: dict[str, Any]) -> LaunchOutcomeUnknownError:
    sent = {k: v for k, v in body.items() if k != "user_data"}  # may hold secrets, and be 1 MB
    return LaunchOutcomeUnknownError(
        f"The launch may have created an instance ({type(exc).__name__}: {exc}). It was not "
        "retried, to avoid paying for a duplicate: list instances and match the name or tags "
        "before launching again (instances.launch_many reconciles automatically).",
        method=exc.method,
        url=exc.url,
        request_body=sent,
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
