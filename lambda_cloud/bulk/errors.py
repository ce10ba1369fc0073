"""Errors of the bulk operations: why a slot stayed empty, and what raising a report throws."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..errors import DeadlineExceededError, LambdaCloudError

if TYPE_CHECKING:
    from ..types.instances import Instance
    from .reports import BulkLaunchReport, BulkTerminateReport

__all__ = [
    "BulkError",
    "BulkLaunchCancelledError",
    "BulkLaunchError",
    "BulkTerminateError",
    "CapacityExhaustedError",
    "DeadlineExceededError",
    "InstanceWaitError",
    "RunLeasedError",
    "SlotCancelledError",
    "UnresolvedLaunchError",
]


class BulkError(LambdaCloudError):
    """Root of the bulk operations' own errors."""


class RunLeasedError(BulkError):
    """Another ``launch_many`` of this ``run_id`` is running (on any machine using the same
    shared store and API key): nothing was launched. ``holder`` says where it runs and since
    when; its lease ends when it does, or ``expires_in`` seconds after it last renewed it (a
    crashed run's lease lapses so). Wait for that run, or call again once it is over: the
    rerun then adopts what it launched."""

    def __init__(self, run_id: str, holder: str, expires_in: float) -> None:
        self.run_id = run_id
        self.holder = holder
        self.expires_in = expires_in
        super().__init__(
            f"run {run_id!r} is being launched by another run ({holder}); nothing was launched. "
            f"Wait for it to end (its lease lapses {expires_in:.0f}s from now unless renewed), "
            "then call again: the rerun adopts its instances"
        )


class CapacityExhaustedError(BulkError):
    """No (instance type, region) had capacity left for this slot. ``regions`` are those tried
    (or considered), ``instance_type_names`` the types (``instance_type_name`` is the first);
    ``hunted`` is how many seconds a ``Hunt`` waited for capacity (``None`` without one). The
    last ``InsufficientCapacityError`` from the API, if any, is ``__cause__``."""

    def __init__(
        self,
        instance_type_name: str,
        regions: Sequence[str],
        instance_type_names: Sequence[str] | None = None,
        *,
        hunted: float | None = None,
    ) -> None:
        names = list(instance_type_names or [instance_type_name])
        where = ", ".join(regions) if regions else "no region reports any"
        message = f"No capacity for {' or '.join(names)} ({where})"
        if hunted is not None:
            message += f" after waiting {hunted:.1f} s for some to appear"
        super().__init__(message)
        self.instance_type_name = instance_type_name
        self.instance_type_names = names
        self.regions = list(regions)
        self.hunted = hunted


class SlotCancelledError(BulkError):
    """The launch was cancelled before this slot got an instance."""


class UnresolvedLaunchError(BulkError):
    """A launch for this slot may have created an instance that the run never saw: its outcome
    was unknown, and the instance list showed no sign of it within ``settle_timeout`` (or could
    not be read, or a second cancel cut the wait short). ``token`` is the slot's launch-token tag
    value; ``instances.find_run`` and ``instances.reclaim`` find such a late instance. It is the
    one error of every slot whose launch may still land, whatever ended the slot (its
    ``__cause__``: what made the outcome unknown, or what failed after the slot was given up)."""

    def __init__(self, token: str, settle_timeout: float) -> None:
        super().__init__(
            f"the launch of slot {token} was never seen within {settle_timeout:g} s; "
            "it could still create an instance"
        )
        self.token = token


class InstanceWaitError(BulkError):
    """``wait_for``: some instances ended up where the awaited status cannot follow
    (terminated, preempted, gone, or unhealthy for too long).

    ``failed`` maps those ids to their last status (``None``: not listed any more);
    ``statuses`` holds every awaited id's last status and ``instances`` the instances at the
    awaited status, all as the wait's last poll saw them.
    """

    def __init__(
        self,
        message: str,
        *,
        failed: Mapping[str, str | None],
        statuses: Mapping[str, str | None],
        instances: Sequence[Instance],
    ) -> None:
        super().__init__(message)
        self.failed = dict(failed)
        self.statuses = dict(statuses)
        self.instances = list(instances)


class BulkLaunchError(BulkError):
    """``BulkLaunchReport.raise_for_errors()``: some slots are empty or not ready. ``report``
    holds everything, including the instances that were launched."""

    def __init__(self, message: str, *, report: BulkLaunchReport) -> None:
        super().__init__(message)
        self.report = report


class BulkTerminateError(BulkError):
    """``BulkTerminateReport.raise_for_errors()``: some ids could not be terminated."""

    def __init__(self, message: str, *, report: BulkTerminateReport) -> None:
        super().__init__(message)
        self.report = report


class BulkLaunchCancelledError(BulkError):
    """A ``launch_many`` was cancelled; it reconciled its in-flight launches first.

    The ``CancelledError`` the launch re-raises has this as its ``__cause__`` (a subclass of
    ``CancelledError`` would break ``asyncio.timeout`` and ``TaskGroup`` before Python 3.12),
    and a task boundary or ``asyncio.timeout`` wraps that once more: use :meth:`find` on
    whatever you caught. ``report`` lists every instance the launch created; those it
    terminated (``on_cancel="terminate"``) are also in ``report.terminated``.
    """

    def __init__(self, report: BulkLaunchReport) -> None:
        kept = len(report.instances) + len(report.extras) - len(report.terminated)
        super().__init__(
            f"launch_many cancelled: {len(report.instances)} launched, "
            f"{len(report.terminated)} terminated, {kept} kept"
        )
        self.report = report

    @staticmethod
    def find(exc: BaseException | None) -> BulkLaunchCancelledError | None:
        """The ``BulkLaunchCancelledError`` in ``exc``'s cause/context chain, if any."""
        seen: set[int] = set()
        while exc is not None and id(exc) not in seen:
            if isinstance(exc, BulkLaunchCancelledError):
                return exc
            seen.add(id(exc))
            exc = exc.__cause__ or exc.__context__
        return None
