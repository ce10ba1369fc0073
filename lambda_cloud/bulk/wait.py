"""Waiting for many instances at once: one list call per poll, however many ids."""

from __future__ import annotations

import enum
from collections.abc import Sequence

import attrs

from .._clock import monotonic
from .._deadline import Deadline
from .._validation import check_real
from ..errors import DeadlineExceededError, ValidationError, WaitTimeoutError
from ..types.instances import TERMINAL_STATUSES, Instance, InstanceStatus
from .api import InstancesAPI
from .checks import check_positive, distinct_ids
from .errors import InstanceWaitError
from .progress import Phase, Progress, ProgressCallback, ProgressEvent, ProgressKind

__all__ = ["WaitOutcome", "check_wait_options", "wait_for", "wait_target", "watch"]

_TARGETS = (InstanceStatus.ACTIVE, InstanceStatus.TERMINATED)


class _Verdict(enum.Enum):
    WAIT = enum.auto()
    REACHED = enum.auto()
    FAILED = enum.auto()


_SETTLED = frozenset({_Verdict.REACHED, _Verdict.FAILED})


@attrs.define(kw_only=True)
class WaitOutcome:
    """Where a wait ended, as its last listing showed every awaited id.

    ``statuses[id]`` is ``None`` for an id that listing did not show, unless the id was last
    seen ``terminated`` or ``preempted``: an instance never leaves those, so that copy stays
    true (and stays in ``instances``). ``reached`` and ``failed`` are in the order given.
    """

    target: InstanceStatus
    ids: list[str]
    instances: dict[str, Instance] = attrs.Factory(dict)
    statuses: dict[str, InstanceStatus | None] = attrs.Factory(dict)
    reached: list[str] = attrs.Factory(list)
    failed: list[str] = attrs.Factory(list)
    timed_out: bool = False
    #: When the wait timed out while the instance list kept failing: the last failure.
    error: Exception | None = None

    def status_map(self) -> dict[str, str | None]:
        """Every awaited id's last status as a string (``None``: not seen)."""
        return {i: None if (s := self.statuses.get(i)) is None else s.value for i in self.ids}


def _judge(
    target: InstanceStatus, status: InstanceStatus | None, unhealthy_too_long: bool
) -> _Verdict:
    if target is InstanceStatus.TERMINATED:
        # A terminated instance drops out of the list after a while: gone counts as done.
        return _Verdict.REACHED if status is None or status in TERMINAL_STATUSES else _Verdict.WAIT
    if status is target:
        return _Verdict.REACHED
    if status is None or status in TERMINAL_STATUSES or status is InstanceStatus.TERMINATING:
        return _Verdict.FAILED
    if status is InstanceStatus.UNHEALTHY and unhealthy_too_long:
        return _Verdict.FAILED
    return _Verdict.WAIT


class _Watch:
    """One wait's books: every awaited id's verdict by the latest listing.

    Every listing judges every id again, settled or not: an instance can leave the awaited
    status after reaching it (preempted, terminated; or restarted, back to ``booting``), and a
    wait must report what it is now, never an old copy. So ``reached`` and ``failed`` are one
    listing's verdicts, and the wait ends on a listing that settles every id at once.
    """

    def __init__(
        self, ids: Sequence[str], target: InstanceStatus, unhealthy_timeout: float
    ) -> None:
        self.outcome = WaitOutcome(target=target, ids=list(ids))
        self._verdicts: dict[str, _Verdict] = {}
        self._settled = 0  # ids whose current verdict is not WAIT
        # Progress events' ``done`` never goes back, even when an id is waited on again.
        self._done = 0
        self._unhealthy_since: dict[str, float] = {}
        self._unhealthy_timeout = unhealthy_timeout
        self._reached = (
            ProgressKind.ACTIVE if target is InstanceStatus.ACTIVE else ProgressKind.TERMINATED
        )

    @property
    def pending(self) -> bool:
        """Whether the latest listing left any id to wait for."""
        return self._settled < len(self.outcome.ids)

    async def observe(self, listing: Sequence[Instance], progress: Progress) -> None:
        """Judge every awaited id by this listing; report each change of verdict or status."""
        seen = {instance.id: instance for instance in listing}
        now = monotonic()
        outcome = self.outcome
        for instance_id in outcome.ids:
            before = self._verdicts.get(instance_id)
            was = outcome.statuses.get(instance_id)
            verdict = self._judge(instance_id, seen.get(instance_id), now)
            self._settled += (verdict in _SETTLED) - (before in _SETTLED)
            self._done = max(self._done, self._settled)
            # A waiting id reports each new status; a settled one only a new verdict (its move
            # from terminating to terminated, failed all along, is no news).
            moved = verdict is _Verdict.WAIT and outcome.statuses[instance_id] != was
            if verdict is before and not moved:
                continue
            kind = {
                _Verdict.WAIT: ProgressKind.STATUS,
                _Verdict.REACHED: self._reached,
                _Verdict.FAILED: ProgressKind.FAILED,
            }[verdict]
            await progress.emit(self._event(kind, instance_id))
        outcome.reached = [i for i in outcome.ids if self._verdicts[i] is _Verdict.REACHED]
        outcome.failed = [i for i in outcome.ids if self._verdicts[i] is _Verdict.FAILED]

    def _judge(self, instance_id: str, instance: Instance | None, now: float) -> _Verdict:
        """Record this sighting of the id (``None``: not listed) and judge it."""
        outcome = self.outcome
        if instance is not None:
            outcome.instances[instance_id] = instance
            outcome.statuses[instance_id] = instance.status
        elif outcome.statuses.get(instance_id) not in TERMINAL_STATUSES:
            # Its last copy would be stale; a terminated or preempted one stays true.
            outcome.instances.pop(instance_id, None)
            outcome.statuses[instance_id] = None
        status = outcome.statuses[instance_id]
        if status is InstanceStatus.UNHEALTHY:
            self._unhealthy_since.setdefault(instance_id, now)
        else:
            self._unhealthy_since.pop(instance_id, None)
        too_long = now - self._unhealthy_since.get(instance_id, now) >= self._unhealthy_timeout
        verdict = self._verdicts[instance_id] = _judge(outcome.target, status, too_long)
        return verdict

    def _event(self, kind: ProgressKind, instance_id: str) -> ProgressEvent:
        instance = self.outcome.instances.get(instance_id)
        return ProgressEvent(
            kind=kind,
            phase=Phase.WAITING,
            done=self._done,
            total=len(self.outcome.ids),
            instance_id=instance_id,
            region=None if instance is None else instance.region.name,
            status=self.outcome.statuses[instance_id],
        )


async def watch(
    api: InstancesAPI,
    ids: Sequence[str],
    target: InstanceStatus,
    *,
    deadline: Deadline,
    poll_interval: float,
    unhealthy_timeout: float,
    progress: Progress,
) -> WaitOutcome:
    """Poll the instance list until one listing shows every id at ``target`` or failed, or
    time runs out; the outcome is the last listing's view (see ``WaitOutcome``).

    A failing list call is retried until ``deadline``; errors that are not transient (401,
    say) propagate: without the list there is nothing to wait on.
    """
    books = _Watch(ids, target, unhealthy_timeout)
    while True:
        try:
            listing = await api.list_instances(deadline)
        except DeadlineExceededError as exc:
            books.outcome.timed_out = True
            books.outcome.error = exc
            return books.outcome
        await books.observe(listing, progress)
        if not books.pending:
            return books.outcome
        if deadline.expired:
            books.outcome.timed_out = True
            return books.outcome
        await deadline.sleep(poll_interval)


def wait_target(status: InstanceStatus | str) -> InstanceStatus:
    """The awaited status: ``active`` or ``terminated``."""
    try:
        target = InstanceStatus(status)
    except ValueError:
        target = None
    if target not in _TARGETS:
        raise ValidationError("status", f"can wait for 'active' or 'terminated', not {status!r}")
    assert target is not None
    return target


def check_wait_options(timeout: float | None, poll_interval: float) -> None:
    """``timeout`` (``None`` or at least 0) and ``poll_interval`` (positive)."""
    check_positive(poll_interval, "poll_interval")
    if timeout is not None and not check_real(timeout, "timeout") >= 0:
        raise ValidationError("timeout", f"must be None or at least 0, got {timeout!r}")


async def wait_for(
    api: InstancesAPI,
    ids: Sequence[str],
    status: InstanceStatus | str,
    *,
    timeout: float | None,
    poll_interval: float,
    unhealthy_timeout: float,
    on_progress: ProgressCallback | None,
) -> list[Instance]:
    """See ``AsyncInstances.wait_for``."""
    target = wait_target(status)
    wanted = distinct_ids(ids)
    check_wait_options(timeout, poll_interval)
    check_positive(unhealthy_timeout, "unhealthy_timeout")
    outcome = await watch(
        api,
        wanted,
        target,
        deadline=Deadline(timeout),
        poll_interval=poll_interval,
        unhealthy_timeout=unhealthy_timeout,
        progress=Progress(on_progress),
    )
    statuses = outcome.status_map()
    if outcome.timed_out:
        late = len(wanted) - len(outcome.reached)
        raise WaitTimeoutError(
            f"{late} of {len(wanted)} instances not {target.value} after {timeout} s",
            statuses=statuses,
        ) from outcome.error
    reached = [outcome.instances[i] for i in outcome.reached if i in outcome.instances]
    if outcome.failed:
        failed = {i: statuses[i] for i in outcome.failed}
        raise InstanceWaitError(
            f"{len(failed)} of {len(wanted)} instances will not become {target.value}: "
            + ", ".join(f"{i} ({s or 'gone'})" for i, s in failed.items()),
            failed=failed,
            statuses=statuses,
            instances=reached,
        )
    return [outcome.instances[i] for i in wanted if i in outcome.instances]
