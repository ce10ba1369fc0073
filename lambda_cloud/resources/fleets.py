"""``client.fleets``: plan, apply, watch, inspect and delete fleets (the logic is
``lambda_cloud.fleets``'s; this module makes the requests, through ``client.instances``)."""

from __future__ import annotations

import asyncio
import builtins
import datetime
import logging
from collections.abc import AsyncIterator, Callable

from .._api import ClientAPI
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from .._validation import check_bool, check_callback
from ..bulk.checks import check_positive
from ..bulk.launch import slot_name
from ..bulk.progress import ProgressEvent
from ..bulk.reports import BulkTerminateReport
from ..errors import FINAL_ERRORS, APIError, LambdaCloudError, SpendGuardError
from ..fleets.plan import Sightings, fleet_names, fleet_status, plan_fleet
from ..fleets.reports import FleetApplyReport, FleetPlan, FleetStatus
from ..fleets.spec import Fleet, check_fleet, check_fleet_name, fleet_run_id
from ._base import AsyncAPIResource
from ._spend import dearest
from .instance_types import AsyncInstanceTypes
from .instances import AsyncInstances

__all__ = ["DEFAULT_WATCH_INTERVAL", "AsyncFleets", "AsyncFleetsWithRawResponse"]

log = logging.getLogger("lambda_cloud")

#: Seconds between two passes of ``watch`` by default.
DEFAULT_WATCH_INTERVAL = 60.0
_UTC = datetime.timezone.utc


class AsyncFleets(AsyncAPIResource):
    """Fleets: named sets of instances kept at a count, replaced when they end."""

    def __init__(self, api: ClientAPI) -> None:
        super().__init__(api)
        self._instances = AsyncInstances(api)
        self._sightings = Sightings()

    async def plan(self, fleet: Fleet) -> FleetPlan:
        """What ``apply`` would do now: the slots to launch, the members to replace (ended,
        unhealthy, stuck booting, expired, or not what the fleet launches now) and to
        terminate (past ``count``, or a slot's second instance), the healthy members of another
        type or region it keeps until the instance-types listing shows capacity and the spend
        ceiling room for their replacements (``deferred``), the slots it leaves empty, and the
        hourly cost before and after. Sends only two GETs (the instances
        and the instance types): nothing that changes state."""
        return await self._plan(check_fleet(fleet))

    async def _plan(self, fleet: Fleet) -> FleetPlan:
        instances = await self._instances.list()
        types = await AsyncInstanceTypes(self._api).list()
        _, price = dearest(types, fleet.instance_type_names, field="instance_type_names")
        regions = fleet.region_names
        has_capacity = any(
            regions is None or region in regions
            for name in fleet.instance_type_names
            for region in types[name].region_names
        )
        ceiling = fleet.max_hourly_cost_cents
        return plan_fleet(
            fleet,
            instances,
            now=datetime.datetime.now(_UTC),
            unhealthy_for=self._sightings.observe(instances),
            launch_price=price,
            max_hourly_cost_cents=self._api.max_hourly_cost_cents if ceiling is None else ceiling,
            has_capacity=has_capacity,
        )

    async def apply(
        self,
        fleet: Fleet,
        *,
        on_progress: Callable[[ProgressEvent], object] | None = None,
    ) -> FleetApplyReport:
        """Carry out the plan: terminate what it ends (``terminate_many``), rename the members
        whose name is not their slot's (``instances.update``; a failure is ``report.error``,
        and nothing is launched), then fill the empty slots with
        ``launch_many(run_id=fleet.run_id)``, which adopts the live members, hunts for capacity
        with the fleet's ``hunt``, and launches under its spend ceiling (a refusal at the
        account's books is ``report.error``, not raised).

        Appliers of one fleet never double a slot: with a shared store the run lease makes a
        second one wait its turn (``RunLeasedError``), without one every applier keeps the
        instance launched first. When a member to replace could not be terminated, nothing is
        launched (``report.terminated`` says which failed; the next apply tries again).
        Cancelled, the launch keeps what it created (they are members; ``delete`` ends them).
        ``report.raise_for_errors()`` raises ``FleetApplyError`` below ``min_count``."""
        fleet = check_fleet(fleet)
        check_callback(on_progress, "on_progress")
        plan = await self._plan(fleet)
        report = FleetApplyReport(plan=plan)
        instances = self._instances
        if plan.doomed:
            report.terminated = await instances.terminate_many(plan.doomed, on_progress=on_progress)
            failed = set(report.terminated.failed)
            if any(change.instance_id in failed for change in plan.replace):
                # Still running in the slot its replacement would take: the launch would refuse
                # it (a mismatched one) or adopt it. The next pass terminates it again.
                return report
        if plan.rename and not await self._rename(fleet, plan, report):
            return report
        if not plan.launch_count:
            return report
        try:
            report.launched = await instances.launch_many(
                plan.launch_count,
                run_id=fleet.run_id,
                instance_type_names=fleet.instance_type_names,
                ssh_key_names=list(fleet.ssh_key_names),
                region_names=fleet.region_names,
                file_system_names=fleet.file_system_names,
                name_prefix=fleet.prefix,
                hunt=fleet.hunt,
                max_hourly_cost_cents=fleet.max_hourly_cost_cents,
                expires_in=fleet.expires_in,
                on_progress=on_progress,
                on_cancel="keep",
            )
        except SpendGuardError as exc:  # what others reserved meanwhile left no room
            report.error = exc
        return report

    async def _rename(self, fleet: Fleet, plan: FleetPlan, report: FleetApplyReport) -> bool:
        """Give the members ``plan.rename`` lists their slot's name; ``False`` (the failure in
        ``report.error``) if one failed: the launch would refuse its slot's misnamed member."""
        for change in plan.rename:
            assert change.instance_id is not None  # a rename is of a member
            try:
                await self._instances.update(
                    change.instance_id, name=slot_name(fleet.prefix, change.slot) or ""
                )
            except APIError as exc:  # gone meanwhile, say: the next pass plans again
                report.error = exc
                return False
            report.renamed.append(change.instance_id)
        return True

    async def watch(
        self,
        fleet: Fleet,
        *,
        interval: float = DEFAULT_WATCH_INTERVAL,
    ) -> AsyncIterator[FleetApplyReport]:
        """Apply the fleet, yield the report, wait ``interval`` seconds, and again, for as long
        as the caller iterates: each pass replaces what ended since the last. A pass that fails
        (the API unreachable past its retries, say) is logged and yielded as a report whose
        ``error`` says why, and the next pass tries again. What no pass can get past ends the
        watch, raised: a ``ValidationError`` (a fleet the API refuses, such as an unknown
        type), an ``AuthenticationError`` or ``PermissionDeniedError`` (the key refused), a
        closed client (``FINAL_ERRORS``). Each report says what its pass launched and
        terminated (``apply`` takes an ``on_progress`` for one pass)."""
        fleet = check_fleet(fleet)
        check_positive(interval, "interval")
        while True:
            try:
                report = await self.apply(fleet)
            except FINAL_ERRORS:
                raise
            except LambdaCloudError as exc:
                log.warning("fleet %s: pass failed, next in %g s: %s", fleet.name, interval, exc)
                report = FleetApplyReport(plan=None, error=exc)
            yield report
            await asyncio.sleep(interval)

    async def status(self, name: str) -> FleetStatus:
        """Fleet ``name``'s members as the instance list shows them (one list call): no spec
        needed, so any machine can look."""
        name = check_fleet_name(name)
        instances = await self._instances.list()
        return fleet_status(name, fleet_run_id(name), instances)

    async def list(self) -> builtins.list[FleetStatus]:
        """Every fleet with instances in the list (one list call), by name."""
        instances = await self._instances.list()
        return [fleet_status(n, fleet_run_id(n), instances) for n in fleet_names(instances)]

    async def delete(
        self,
        name: str,
        *,
        wait: bool = False,
        on_progress: Callable[[ProgressEvent], object] | None = None,
    ) -> BulkTerminateReport:
        """Terminate every live member of fleet ``name`` (``instances.reclaim`` of its run id:
        confirmed per id, as ``terminate_many`` does; ``wait=True`` waits until they are
        terminated). Stop its watchers first, or they launch it again."""
        run_id = fleet_run_id(check_fleet_name(name))
        check_bool(wait, "wait")
        return await self._instances.reclaim(run_id, wait=wait, on_progress=on_progress)


class AsyncFleetsWithRawResponse(WithRawResponse):
    """``AsyncFleets``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, fleets: AsyncFleets) -> None:
        super().__init__(fleets)
        self.plan = async_to_raw_response_wrapper(fleets.plan)
        self.apply = async_to_raw_response_wrapper(fleets.apply)
        self.status = async_to_raw_response_wrapper(fleets.status)
        self.list = async_to_raw_response_wrapper(fleets.list)
        self.delete = async_to_raw_response_wrapper(fleets.delete)
