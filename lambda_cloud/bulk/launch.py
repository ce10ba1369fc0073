"""Launching many instances: region fallback, reconciliation that never doubles, reruns that
converge, and cancellation that accounts for everything.

Every slot carries a launch token (``<run_id>/<slot>``) as a tag. The launch endpoint has no
idempotency key, so a launch whose outcome is unknown (timeout after sending, broken connection,
5xx, unreadable answer, cancelled mid-request) puts its slot in ``UNKNOWN``: the run lists
instances once per poll until the token shows up (the slot adopts it) or ``settle_timeout`` has
passed since the outcome became unknown with no sign of it (only then is the slot launched
again). Cancellation honours the same horizon; a second cancel cuts it short, a third cuts the
cleanup down to terminating the instances the run knows of.

Runs of one ``run_id`` (a rerun, or a CI retry while the first job still runs) need no lock to
agree: each instance also carries the time its launch was sent, and when a slot has several,
every run keeps the first in ``inventory.launch_order`` and terminates the others.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import re
import secrets
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timezone

import attrs

from .._clock import monotonic
from .._deadline import Deadline
from .._timeouts import within
from ..errors import (
    APIConnectionError,
    APIStatusError,
    DeadlineExceededError,
    FileSystemInWrongRegionError,
    InsufficientCapacityError,
    LambdaCloudError,
    LaunchOutcomeUnknownError,
    NotFoundError,
    PacingTimeoutError,
    RateLimitError,
    SpendGuardError,
    ValidationError,
)
from ..types.instance_types import InstanceTypesItem
from ..types.instances import Instance, InstanceStatus, LaunchInstanceRequest, RequestedTagEntry
from .api import InstancesAPI, SlotBudget
from .capacity import Capacity, Target
from .checks import check_positive
from .errors import (
    BulkLaunchCancelledError,
    CapacityExhaustedError,
    SlotCancelledError,
    UnresolvedLaunchError,
)
from .inventory import ENDED_STATUSES, Inventory, Listing, is_live, launch_order, mismatch
from .options import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_UNHEALTHY_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    EXPIRES_AT_TAG,
    LAUNCH_TOKEN_TAG,
    LAUNCHED_AT_TAG,
    MAX_LAUNCH_COUNT,
    OWNER_TAG,
    LaunchRun,
)
from .progress import Phase, Progress, ProgressCallback, ProgressEvent, ProgressKind
from .reports import BulkLaunchReport, LaunchedInstance, SlotFailure
from .slots import Slot, Slots, SlotState, token
from .terminate import terminate_ids
from .wait import watch

__all__ = [
    "LaunchPlan",
    "launch_many",
    "plan_launch",
    "slot_hostname",
    "slot_name",
    "unstarted_report",
]

log = logging.getLogger("lambda_cloud")

# Failures short of a refusal (a connection that never opened after the transport's retries, a
# launch seen to have created nothing) a slot survives before it is given up.
_MAX_SLOT_FAILURES = 3
# Seconds the final accounting (listing, terminating) may take, even past the run's timeout:
# leaving an instance unaccounted for costs more than running late.
_CLEANUP_BUDGET = 30.0
_S = SlotState
#: Tag keys the run sets on every instance itself (the lifecycle ones through ``sdk_tags``).
_RESERVED_TAGS = frozenset({LAUNCH_TOKEN_TAG, LAUNCHED_AT_TAG, EXPIRES_AT_TAG, OWNER_TAG})


def _utc_stamp() -> str:
    """Now, as the launch-time tag's value: fixed width, so text order is time order."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def slot_name(name_prefix: str | None, index: int) -> str | None:
    """The name of slot ``index``'s instance."""
    return None if name_prefix is None else f"{name_prefix}-{index}"


def slot_hostname(hostname: str | None, index: int, count: int) -> str | None:
    """The hostname of slot ``index``'s instance: hostnames must differ, so they are suffixed."""
    return hostname if hostname is None or count == 1 else f"{hostname}-{index}"


@attrs.frozen(kw_only=True)
class LaunchPlan:
    """A bulk launch's validated arguments. ``template`` is the request every slot's launch is
    made from (its instance type, region, name, hostname and tags are replaced per slot)."""

    template: LaunchInstanceRequest
    #: How the run goes, as the caller gave it (checked).
    run: LaunchRun
    #: The types to launch, in order of preference (the template's type first).
    instance_type_names: list[str]
    count: int
    run_id: str
    #: Whether the caller chose ``run_id``: live instances of that run are adopted.
    rerun: bool
    hostname: str | None
    #: An instance-types listing the caller has just fetched (the spend check's): the first
    #: capacity check uses it instead of listing the types again.
    instance_types: Mapping[str, InstanceTypesItem] | None = None
    #: The spend budget each slot's launch draws on at its type's latest price (``None``: no
    #: ceiling).
    budget: SlotBudget | None = None
    #: The owner and expiry tags every slot's instance carries (the same for the whole run).
    sdk_tags: tuple[RequestedTagEntry, ...] = ()


def _new_report(plan: LaunchPlan) -> BulkLaunchReport:
    return BulkLaunchReport(
        run_id=plan.run_id,
        instance_type_name=plan.template.instance_type_name,
        instance_type_names=list(plan.instance_type_names),
        requested=plan.count,
    )


def unstarted_report(plan: LaunchPlan) -> BulkLaunchReport:
    """The report of a run cancelled before it started: nothing launched, every slot
    cancelled."""
    report = _new_report(plan)
    report.cancelled = True
    report.failures = [
        SlotFailure(
            slot=i,
            token=token(plan.run_id, i),
            name=slot_name(plan.run.name_prefix, i),
            error=SlotCancelledError("cancelled before the slot was filled"),
        )
        for i in range(plan.count)
    ]
    return report


class _SlotFilled(Exception):
    """A slot was adopted while its launch waited for its rate-limit slot: send nothing."""


def _check_open(slot: Slot) -> None:
    if slot.state is not _S.PENDING and slot.state is not _S.SENDING:
        raise _SlotFilled


class _Signal:
    """Wakes every coroutine waiting for the run's state to change."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


class _Run:
    def __init__(self, api: InstancesAPI, plan: LaunchPlan, progress: Progress) -> None:
        self.api = api
        self.plan = plan
        self.progress = progress
        self.deadline = Deadline(plan.run.timeout)
        self.user_tags = [t for t in plan.template.tags or () if t.key not in _RESERVED_TAGS]
        self.slots = Slots(
            [
                Slot(
                    index=i,
                    token=token(plan.run_id, i),
                    name=slot_name(plan.run.name_prefix, i),
                    hostname=slot_hostname(plan.hostname, i, plan.count),
                )
                for i in range(plan.count)
            ]
        )
        self.queue: collections.deque[Slot] = collections.deque()
        self.capacity = Capacity(
            api,
            plan.instance_type_names,
            plan.run.region_names,
            plan.run.hunt,
            self._capacity_event,
            listing=plan.instance_types,
        )
        self.inventory = Inventory(api, plan.run_id)
        self.changed = _Signal()
        self.hurry = asyncio.Event()  # a second cancel: stop waiting for unknown launches
        self.rush = asyncio.Event()  # a third: stop listing, only terminate what is known
        self.phase = Phase.LAUNCHING
        self.cancelled = False
        self.fatal: Exception | None = None
        self.presumed_absent = False  # an unknown launch never showed up: it could land late
        self.extras: dict[str, LaunchedInstance] = {}
        #: Ids of the instances this run's own launches created (not adopted from another run
        #: of its ``run_id``): a cancel terminates these, and only these.
        self.own: set[str] = set()
        # The reconciling phase's progress: unknown launches accounted for, of how many.
        self.reconciled = self.to_reconcile = 0
        self.report = _new_report(plan)

    # -- the run ------------------------------------------------------------------------------

    async def run(self) -> BulkLaunchReport:
        try:
            if self.plan.rerun:
                await self._adopt_live()
            await self.capacity.start(self.deadline)  # failing here launched nothing
            self.queue.extend(s for s in self.slots.all if s.state is _S.PENDING)
            workers = min(self.plan.run.max_concurrency, len(self.queue)) or 1
            # gather, once cancelled, returns only after every coroutine has wound down.
            await asyncio.gather(self._reconciler(), *(self._worker() for _ in range(workers)))
            await self._sweep()
            self._build_report()
            if self.plan.run.wait:
                await self._wait_active()
        except asyncio.CancelledError as cancelled:
            for _ in range(_cancels_before_reacting() - 1):  # more Ctrl-C, pressed quickly
                self._hurry_up()
            await _despite_cancellation(self._after_cancel(), on_again=self._hurry_up)
            raise cancelled from BulkLaunchCancelledError(self.report)
        finally:
            self.inventory.close()
        return self.report

    def _busy(self) -> bool:
        """Whether any slot is still open (pending, sending, or of unknown outcome)."""
        return self.slots.settled < len(self.slots)

    async def _worker(self) -> None:
        while self._busy():
            if not self.queue:
                await self.changed.wait()
                continue
            slot = self.queue.popleft()
            if slot.state is not _S.PENDING:  # adopted while it waited in the queue
                continue
            try:
                await self._attempt(slot)
            except Exception as exc:  # an answer nobody expected, or a bug
                # Raising would leave the other workers launching unreported: treat the launch
                # as unknown, and let reconciliation adopt whatever it may have created.
                log.exception("launch_many: slot %d failed unexpectedly", slot.index)
                await self._unknown(slot, exc)

    async def _reconciler(self) -> None:
        while self._busy():
            if not self.slots.unknown:
                await self.changed.wait()
                continue
            await self._reconcile()
            if self.slots.unknown:
                await asyncio.sleep(self.plan.run.poll_interval)

    # -- one launch ---------------------------------------------------------------------------

    async def _attempt(self, slot: Slot) -> None:
        if self.fatal is not None:
            return await self._fail(slot, self.fatal)
        sent_to: list[tuple[Target, int]] = []  # (target, capacity check) of each attempt

        async def build() -> LaunchInstanceRequest:
            # Called once the launch's rate-limit slot is reserved, so the region is picked
            # with every answer received while it waited (a launch slot comes every 12 s).
            _check_open(slot)
            if self.deadline.expired:
                raise self._out_of_time(slot)
            target = await self.capacity.pick(self.deadline)
            if target is None:
                raise self.capacity.exhausted_error()
            _check_open(slot)
            if self.plan.budget is not None:
                price = self.capacity.price(target.instance_type_name)
                await self.plan.budget.draw(slot.index, target.instance_type_name, price)
                _check_open(slot)  # a shared budget's draw is a round trip to the store
            sent_to.append((target, self.capacity.checks))
            if target.region not in slot.regions_tried:
                slot.regions_tried.append(target.region)
            if slot.state is _S.PENDING:
                self.slots.move(slot, _S.SENDING)
            slot.stamps.append(_utc_stamp())
            return self._request(slot, target)

        try:
            ids = await self.api.launch(build, self.deadline)
        except _SlotFilled:
            return  # adopted while it waited for its turn: nothing was sent
        except SpendGuardError as exc:  # raised by build at the latest price: nothing was sent
            self.fatal = exc  # every later slot would be refused at that price as well
            await self._fail(slot, exc)
        except PacingTimeoutError as exc:  # its slot comes after the run's deadline
            error = self._out_of_time(slot)
            error.__cause__ = exc
            await self._fail(slot, error)
        except LambdaCloudError as exc:
            if not sent_to or isinstance(exc, CapacityExhaustedError | DeadlineExceededError):
                return await self._fail(slot, exc)  # raised by build: nothing was sent
            await self._failed_launch(slot, exc, *sent_to[-1])
        else:
            self.capacity.launched()
            target = sent_to[-1][0]
            launched = LaunchedInstance(
                id=ids[0],
                slot=slot.index,
                token=slot.token,
                region=target.region,
                instance_type_name=target.instance_type_name,
                name=slot.name,
            )
            self.own.add(launched.id)
            await self._fill(slot, launched, _S.CONFIRMED, (False, slot.stamps[-1], launched.id))

    def _request(self, slot: Slot, target: Target) -> LaunchInstanceRequest:
        return attrs.evolve(
            self.plan.template,
            instance_type_name=target.instance_type_name,
            region_name=target.region,
            name=slot.name,
            hostname=slot.hostname,
            tags=[
                *self.user_tags,
                *self.plan.sdk_tags,
                RequestedTagEntry(key=LAUNCH_TOKEN_TAG, value=slot.token),
                RequestedTagEntry(key=LAUNCHED_AT_TAG, value=slot.stamps[-1]),
            ],
        )

    async def _failed_launch(
        self, slot: Slot, exc: LambdaCloudError, target: Target, check: int
    ) -> None:
        """Decide what a failed launch means for its slot, and for the rest of the run."""
        region = target.region
        if isinstance(exc, LaunchOutcomeUnknownError):
            await self._unknown(slot, exc)
        elif isinstance(exc, InsufficientCapacityError):
            self.capacity.mark_full(target, check, exc)
            await self._requeue(slot, exc, region)
        elif isinstance(exc, FileSystemInWrongRegionError) or (
            isinstance(exc, NotFoundError) and not _names_account_resource(exc, self.plan.template)
        ):
            # Region-specific (an image or file system missing there): try the next region.
            self.capacity.mark_unusable(region, exc)
            await self._requeue(slot, exc, region)
        elif isinstance(exc, RateLimitError):  # never applied; the transport backed off
            await self._requeue(slot, exc, region)
        elif isinstance(exc, APIConnectionError) or (
            isinstance(exc, APIStatusError)
            and exc.code is None
            and exc.status_code not in (401, 403)
        ):
            # Provably not sent, or refused without a readable reason (a proxy's page): this
            # slot may try again, but it says nothing about the others.
            await self._transient(slot, exc, region)
        else:  # bad key, quota, invalid request, no such SSH key: every slot would fail alike
            self.fatal = exc
            await self._fail(slot, exc)

    def _out_of_time(self, slot: Slot) -> DeadlineExceededError:
        error = DeadlineExceededError("the launch's timeout ran out before this slot was filled")
        error.__cause__ = slot.error
        return error

    # -- transitions --------------------------------------------------------------------------

    async def _requeue(self, slot: Slot, error: Exception, region: str | None) -> None:
        if slot.state is not _S.PENDING:
            self.slots.move(slot, _S.PENDING, error=error)
        slot.error = error
        self.queue.append(slot)
        self.changed.fire()
        await self._emit(ProgressKind.RETRYING, slot, region=region, error=error)

    async def _transient(self, slot: Slot, error: Exception, region: str | None) -> None:
        slot.failures += 1
        if slot.failures >= _MAX_SLOT_FAILURES or self.cancelled:
            await self._fail(slot, error)
        else:
            await self._requeue(slot, error, region)

    async def _unknown(self, slot: Slot, error: Exception) -> None:
        if slot.state is _S.PENDING:  # failed before its request left (a bug in build, say)
            return await self._fail(slot, error)
        slot.unknown_cause = error
        slot.unknown_at = monotonic()
        self.slots.move(slot, _S.UNKNOWN, error=error)
        self.changed.fire()

    async def _fail(self, slot: Slot, error: Exception) -> None:
        if slot.maybe_landing and not isinstance(error, UnresolvedLaunchError):
            # Whatever ended the slot, a launch of it may still land: say so, in one way.
            unresolved = UnresolvedLaunchError(slot.token, self.plan.run.settle_timeout)
            unresolved.__cause__ = error
            error = unresolved
        self.slots.move(slot, _S.FAILED, error=error)
        self.changed.fire()
        await self._emit(ProgressKind.FAILED, slot, error=error)

    async def _fill(
        self,
        slot: Slot,
        instance: LaunchedInstance,
        state: SlotState,
        order: tuple[bool, str, str],
    ) -> None:
        slot.instance, slot.order = instance, order
        slot.unknown_cause = None
        self.slots.move(slot, state)
        self.changed.fire()
        await self._emit(
            ProgressKind.LAUNCHED,
            slot,
            instance_id=instance.id,
            region=instance.region,
            instance_type_name=instance.instance_type_name,
        )

    async def _capacity_event(self, kind: ProgressKind, target: Target | None) -> None:
        await self.progress.emit(
            ProgressEvent(
                kind=kind,
                phase=Phase.LAUNCHING,
                done=self.slots.settled,
                total=len(self.slots),
                instance_type_name=None if target is None else target.instance_type_name,
                region=None if target is None else target.region,
                waiting_for=tuple(self.plan.instance_type_names) if target is None else (),
            )
        )

    async def _emit(
        self,
        kind: ProgressKind,
        slot: Slot,
        *,
        instance_id: str | None = None,
        region: str | None = None,
        instance_type_name: str | None = None,
        error: Exception | None = None,
    ) -> None:
        if self.phase is Phase.RECONCILING:
            done, total = self.reconciled, self.to_reconcile
        else:
            done, total = self.slots.settled, len(self.slots)
        await self.progress.emit(
            ProgressEvent(
                kind=kind,
                phase=self.phase,
                done=done,
                total=total,
                instance_id=instance_id,
                slot=slot.index,
                region=region,
                instance_type_name=instance_type_name,
                error=error,
            )
        )

    # -- reconciliation -----------------------------------------------------------------------

    async def _reconcile(self) -> None:
        """One listing: unknown slots whose token shows up adopt it; those whose horizon has
        passed with no sign of it are launched again (or given up, once cancelled)."""
        started = monotonic()
        try:
            listing = await self.inventory.lookup(Deadline(self.plan.run.settle_timeout))
        except LambdaCloudError as exc:
            log.warning(
                "launch_many %s: could not list instances to reconcile: %s", self.plan.run_id, exc
            )
            # Never seen either way: launching again could double, so past the horizon the
            # slot is given up as unresolved.
            for slot in list(self.slots.unknown.values()):
                if started - slot.unknown_at >= self.plan.run.settle_timeout:
                    await self._absent(slot, relaunch=False)
            return
        await self._absorb(listing)
        for slot in list(self.slots.unknown.values()):
            if listing.started - slot.unknown_at >= self.plan.run.settle_timeout:
                await self._absent(slot)

    async def _absent(self, slot: Slot, *, relaunch: bool = True) -> None:
        """No sign of the slot's unknown launch by its horizon: launch again, or give up."""
        self.presumed_absent = slot.maybe_landing = True
        cause = slot.unknown_cause
        assert cause is not None
        slot.unknown_cause = None
        if not relaunch or self.cancelled or self.deadline.expired:
            await self._counted(self._fail(slot, cause))  # _fail says it may still land
        else:
            self.slots.move(slot, _S.PENDING, error=cause)
            await self._transient(slot, cause, slot.regions_tried[-1])

    async def _absorb(self, listing: Listing) -> None:
        """Take the listed instances carrying this run's tokens into its books."""
        for index, found in listing.by_slot.items():
            if index < len(self.slots):
                await self._keep_first(self.slots.all[index], found)
            else:  # a slot past ``count``: a rerun asked for fewer
                for instance in found:
                    self._extra(self._launched(index, instance))

    async def _keep_first(self, slot: Slot, found: list[Instance]) -> None:
        """Give ``slot`` the instance that every run of this ``run_id`` keeps (the first in
        ``launch_order``); any other instance of the slot is an extra."""
        if slot.state is _S.SENDING:
            return  # its launch's answer comes first; the next listing judges
        for instance in found:
            if instance.tag(LAUNCHED_AT_TAG) in slot.stamps:
                self.own.add(instance.id)
            if slot.instance is not None and instance.id == slot.instance.id:
                slot.instance.status, slot.order = instance.status, launch_order(instance)
        best = min(found, key=launch_order)
        kept = slot.instance
        if kept is None or (slot.order is not None and launch_order(best) < slot.order):
            fill = self._fill(
                slot, self._launched(slot.index, best), _S.ADOPTED, launch_order(best)
            )
            if kept is None:
                self.capacity.launched()
                await self._counted(fill)
            else:  # another run launched the slot first, or this one ended: keep the first
                self._extra(kept)
                await fill
            self.extras.pop(best.id, None)
            kept = slot.instance
            assert kept is not None
        for instance in found:
            if instance.id != kept.id:
                self._extra(self._launched(slot.index, instance))

    def _launched(self, index: int, instance: Instance) -> LaunchedInstance:
        return LaunchedInstance(
            id=instance.id,
            slot=index,
            token=token(self.plan.run_id, index),
            region=instance.region.name,
            instance_type_name=instance.instance_type.name,
            name=instance.name,
            status=instance.status,
            adopted=True,
        )

    def _extra(self, extra: LaunchedInstance) -> None:
        if extra.id in self.extras:
            self.extras[extra.id].status = extra.status
            return
        log.warning(
            "launch_many %s: slot %d has a second instance %s",
            self.plan.run_id,
            extra.slot,
            extra.id,
        )
        self.extras[extra.id] = extra

    async def _counted(self, aw: Awaitable[None]) -> None:
        """Run a reconciliation step, counting it when the reconciling phase counts."""
        if self.phase is Phase.RECONCILING:
            self.reconciled = min(self.reconciled + 1, self.to_reconcile)
        await aw

    async def _adopt_live(self) -> None:
        """A rerun: each slot adopts the live instance an earlier run with this id gave it.
        Live instances of the run that this launch would not have made (another type, region or
        name) refuse the rerun with ``ValidationError`` before anything is launched."""
        deadline = self.deadline.earliest(Deadline(_CLEANUP_BUDGET))
        listing = await self.inventory.lookup(deadline)
        for found in listing.by_slot.values():
            for instance in found:
                if not is_live(instance):
                    self.inventory.ignored.add(instance.id)  # an earlier run's: not ours now
        live = {
            i: alive
            for i, found in listing.by_slot.items()
            if (alive := [x for x in found if is_live(x)])  # a slot left only ended ones is empty
        }
        differences = [
            f"{x.id} (slot {i}): {why}"
            for i, found in sorted(live.items())
            for x in found
            if (why := self._mismatch(i, x))
        ]
        if differences:
            raise ValidationError(
                "run_id",
                f"run {self.plan.run_id!r} has live instances this launch would not make: "
                f"{'; '.join(differences)}. Rerun with the arguments of the first run, or "
                f"terminate them first with instances.reclaim({self.plan.run_id!r})",
            )
        await self._absorb(Listing(listing.started, live))

    def _mismatch(self, index: int, instance: Instance) -> str | None:
        """How a live instance of slot ``index`` differs from what this run launches there."""
        plan = self.plan
        if index >= plan.count:
            return None  # past ``count``: terminated as an extra, whatever it is
        return mismatch(
            instance,
            instance_type_names=plan.instance_type_names,
            region_names=plan.run.region_names,
            name=slot_name(plan.run.name_prefix, index),
        )

    # -- the end ------------------------------------------------------------------------------

    async def _sweep(self) -> None:
        """Match every instance carrying this run's tokens to its slot; terminate extras."""
        try:
            listing = await self.inventory.lookup(Deadline(_CLEANUP_BUDGET))
        except LambdaCloudError as exc:
            self._log_unlisted(exc)
        else:
            await self._absorb(listing)
        await self._terminate_extras()
        if self.presumed_absent or self.slots.unknown:
            # A launch whose outcome was unknown was never seen; if the server carries it out
            # only after this listing, it leaves an instance no client can see yet.
            log.warning(
                "launch_many %s: every instance found is in the report, but a launch whose "
                "outcome was unknown could still land later: find it with "
                "instances.find_run(%r) (tag %s=%s/*)",
                self.plan.run_id,
                self.plan.run_id,
                LAUNCH_TOKEN_TAG,
                self.plan.run_id,
            )

    async def _terminate_extras(self) -> None:
        ended = set(self.report.terminated)
        live = [
            e.id
            for e in self.extras.values()
            if e.status not in ENDED_STATUSES and e.id not in ended
        ]
        if live:
            await self._terminate(live)

    def _log_unlisted(self, error: Exception) -> None:
        log.error(
            "launch_many %s could not list instances for its final accounting (%s): instances "
            "tagged %s=%s/* may exist that its report does not show; "
            "instances.reclaim(%r) terminates them",
            self.plan.run_id,
            error,
            LAUNCH_TOKEN_TAG,
            self.plan.run_id,
            self.plan.run_id,
        )

    async def _terminate(self, ids: list[str]) -> None:
        outcome = await terminate_ids(
            self.api,
            ids,
            batch_size=DEFAULT_BATCH_SIZE,
            progress=self.progress,
            deadline=Deadline(_CLEANUP_BUDGET),
        )
        self.report.terminated.extend(i for i in ids if i not in outcome.failed)

    def _build_report(self) -> None:
        report = self.report
        report.instances = [s.instance for s in self.slots.all if s.instance is not None]
        report.extras = list(self.extras.values())
        report.hunted = self.capacity.hunted
        report.failures = [
            SlotFailure(
                slot=s.index,
                token=s.token,
                name=s.name,
                error=s.error or SlotCancelledError("cancelled before the slot was filled"),
                regions_tried=list(s.regions_tried),
            )
            for s in self.slots.all
            if s.instance is None
        ]

    async def _wait_active(self) -> None:
        report = self.report
        report.waited = True
        if not report.instances:
            return
        timeout = self.plan.run.timeout
        try:
            outcome = await watch(
                self.api,
                report.ids,
                InstanceStatus.ACTIVE,
                deadline=self.deadline if timeout is not None else Deadline(DEFAULT_WAIT_TIMEOUT),
                poll_interval=self.plan.run.poll_interval,
                unhealthy_timeout=DEFAULT_UNHEALTHY_TIMEOUT,
                progress=self.progress,
            )
        except LambdaCloudError as exc:  # the instances exist: report them, do not lose them
            report.wait_error = exc
            return
        report.wait_error = outcome.error
        for instance in report.instances:
            instance.status = outcome.statuses.get(instance.id)

    # -- cancellation -------------------------------------------------------------------------

    def _hurry_up(self) -> None:
        """A further cancel: the first stops the wait for launches of unknown outcome, the next
        one the listings too, leaving the terminate requests for the instances it knows of."""
        if not self.hurry.is_set():
            log.warning(
                "launch_many %s cancelled again: no longer waiting for launches whose outcome "
                "is unknown; instances tagged %s=%s/* may still appear: "
                "instances.reclaim(%r) terminates them",
                self.plan.run_id,
                LAUNCH_TOKEN_TAG,
                self.plan.run_id,
                self.plan.run_id,
            )
        elif not self.rush.is_set():
            log.warning(
                "launch_many %s cancelled a third time: no longer listing instances, only "
                "terminating those it knows of; instances tagged %s=%s/* that it has not seen "
                "may be left: instances.reclaim(%r) terminates them",
                self.plan.run_id,
                LAUNCH_TOKEN_TAG,
                self.plan.run_id,
                self.plan.run_id,
            )
            self.rush.set()
        self.hurry.set()
        self.changed.fire()

    async def _after_cancel(self) -> None:
        """Account for launches cut short, then terminate or keep what the run created."""
        self.cancelled = self.report.cancelled = True
        for slot in self.slots.all:
            if slot.state is _S.SENDING:  # cut off mid-request: it may still land
                await self._unknown(slot, SlotCancelledError("cancelled while launching"))
            elif slot.state is _S.PENDING:
                error = SlotCancelledError("cancelled before the slot was filled")
                error.__cause__ = slot.error  # what it was retrying after, if anything
                if slot.maybe_landing:
                    await self._fail(slot, error)
                else:
                    self.slots.move(slot, _S.CANCELLED, error=error)
        self.queue.clear()
        self.phase = Phase.RECONCILING
        self.reconciled, self.to_reconcile = 0, len(self.slots.unknown)
        if not self.rush.is_set():
            await _unless(self.rush, self._account())
        if self.rush.is_set():  # the final listing may have been cut short before its end
            await self._terminate_extras()
        for slot in list(self.slots.unknown.values()):  # hurried: never seen either way
            await self._absent(slot, relaunch=False)
        self._build_report()
        await self._dispose()

    async def _account(self) -> None:
        """Look for launches of unknown outcome (until hurried), then list the run's instances
        a last time."""
        while self.slots.unknown and not self.hurry.is_set():
            await self._reconcile()
            if self.slots.unknown:
                with contextlib.suppress(asyncio.TimeoutError):
                    await within(self.hurry.wait(), self.plan.run.poll_interval)
        await self._sweep()

    async def _dispose(self) -> None:
        report = self.report
        if self.plan.run.on_cancel == "terminate":
            left = [i for i in report.ids if i in self.own and i not in report.terminated]
            if left:
                await self._terminate(left)
            others = [i for i in report.ids if i not in self.own]
            if others:  # another run of this run_id created them: they are not this run's
                log.warning(
                    "launch_many %s cancelled; kept %d instances an earlier or concurrent run "
                    "of it created (instances.reclaim(%r) terminates them): %s",
                    self.plan.run_id,
                    len(others),
                    self.plan.run_id,
                    ", ".join(others),
                )
            return
        for instance in report.instances:
            await self.progress.emit(
                ProgressEvent(
                    kind=ProgressKind.KEPT,
                    phase=Phase.LAUNCHING,
                    done=self.slots.settled,
                    total=len(self.slots),
                    instance_id=instance.id,
                    slot=instance.slot,
                    region=instance.region,
                )
            )
        if report.instances:
            log.warning("launch_many cancelled; kept instances: %s", ", ".join(report.ids))


def _cancels_before_reacting() -> int:
    """How many times this task was asked to cancel (Python 3.11+ counts requests; earlier
    Pythons merge them, and only a cancel during the cleanup hurries it there)."""
    task = asyncio.current_task()
    if sys.version_info >= (3, 11) and task is not None:
        return task.cancelling()
    return 1


async def _unless(event: asyncio.Event, aw: Awaitable[None]) -> None:
    """Run ``aw``, but cancel it (and return) once ``event`` is set."""
    task = asyncio.ensure_future(aw)
    stop = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait([task, stop], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        task.cancel()  # a no-op once it is done
    await asyncio.wait([task])
    if not task.cancelled():
        task.result()


async def _despite_cancellation(aw: Awaitable[None], *, on_again: Callable[[], None]) -> None:
    """Run cleanup to the end even if the caller is cancelled again meanwhile; each further
    cancel calls ``on_again`` (which hurries the cleanup up)."""
    task = asyncio.ensure_future(aw)
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                raise
            on_again()
    task.result()


def plan_launch(
    template: LaunchInstanceRequest,
    count: int,
    run: LaunchRun,
    *,
    instance_type_names: Sequence[str] | None = None,
    hostname: str | None = None,
) -> LaunchPlan:
    """Check what the run's options alone do not tell (the resource checked the launch
    request, ``LaunchRun`` its own fields)."""
    check_positive(count, "count", integer=True)
    if count > MAX_LAUNCH_COUNT:
        raise ValidationError("count", f"at most {MAX_LAUNCH_COUNT} instances a call, got {count}")
    for tag in template.tags or ():
        if tag.key in _RESERVED_TAGS:
            raise ValidationError("tags", f"the tag key {tag.key!r} is reserved")
    return LaunchPlan(
        template=template,
        run=run,
        instance_type_names=list(instance_type_names or [template.instance_type_name]),
        count=count,
        run_id=secrets.token_hex(8) if run.run_id is None else run.run_id,
        rerun=run.run_id is not None,
        hostname=hostname,
    )


async def launch_many(
    api: InstancesAPI, plan: LaunchPlan, on_progress: ProgressCallback | None
) -> BulkLaunchReport:
    """Run a bulk launch (see ``AsyncInstances.launch_many``)."""
    return await _Run(api, plan, Progress(on_progress)).run()


def _names_account_resource(error: NotFoundError, request: LaunchInstanceRequest) -> bool:
    """Whether a launch's not-found names one of its SSH keys or file systems (the API's code
    is the same for all it looks up, its message names the one missing). They belong to the
    account, not to a region: every region would refuse the launch alike."""
    names = [
        *request.ssh_key_names,
        *(request.file_system_names or ()),
        *(mount.file_system_id for mount in request.file_system_mounts or ()),
    ]
    return any(re.search(rf"(?<![\w.-]){re.escape(n)}(?![\w.-])", error.message) for n in names)
