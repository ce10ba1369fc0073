"""What a bulk operation hands back: every instance it created or touched, and every failure."""

from __future__ import annotations

import collections
import enum

import attrs

from ..types.instances import TERMINAL_STATUSES, Instance, InstanceStatus
from .errors import BulkLaunchError, BulkTerminateError

_ENDED = TERMINAL_STATUSES | {InstanceStatus.TERMINATING}

__all__ = [
    "BulkLaunchReport",
    "BulkTerminateReport",
    "LaunchedInstance",
    "SlotFailure",
    "TerminateOutcome",
]


@attrs.define(kw_only=True)
class LaunchedInstance:
    """An instance a ``launch_many`` created for slot ``slot``, of type ``instance_type_name``
    in ``region``.

    ``token`` is the value of its ``lambda-cloud-launch-token`` tag (``<run_id>/<slot>``);
    ``status`` the last status seen (``None`` when no instance listing has shown it yet).
    ``adopted`` is true for an instance found in the instance list rather than named by the
    launch's answer (a launch whose answer was lost, or another run's instance of its slot)."""

    id: str
    slot: int
    token: str
    region: str
    instance_type_name: str
    name: str | None = None
    status: InstanceStatus | None = None
    adopted: bool = False


@attrs.define(kw_only=True)
class SlotFailure:
    """A slot left without an instance, and why (a typed ``LambdaCloudError``)."""

    slot: int
    token: str
    error: Exception
    name: str | None = None
    regions_tried: list[str] = attrs.Factory(list)


@attrs.define(kw_only=True, repr=False)
class BulkLaunchReport:
    """The outcome of ``launch_many``.

    Every instance carrying this run's tokens is in ``instances`` (one per slot, sorted by
    slot) or, should a launch whose answer was lost have created a second instance for a slot
    already filled, in ``extras`` (those are terminated at once). ``terminated`` lists the ids
    this run terminated itself (extras, and everything after a cancel with
    ``on_cancel="terminate"``). ``instance_type_names`` are the types it could launch, in
    order of preference (``instance_type_name`` is the first); ``hunted`` is how many seconds a
    ``Hunt`` spent waiting for capacity (``None`` without one).
    """

    run_id: str
    instance_type_name: str
    requested: int
    instance_type_names: list[str] = attrs.Factory(list)
    hunted: float | None = None
    instances: list[LaunchedInstance] = attrs.Factory(list)
    failures: list[SlotFailure] = attrs.Factory(list)
    extras: list[LaunchedInstance] = attrs.Factory(list)
    terminated: list[str] = attrs.Factory(list)
    waited: bool = False
    #: Why waiting for ``active`` stopped early (the instances are in ``not_active``).
    wait_error: Exception | None = None
    cancelled: bool = False

    @property
    def ids(self) -> list[str]:
        """Ids of the launched instances, by slot."""
        return [instance.id for instance in self.instances]

    @property
    def region_counts(self) -> dict[str, int]:
        """How many instances were launched in each region."""
        return dict(collections.Counter(instance.region for instance in self.instances))

    @property
    def type_counts(self) -> dict[str, int]:
        """How many instances of each instance type were launched."""
        return dict(collections.Counter(i.instance_type_name for i in self.instances))

    @property
    def not_active(self) -> list[LaunchedInstance]:
        """After waiting: the launched instances that did not become active."""
        if not self.waited:
            return []
        return [i for i in self.instances if i.status is not InstanceStatus.ACTIVE]

    @property
    def ended(self) -> list[LaunchedInstance]:
        """Launched instances the run's last listing showed ended (terminated, preempted or
        terminating), with no live instance of their slot to keep instead."""
        return [i for i in self.instances if i.status in _ENDED]

    @property
    def ok(self) -> bool:
        """Every slot filled with a live instance (and active, if the launch waited)."""
        return not self.failures and not self.not_active and not self.ended and not self.cancelled

    def summary(self) -> str:
        """A few lines: the run id, counts by outcome and by region, why slots failed."""
        launched = len(self.instances)
        adopted = sum(i.adopted for i in self.instances)
        wanted = " or ".join(self.instance_type_names or [self.instance_type_name])
        head = f"launch_many {self.run_id}: {launched} of {self.requested} {wanted}"
        if adopted:
            head += f" ({adopted} adopted)"
        if self.cancelled:
            head += ", cancelled"
        lines = [head]
        if self.instances:
            regions = ", ".join(f"{r} {n}" for r, n in sorted(self.region_counts.items()))
            lines.append(f"  regions: {regions}")
            if len(self.instance_type_names) > 1:
                types = ", ".join(f"{t} {n}" for t, n in sorted(self.type_counts.items()))
                lines.append(f"  types: {types}")
        if self.hunted is not None:
            lines.append(f"  waited for capacity: {self.hunted:.1f} s")
        if self.failures:
            kinds = collections.Counter(type(f.error).__name__ for f in self.failures)
            detail = ", ".join(f"{n} {name}" for name, n in kinds.most_common())
            lines.append(f"  failed: {len(self.failures)} ({detail})")
        if self.waited:
            lines.append(f"  active: {launched - len(self.not_active)} of {launched}")
        if self.extras or self.terminated:
            lines.append(f"  extras: {len(self.extras)}; terminated: {len(self.terminated)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        failed = len(self.failures)
        return (
            f"<BulkLaunchReport run_id={self.run_id!r} launched={len(self.instances)}/"
            f"{self.requested} failed={failed} cancelled={self.cancelled}>"
        )

    def raise_for_errors(self) -> None:
        """Raise ``BulkLaunchError`` (carrying this report) unless ``ok``."""
        if self.ok:
            return
        problems = []
        if self.failures:
            kinds = collections.Counter(type(f.error).__name__ for f in self.failures)
            detail = ", ".join(f"{n} {name}" for name, n in kinds.most_common())
            problems.append(f"{len(self.failures)} of {self.requested} slots failed ({detail})")
        if self.not_active:
            problems.append(f"{len(self.not_active)} launched instances are not active")
        elif self.ended:
            problems.append(f"{len(self.ended)} launched instances have ended")
        if self.cancelled:
            problems.append("the launch was cancelled")
        raise BulkLaunchError("; ".join(problems), report=self)


class TerminateOutcome(str, enum.Enum):
    """What became of one id given to ``terminate_many``."""

    #: The API accepted the terminate; the instance is on its way down.
    TERMINATING = "terminating"
    #: The instance is terminated (or preempted): already, or by the time the wait ended.
    TERMINATED = "terminated"
    #: The API does not know the id (never existed, or terminated long enough ago to be gone).
    NOT_FOUND = "not_found"
    #: Terminating failed; the error is in ``BulkTerminateReport.errors``.
    FAILED = "failed"


@attrs.define(kw_only=True, repr=False)
class BulkTerminateReport:
    """The outcome of ``terminate_many``: one ``TerminateOutcome`` per distinct id, in order."""

    outcomes: dict[str, TerminateOutcome] = attrs.Factory(dict)
    errors: dict[str, Exception] = attrs.Factory(dict)
    #: The instances as the API last showed them.
    instances: dict[str, Instance] = attrs.Factory(dict)
    waited: bool = False
    #: Why waiting for ``terminated`` stopped early.
    wait_error: Exception | None = None

    def __repr__(self) -> str:
        counts = collections.Counter(o.value for o in self.outcomes.values())
        shown = " ".join(f"{k}={n}" for k, n in sorted(counts.items()))
        return f"<BulkTerminateReport {shown or 'empty'} waited={self.waited}>"

    def _having(self, outcome: TerminateOutcome) -> list[str]:
        return [i for i, o in self.outcomes.items() if o is outcome]

    @property
    def terminating(self) -> list[str]:
        """Ids accepted for termination and not (yet) seen terminated."""
        return self._having(TerminateOutcome.TERMINATING)

    @property
    def terminated(self) -> list[str]:
        """Ids seen terminated or preempted."""
        return self._having(TerminateOutcome.TERMINATED)

    @property
    def not_found(self) -> list[str]:
        """Ids the API does not know: nothing left to terminate."""
        return self._having(TerminateOutcome.NOT_FOUND)

    @property
    def failed(self) -> list[str]:
        """Ids that could not be terminated (see ``errors``)."""
        return self._having(TerminateOutcome.FAILED)

    @property
    def ok(self) -> bool:
        """No failures, and (if the call waited) everything seen terminated or gone."""
        return not self.failed and not (self.waited and self.terminating)

    def raise_for_errors(self) -> None:
        """Raise ``BulkTerminateError`` (carrying this report) unless ``ok``."""
        if self.ok:
            return
        problems = []
        if self.failed:
            problems.append(f"{len(self.failed)} of {len(self.outcomes)} ids failed")
        if self.waited and self.terminating:
            problems.append(f"{len(self.terminating)} still terminating when the wait ended")
        raise BulkTerminateError("; ".join(problems), report=self)
