"""The port to the bulk engine: ``BulkRequests`` implements ``bulk.api.InstancesAPI`` over the
client's requests (the bulk methods hand it to the engine), and the bulk calls that do more than
that: ``launch_many`` opens what it holds (the run lease, the spend reservation), ``reclaim``
finds its run first."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable, Sequence

import attrs

from .._api import ClientAPI
from .._config import Timeout, to_client_timeout
from .._deadline import Deadline, retrying_until
from .._options import RequestOptions
from .._validation import check_ids, check_list, check_string
from ..bulk import launch as bulk_launch
from ..bulk import terminate as bulk_terminate
from ..bulk.api import RequestBuilder
from ..bulk.errors import BulkLaunchCancelledError
from ..bulk.inventory import is_live, run_instances
from ..bulk.options import DEFAULT_BATCH_SIZE, DEFAULT_POLL_INTERVAL, LaunchManyOptions, LaunchRun
from ..bulk.progress import ProgressEvent
from ..bulk.reports import BulkLaunchReport, BulkTerminateReport
from ..bulk.slots import check_run_id
from ..types.instance_types import InstanceTypesItem
from ..types.instances import Instance
from ..types.launch import LaunchOptions
from ._instance_requests import InstanceRequests
from ._launch_request import build_launch_request, reserve, sdk_tags, type_names
from .instance_types import AsyncInstanceTypes

__all__ = ["BulkRequests", "find_run", "launch_many", "reclaim"]

# Only ever used to validate the template request; each launch names its own region.
_ANY_REGION = "region"


class BulkRequests:
    """The ``InstancesAPI`` the bulk operations run on: one call's requests, each sent with
    its ``request_timeout`` (the client's retries and headers)."""

    def __init__(self, api: ClientAPI, request_timeout: Timeout | None) -> None:
        self._instances = InstanceRequests(api)
        self._types = AsyncInstanceTypes(api)
        #: What each request is sent with; checked now, not at the first request: a bulk call
        #: refuses a bad one before it starts.
        self.options: RequestOptions = (
            {}
            if request_timeout is None
            else {"timeout": to_client_timeout(request_timeout, "request_timeout")}
        )

    async def list_instances(self, deadline: Deadline) -> builtins.list[Instance]:
        with retrying_until(deadline):
            return await self._instances.list(options=self.options)

    async def list_instance_types(self, deadline: Deadline) -> dict[str, InstanceTypesItem]:
        with retrying_until(deadline):
            return await self._types.list(**self.options)

    async def launch(self, build: RequestBuilder, deadline: Deadline) -> builtins.list[str]:
        with retrying_until(deadline):
            return await self._instances.launch(build, options=self.options)

    async def terminate(
        self, ids: builtins.list[str], deadline: Deadline
    ) -> builtins.list[Instance]:
        with retrying_until(deadline):
            return await self._instances.terminate(ids, options=self.options, gone_is_done=False)


async def launch_many(api: ClientAPI, count: int, options: LaunchManyOptions) -> BulkLaunchReport:
    """See ``AsyncInstances.launch_many``."""
    run, what = LaunchRun.split(options)
    last = count - 1 if isinstance(count, int) and count > 0 else 0
    types = type_names(what.get("instance_type_name"), run.instance_type_names)
    # The last slot has the longest name and hostname: if it passes, they all do (once
    # they are known to be strings: a suffixed 5 would pass as "5-0").
    hostname = what.get("hostname")
    last_slot: LaunchOptions = {
        **what,
        "instance_type_name": types[0],
        "hostname": bulk_launch.slot_hostname(
            None if hostname is None else check_string(hostname, "hostname"), last, count
        ),
    }
    template = build_launch_request(
        region_name=_ANY_REGION,  # LaunchRun checked region_names
        name=bulk_launch.slot_name(run.name_prefix, last),
        **last_slot,
    )
    plan = bulk_launch.plan_launch(
        template, count, run, instance_type_names=types, hostname=hostname
    )
    tags = sdk_tags(api, template.tags, run.expires_in, run.expires_at)
    port = BulkRequests(api, run.request_timeout)
    async with api.run_lease(plan.run_id if plan.rerun else None):
        try:
            reservation, listing = await reserve(
                api, types, count, run.max_hourly_cost_cents, port.options, run_id=plan.run_id
            )
        except asyncio.CancelledError as cancelled:
            # Nothing launched yet; the caller still finds the report as the cause, as it
            # would for a run cancelled at any later point.
            raise cancelled from BulkLaunchCancelledError(bulk_launch.unstarted_report(plan))
        # The first capacity check starts from the spend check's listing, not a second one.
        plan = attrs.evolve(plan, instance_types=listing, budget=reservation, sdk_tags=tags)
        try:
            return await bulk_launch.launch_many(port, plan, run.on_progress)
        finally:
            if reservation is not None:
                await reservation.release()


async def find_run(api: ClientAPI, run_id: str, options: RequestOptions) -> builtins.list[Instance]:
    """See ``AsyncInstances.find_run``."""
    wanted = check_run_id(run_id)
    listed = await InstanceRequests(api).list(options=options)
    found = run_instances(listed, wanted)
    return [i for slot in sorted(found) for i in found[slot] if is_live(i)]


async def reclaim(
    api: ClientAPI,
    run_id: str,
    *,
    keep: Sequence[str],
    wait: bool,
    on_progress: Callable[[ProgressEvent], object] | None,
    timeout: float | None,
    request_timeout: Timeout | None,
) -> BulkTerminateReport:
    """See ``AsyncInstances.reclaim``."""
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
    live = await find_run(api, run_id, BulkRequests(api, request_timeout).options)
    ids = [i.id for i in live if i.id not in kept]
    if not ids:  # nothing left running: terminate_many refuses an empty list
        return BulkTerminateReport()
    return await bulk_terminate.terminate_many(
        BulkRequests(api, request_timeout),
        ids,
        batch_size=DEFAULT_BATCH_SIZE,
        wait=wait,
        on_progress=on_progress,
        poll_interval=DEFAULT_POLL_INTERVAL,
        timeout=timeout,
    )
