"""Launching many instances: region fallback, pacing, and reconciliation that never doubles.

Every requested slot carries a unique token as a tag. The launch endpoint has no idempotency
key, so when a launch's outcome is unknown (timeout after sending, broken connection, 5xx,
unreadable answer) the slot is relaunched only after the instance list shows no instance with
its token, twice, a moment apart. Whatever happens (failures, the deadline, cancellation), the
run ends by matching tokens against the list, so every instance it created is in its report.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import attrs

from .._config import Timeout
from .._retry import RetryPolicy, backoff_delay, retry_after_of
from .._validation import check_length
from ..errors import (
    APIConnectionError,
    APIStatusError,
    FileSystemInWrongRegionError,
    InsufficientCapacityError,
    LambdaCloudError,
    LaunchOutcomeUnknownError,
    NotFoundError,
    RateLimitError,
    ValidationError,
)
from ..resources.instances import TagsArg, build_launch_request
from ..types.instances import (
    FirewallRulesetEntry,
    ImageSpecification,
    Instance,
    InstanceStatus,
    LaunchInstanceRequest,
    RequestedFilesystemMountEntry,
    RequestedTagEntry,
)
from ._support import Deadline, call_persistently, check_names, check_positive, retry_policy
from .errors import (
    BulkLaunchCancelledError,
    CapacityExhaustedError,
    DeadlineExceededError,
    SlotCancelledError,
)
from .options import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_UNHEALTHY_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    LAUNCH_TOKEN_TAG,
    OnCancel,
)
from .progress import Progress, ProgressCallback, ProgressEvent, ProgressKind
from .reports import BulkLaunchReport, LaunchedInstance, SlotFailure
from .terminate import terminate_ids
from .wait import check_wait_options, watch

if TYPE_CHECKING:
    from .._client import AsyncLambdaCloud

__all__ = ["launch_many"]

log = logging.getLogger("lambda_cloud")

T = TypeVar("T")

_NO_RETRIES = RetryPolicy(max_retries=0)
# Only ever used to validate the template request; each attempt names its own region.
_VALIDATION_REGION = "region"
# Upper bound on the pause between the two lists that confirm an unknown launch created nothing.
_MAX_CONFIRM_DELAY = 5.0
# After a cancel the caller is waiting (Ctrl-C, say): confirm quicker.
_CANCEL_CONFIRM_DELAY = 1.0
# Seconds the final accounting (listing, terminating) may take, even past the run's timeout:
# leaving an instance unaccounted for costs more than running late.
_CLEANUP_BUDGET = 30.0


@attrs.define(eq=False)
class _Slot:
    index: int
    token: str
    name: str | None
    hostname: str | None
    regions_tried: list[str] = attrs.Factory(list)
    instance: LaunchedInstance | None = None
    failure: Exception | None = None
    last_error: Exception | None = None
    in_flight: bool = False
    #: Set while a launch that may have created an instance is not yet reconciled.
    unsure: Exception | None = None
    failures: int = 0  # failures that count toward giving the slot up
    backoffs: int = 0  # the exponent of its next backoff

    @property
    def settled(self) -> bool:
        return self.instance is not None or self.failure is not None


class _Regions:
    """Which region the next launch goes to, falling back as regions fill up.

    Capacity is re-checked (``GET /instance-types``) only when every candidate is full, and
    only if some launch succeeded since the last check, so a run always ends.
    """

    def __init__(self, launch: _Launch, explicit: list[str] | None) -> None:
        self._launch = launch
        self._explicit = explicit is not None
        self.order: list[str] = list(explicit or [])
        self._full: set[str] = set()
        self._unusable: dict[str, Exception] = {}
        self._last_full_error: Exception | None = None
        self._checks = 0
        self._launched_since_check = 0
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        if not self._explicit:
            await self._check()

    def _current(self) -> str | None:
        for region in self.order:
            if region not in self._full and region not in self._unusable:
                return region
        return None

    async def pick(self) -> tuple[str | None, int]:
        """A region to launch in (``None``: none left) and the capacity check it came from."""
        region = self._current()
        if region is None:
            async with self._lock:
                region = self._current()
                if region is None and (self._checks == 0 or self._launched_since_check > 0):
                    try:
                        await self._check()
                    except LambdaCloudError as exc:
                        log.warning("could not re-check capacity: %s", exc)
                    region = self._current()
        return region, self._checks

    async def _check(self) -> None:
        launch = self._launch
        types = await launch.persist(
            lambda: launch.client.instance_types.list(
                timeout=launch.request_timeout, retries=launch.retries
            )
        )
        item = types.get(launch.instance_type_name)
        if item is None and not self._explicit:
            raise ValidationError(
                "instance_type_name", f"unknown instance type {launch.instance_type_name!r}"
            )
        available = [] if item is None else item.region_names
        if self._explicit:
            self._full -= set(available)
        else:
            self.order = available + [r for r in self.order if r not in available]
            self._full = {r for r in self.order if r not in available}
        self._checks += 1
        self._launched_since_check = 0

    def mark_full(self, region: str, check: int, error: Exception) -> None:
        if check == self._checks:  # else a newer capacity check has spoken since
            self._full.add(region)
        self._last_full_error = error

    def mark_unusable(self, region: str, error: Exception) -> None:
        self._unusable[region] = error

    def launched(self) -> None:
        self._launched_since_check += 1

    def exhausted_error(self) -> Exception:
        """Why a slot found no region."""
        if not self._full and self._unusable:
            return list(self._unusable.values())[-1]
        error = CapacityExhaustedError(self._launch.instance_type_name, self.order)
        error.__cause__ = self._last_full_error
        return error


class _Inventory:
    """This run's instances by token, as the list shows them. Lookups that can share a list
    call do: a list serves every caller whose failure happened before it started."""

    def __init__(self, launch: _Launch) -> None:
        self._launch = launch
        self._fetch: asyncio.Future[dict[str, list[Instance]]] | None = None
        self._started = -math.inf
        self._running: set[asyncio.Future[dict[str, list[Instance]]]] = set()

    def close(self) -> None:
        """Stop listings nobody waits for any more, so none outlives the run."""
        for fetch in self._running:
            fetch.cancel()

    async def lookup(
        self, deadline: Deadline, *, until_deadline: bool = False
    ) -> dict[str, list[Instance]]:
        """A listing begun no earlier than this call (``until_deadline``: see
        ``call_persistently``; for the final accounting, which has no later chance)."""
        return await self.lookup_since(time.monotonic(), deadline, until_deadline=until_deadline)

    async def lookup_since(
        self, since: float, deadline: Deadline, *, until_deadline: bool = False
    ) -> dict[str, list[Instance]]:
        """A listing begun at or after ``since`` (a ``time.monotonic()`` value)."""
        fetch = self._fetch
        failed = fetch is not None and fetch.done() and (fetch.cancelled() or fetch.exception())
        if fetch is None or self._started < since or failed:
            self._started = time.monotonic()
            fetch = self._fetch = asyncio.ensure_future(self._list(deadline, until_deadline))
            self._running.add(fetch)
            fetch.add_done_callback(self._finished)
        return await asyncio.shield(fetch)

    def _finished(self, fetch: asyncio.Future[dict[str, list[Instance]]]) -> None:
        self._running.discard(fetch)
        # Every waiter may have been cancelled; the failure is then nobody's to report.
        if not fetch.cancelled():
            fetch.exception()

    async def _list(self, deadline: Deadline, until_deadline: bool) -> dict[str, list[Instance]]:
        launch = self._launch
        instances = await call_persistently(
            lambda: launch.client.instances.list(
                timeout=launch.request_timeout, retries=launch.retries
            ),
            deadline=deadline,
            policy=launch.policy,
            until_deadline=until_deadline,
        )
        found: dict[str, list[Instance]] = collections.defaultdict(list)
        for instance in instances:
            token = instance.tag(LAUNCH_TOKEN_TAG)
            if token is not None and token.startswith(launch.token_prefix):
                found[token].append(instance)
        return found


class _Launch:
    def __init__(
        self,
        client: AsyncLambdaCloud,
        count: int,
        *,
        template: LaunchInstanceRequest,
        user_tags: list[RequestedTagEntry],
        region_names: list[str] | None,
        name_prefix: str | None,
        hostname: str | None,
        max_concurrency: int,
        wait: bool,
        on_progress: ProgressCallback | None,
        on_cancel: OnCancel,
        poll_interval: float,
        timeout: float | None,
        request_timeout: Timeout | None,
        retries: int | RetryPolicy | None,
    ) -> None:
        self.client = client
        self.instance_type_name = template.instance_type_name
        self.request_timeout = request_timeout
        self.retries = retries
        self.policy = retry_policy(client, retries)
        # Each launch takes its rate-limit slot here, behind _gate, and only then picks its
        # region, so the pick reflects every answer received while it waited (a launch slot
        # comes every 12 s). The launch itself then goes out unpaced, and unretried: this
        # module retries what may be retried, and tells the limiter about 429s itself.
        self._limiter = client._transport.rate_limiter
        self._sender = client if self._limiter is None else client.with_options(rate_limits=None)
        self._gate = asyncio.Lock()
        self.run_id = secrets.token_hex(8)
        self.token_prefix = f"{self.run_id}-"
        self._template = template
        self._user_tags = user_tags
        self._max_concurrency = max_concurrency
        self._wait = wait
        self._progress = Progress(on_progress)
        self._on_cancel = on_cancel
        self._poll_interval = poll_interval
        self._confirm_delay = min(poll_interval, _MAX_CONFIRM_DELAY)
        self._timeout = timeout
        self._deadline = Deadline(timeout)
        self._slots = [
            _Slot(
                index=i,
                token=f"{self.token_prefix}{i}",
                name=None if name_prefix is None else f"{name_prefix}-{i}",
                hostname=_slot_hostname(hostname, i, count),
            )
            for i in range(count)
        ]
        self._by_token = {slot.token: slot for slot in self._slots}
        self._queue: collections.deque[_Slot] = collections.deque(self._slots)
        self._regions = _Regions(self, region_names)
        self._inventory = _Inventory(self)
        self._fatal: Exception | None = None
        self._attempted = False
        self._ambiguous = False
        self._presumed_absent = False  # an unknown launch was never seen, so could land late
        self.report = BulkLaunchReport(
            run_id=self.run_id, instance_type_name=self.instance_type_name, requested=count
        )

    async def persist(self, call: Callable[[], Awaitable[T]]) -> T:
        return await call_persistently(call, deadline=self._deadline, policy=self.policy)

    # -- the run ------------------------------------------------------------------------------

    async def run(self) -> BulkLaunchReport:
        try:
            await self._regions.start()  # failing here (unknown type, say) launched nothing
            workers = min(self._max_concurrency, len(self._slots))
            # gather, once cancelled, returns only after every worker has wound down.
            await asyncio.gather(*(self._worker() for _ in range(workers)))
            if self._ambiguous:
                await self._sweep(Deadline(_CLEANUP_BUDGET))
            self._build_report()
            if self._wait:
                await self._wait_active()
        except asyncio.CancelledError as cancelled:
            await _despite_cancellation(self._after_cancel())
            raise cancelled from BulkLaunchCancelledError(self.report)
        finally:
            self._inventory.close()
        return self.report

    async def _worker(self) -> None:
        while self._queue:
            slot = self._queue.popleft()
            try:
                await self._attempt(slot)
            except Exception as exc:  # an answer nobody expected, or a bug
                # Raising would leave the other workers launching unreported: fail this slot
                # instead, and let the final sweep adopt whatever its launch may have created.
                log.exception("launch_many: slot %d failed unexpectedly", slot.index)
                slot.in_flight = False
                slot.unsure = exc
                self._ambiguous = True
                await self._fail(slot, exc)

    async def _attempt(self, slot: _Slot) -> None:
        if self._fatal is not None:
            await self._fail(slot, self._fatal)
            return
        async with self._gate:
            pacing = 0.0 if self._limiter is None else self._limiter.delay(launch=True)
            if not self._deadline.allows(pacing):
                error = DeadlineExceededError("the launch's timeout ran out before this slot")
                error.__cause__ = slot.last_error
                await self._fail(slot, error)
                return
            if self._limiter is not None:
                await self._limiter.acquire(launch=True)
            region, check = await self._regions.pick()
        if region is None:
            await self._fail(slot, self._regions.exhausted_error())
            return
        if region not in slot.regions_tried:
            slot.regions_tried.append(region)
        request = attrs.evolve(
            self._template,
            region_name=region,
            name=slot.name,
            hostname=slot.hostname,
            tags=[*self._user_tags, RequestedTagEntry(key=LAUNCH_TOKEN_TAG, value=slot.token)],
        )
        self._attempted = slot.in_flight = True
        try:
            ids = await self._sender.instances._send_launch(
                request, timeout=self.request_timeout, retries=_NO_RETRIES
            )
        except InsufficientCapacityError as exc:
            slot.in_flight = False
            self._regions.mark_full(region, check, exc)
            await self._retry(slot, exc, region)
        except (NotFoundError, FileSystemInWrongRegionError) as exc:
            # Region-specific (an image or file system missing there): try the next region.
            slot.in_flight = False
            self._regions.mark_unusable(region, exc)
            await self._retry(slot, exc, region)
        except RateLimitError as exc:
            slot.in_flight = False  # a 429 is never applied
            await self._throttled(slot, exc, region)
        except LaunchOutcomeUnknownError as exc:
            slot.in_flight = False
            await self._reconcile(slot, exc, region)
        except APIStatusError as exc:
            slot.in_flight = False
            # (provider/* codes, like 5xx, arrive as LaunchOutcomeUnknownError, handled above.)
            if exc.code is None and exc.status_code not in (401, 403):
                # A refusal without a readable reason (a proxy's page, a cut body): this slot
                # may try again, but it says nothing about the others.
                await self._transient(slot, exc, region)
            else:  # bad key, quota, account: every other slot would fail the same way
                self._fatal = exc
                await self._fail(slot, exc)
        except APIConnectionError as exc:  # provably never sent (the others are outcome-unknown)
            slot.in_flight = False
            await self._transient(slot, exc, region)
        except LambdaCloudError as exc:
            slot.in_flight = False
            self._fatal = exc
            await self._fail(slot, exc)
        else:
            slot.in_flight = False
            await self._adopt(slot, ids[0], region)

    async def _throttled(self, slot: _Slot, error: RateLimitError, region: str) -> None:
        if self._limiter is None:
            if await self._back_off(slot, error):
                await self._retry(slot, error, region)
            return
        wait = retry_after_of(error)
        if wait is None:
            wait = backoff_delay(self.policy, slot.backoffs)
        slot.backoffs += 1
        # Held back, the next launch slot moves past the wait; the deadline check sees that.
        self._limiter.back_off(wait, launch=True)
        await self._retry(slot, error, region)

    async def _back_off(self, slot: _Slot, error: Exception) -> bool:
        """Sleep before the slot's next try; False (slot failed) if the deadline forbids it."""
        delay = backoff_delay(self.policy, slot.backoffs, retry_after_of(error))
        slot.backoffs += 1
        if not self._deadline.allows(delay):
            timeout = DeadlineExceededError("the launch's timeout ran out before this slot")
            timeout.__cause__ = error
            await self._fail(slot, timeout)
            return False
        await asyncio.sleep(delay)
        return True

    async def _transient(self, slot: _Slot, error: Exception, region: str) -> None:
        slot.failures += 1
        if slot.failures > self.policy.max_retries:
            await self._fail(slot, error)
        elif await self._back_off(slot, error):
            await self._retry(slot, error, region)

    async def _reconcile(self, slot: _Slot, error: Exception, region: str) -> None:
        """After a launch that may have worked: adopt its instance, or relaunch once the list
        has twice shown none with the slot's token."""
        slot.unsure = error
        self._ambiguous = True
        since = time.monotonic()
        try:
            found = (await self._inventory.lookup_since(since, self._deadline)).get(slot.token)
            if not found:
                await self._deadline.sleep(self._confirm_delay)
                found = (await self._inventory.lookup(self._deadline)).get(slot.token)
        except LambdaCloudError as exc:
            log.warning("could not reconcile slot %d (%s): %s", slot.index, slot.token, exc)
            self._presumed_absent = True
            await self._fail(slot, error)  # still unsure: the final sweep looks again
            return
        if found:
            await self._absorb(found)
            return
        slot.unsure = None
        self._presumed_absent = True
        await self._transient(slot, error, region)

    async def _retry(self, slot: _Slot, error: Exception, region: str) -> None:
        slot.last_error = error
        self._queue.append(slot)
        await self._emit(ProgressKind.RETRYING, slot, region=region, error=error)

    async def _adopt(self, slot: _Slot, instance_id: str, region: str) -> None:
        slot.instance = LaunchedInstance(
            id=instance_id, slot=slot.index, token=slot.token, region=region, name=slot.name
        )
        slot.failure = slot.unsure = None
        self._regions.launched()
        await self._emit(ProgressKind.LAUNCHED, slot, instance_id=instance_id, region=region)

    async def _fail(self, slot: _Slot, error: Exception) -> None:
        slot.failure = error
        await self._emit(ProgressKind.FAILED, slot, error=error)

    async def _emit(
        self,
        kind: ProgressKind,
        slot: _Slot,
        *,
        instance_id: str | None = None,
        region: str | None = None,
        error: Exception | None = None,
    ) -> None:
        await self._progress.emit(
            ProgressEvent(
                kind=kind,
                completed=sum(s.settled for s in self._slots),
                total=len(self._slots),
                instance_id=instance_id,
                slot=slot.index,
                region=region,
                error=error,
            )
        )

    # -- accounting ---------------------------------------------------------------------------

    async def _absorb(self, found: Sequence[Instance]) -> None:
        """Take listed instances carrying one slot's token into the run's books."""
        slot = self._by_token[found[0].tag(LAUNCH_TOKEN_TAG) or ""]
        known = {e.id for e in self.report.extras}
        for instance in found:
            if slot.instance is None:
                await self._adopt(slot, instance.id, instance.region.name)
            elif instance.id != slot.instance.id and instance.id not in known:
                log.warning("slot %d got a second instance %s", slot.index, instance.id)
                self.report.extras.append(
                    LaunchedInstance(
                        id=instance.id,
                        slot=slot.index,
                        token=slot.token,
                        region=instance.region.name,
                        name=instance.name,
                        status=instance.status,
                    )
                )

    async def _sweep(self, deadline: Deadline) -> None:
        """Match every instance carrying this run's tokens to its slot; terminate extras."""
        try:
            listing = await self._inventory.lookup(deadline, until_deadline=True)
        except LambdaCloudError as exc:
            self._log_unlisted(exc)
            return
        for found in listing.values():
            await self._absorb(found)
        extras = [e.id for e in self.report.extras if e.id not in self.report.terminated]
        if extras:
            await self._terminate(extras, deadline)
        if self._presumed_absent:
            # A launch whose outcome was unknown was never seen; if the server carries it out
            # only after this listing, it leaves an instance no client can see yet.
            log.warning(
                "launch_many %s: every instance found is in the report, but a launch whose "
                "outcome was unknown could still land later, tagged %s=%s*",
                self.run_id,
                LAUNCH_TOKEN_TAG,
                self.token_prefix,
            )

    def _log_unlisted(self, error: Exception) -> None:
        log.error(
            "launch_many %s could not list instances for its final accounting (%s): instances "
            "tagged %s=%s* may exist that its report does not show",
            self.run_id,
            error,
            LAUNCH_TOKEN_TAG,
            self.token_prefix,
        )

    async def _terminate(self, ids: list[str], deadline: Deadline) -> None:
        outcome = await terminate_ids(
            self.client,
            ids,
            batch_size=DEFAULT_BATCH_SIZE,
            progress=self._progress,
            deadline=deadline,
            request_timeout=self.request_timeout,
            retries=self.retries,
        )
        self.report.terminated.extend(i for i in ids if i not in outcome.failed)

    def _build_report(self) -> None:
        report = self.report
        report.instances = [s.instance for s in self._slots if s.instance is not None]
        report.failures = [
            SlotFailure(
                slot=s.index,
                token=s.token,
                name=s.name,
                error=s.failure or SlotCancelledError("cancelled before the slot was filled"),
                regions_tried=list(s.regions_tried),
            )
            for s in self._slots
            if s.instance is None
        ]

    async def _wait_active(self) -> None:
        report = self.report
        report.waited = True
        if not report.instances:
            return
        deadline = self._deadline if self._timeout is not None else Deadline(DEFAULT_WAIT_TIMEOUT)
        try:
            outcome = await watch(
                self.client,
                report.ids,
                InstanceStatus.ACTIVE,
                deadline=deadline,
                poll_interval=self._poll_interval,
                unhealthy_timeout=DEFAULT_UNHEALTHY_TIMEOUT,
                progress=self._progress,
                request_timeout=self.request_timeout,
                retries=self.retries,
            )
        except LambdaCloudError as exc:  # the instances exist: report them, do not lose them
            report.wait_error = exc
            return
        for instance in report.instances:
            instance.status = outcome.statuses.get(instance.id)

    async def _after_cancel(self) -> None:
        """Account for launches cut short, then terminate or keep what the run created."""
        self.report.cancelled = True
        if self._attempted:
            deadline = Deadline(_CLEANUP_BUDGET)
            unsure = any(s.in_flight or s.unsure is not None for s in self._slots)
            if unsure:  # a launch cut off mid-request may land a moment later
                await asyncio.sleep(min(self._confirm_delay, _CANCEL_CONFIRM_DELAY))
            try:
                listing = await self._inventory.lookup(deadline, until_deadline=True)
            except LambdaCloudError as exc:
                self._log_unlisted(exc)
            else:
                for found in listing.values():
                    await self._absorb(found)
        self._build_report()
        report = self.report
        created = [*report.ids, *(e.id for e in report.extras)]
        if self._on_cancel == "terminate":
            left = [i for i in created if i not in report.terminated]  # extras may be done
            if left:
                await self._terminate(left, Deadline(_CLEANUP_BUDGET))
        else:
            extras = [e.id for e in report.extras if e.id not in report.terminated]
            if extras:
                await self._terminate(extras, Deadline(_CLEANUP_BUDGET))
            for instance in report.instances:
                await self._progress.emit(
                    ProgressEvent(
                        kind=ProgressKind.KEPT,
                        completed=len(report.instances),
                        total=report.requested,
                        instance_id=instance.id,
                        slot=instance.slot,
                        region=instance.region,
                    )
                )
            if report.instances:
                log.warning("launch_many cancelled; kept instances: %s", ", ".join(report.ids))


async def _despite_cancellation(aw: Awaitable[None]) -> None:
    """Run cleanup to the end even if the caller is cancelled again meanwhile."""
    task = asyncio.ensure_future(aw)
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                raise
    task.result()


def _slot_hostname(hostname: str | None, index: int, count: int) -> str | None:
    if hostname is None or count == 1:
        return hostname
    return f"{hostname}-{index}"  # hostnames must differ: suffix them


async def launch_many(
    client: AsyncLambdaCloud,
    count: int,
    *,
    instance_type_name: str,
    ssh_key_names: Sequence[str],
    region_names: Sequence[str] | None,
    name_prefix: str | None,
    file_system_names: Sequence[str] | None,
    file_system_mounts: Sequence[RequestedFilesystemMountEntry] | None,
    hostname: str | None,
    image: ImageSpecification | None,
    user_data: str | None,
    tags: TagsArg | None,
    firewall_rulesets: Sequence[str | FirewallRulesetEntry] | None,
    max_concurrency: int,
    wait: bool,
    on_progress: ProgressCallback | None,
    on_cancel: OnCancel,
    poll_interval: float,
    timeout: float | None,
    request_timeout: Timeout | None,
    retries: int | RetryPolicy | None,
) -> BulkLaunchReport:
    """See ``AsyncInstances.launch_many``."""
    check_positive(count, "count", integer=True)
    check_positive(max_concurrency, "max_concurrency", integer=True)
    check_wait_options(timeout, poll_interval)
    if on_cancel not in ("terminate", "keep"):
        raise ValidationError("on_cancel", f"must be 'terminate' or 'keep', got {on_cancel!r}")
    regions = check_names(region_names, "region_names")
    for i, region in enumerate(regions or ()):
        check_length(region, f"region_names[{i}]", min_len=1, max_len=64)
    last = count - 1
    # The last slot has the longest name and hostname: if it passes, they all do.
    template = build_launch_request(
        region_name=regions[0] if regions else _VALIDATION_REGION,
        instance_type_name=instance_type_name,
        ssh_key_names=ssh_key_names,
        file_system_names=file_system_names,
        file_system_mounts=file_system_mounts,
        hostname=_slot_hostname(hostname, last, count),
        name=None if name_prefix is None else f"{name_prefix}-{last}",
        image=image,
        user_data=user_data,
        tags=tags,
        firewall_rulesets=firewall_rulesets,
    )
    user_tags = list(template.tags or [])
    if any(tag.key == LAUNCH_TOKEN_TAG for tag in user_tags):
        raise ValidationError("tags", f"the tag key {LAUNCH_TOKEN_TAG!r} is reserved")
    run = _Launch(
        client,
        count,
        template=template,
        user_tags=user_tags,
        region_names=regions,
        name_prefix=name_prefix,
        hostname=hostname,
        max_concurrency=max_concurrency,
        wait=wait,
        on_progress=on_progress,
        on_cancel=on_cancel,
        poll_interval=poll_interval,
        timeout=timeout,
        request_timeout=request_timeout,
        retries=retries,
    )
    return await run.run()
