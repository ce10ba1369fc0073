"""What the fleet operations hand back: a plan, the report of an apply, a fleet's status."""

from __future__ import annotations

import collections
import enum

import attrs

from ..bulk.reports import BulkLaunchReport, BulkTerminateReport
from ..errors import LambdaCloudError
from ..lifecycle.reap import price_of
from ..types.instances import Instance, InstanceStatus

__all__ = [
    "FleetApplyError",
    "FleetApplyReport",
    "FleetMember",
    "FleetPlan",
    "FleetStatus",
    "Reason",
    "SlotChange",
]


class Reason(str, enum.Enum):
    """Why a plan launches, replaces or terminates in a slot."""

    #: Launch: the slot has never had an instance (or the list no longer shows it).
    MISSING = "missing"
    #: Launch: the slot's instance ended (preempted, terminated, terminating) behind its back.
    ENDED = "ended"
    #: Replace: seen ``unhealthy`` for the fleet's ``unhealthy_timeout``.
    UNHEALTHY = "unhealthy"
    #: Replace: still booting the fleet's ``boot_timeout`` after its launch.
    STUCK_BOOTING = "stuck_booting"
    #: Replace: its expiry tag has passed.
    EXPIRED = "expired"
    #: Replace: not what the fleet launches now (another type or region).
    MISMATCHED = "mismatched"
    #: Rename: not the name its slot has (renamed by hand, or a new ``name_prefix``); renamed
    #: in place, never replaced for it.
    RENAMED = "renamed"
    #: Terminate: its slot is past ``count``.
    SCALE_DOWN = "scale_down"
    #: Terminate: a second live instance of its slot (the one launched first is kept).
    DUPLICATE = "duplicate"


@attrs.frozen(kw_only=True)
class SlotChange:
    """One change a plan makes in slot ``slot``: the instance it terminates (``instance_id``,
    for a replace or terminate) or the one that ended (for a launch after ``ENDED``)."""

    slot: int
    reason: Reason
    instance_id: str | None = None
    instance_type_name: str | None = None
    region: str | None = None
    #: What the instance's price per hour is (``None`` for a launch, or no valid price).
    price_cents_per_hour: int | None = None
    #: A few words on why (the status it ended in, how it differs, how long it has booted).
    detail: str | None = None

    def __str__(self) -> str:
        parts = [f"slot {self.slot}", self.reason.value]
        if self.instance_id:
            parts.append(self.instance_id)
        if self.detail:
            parts.append(f"({self.detail})")
        return " ".join(parts)


@attrs.frozen(kw_only=True)
class FleetMember:
    """A fleet's instance in slot ``slot``, as the instance list shows it."""

    slot: int
    instance: Instance

    @property
    def id(self) -> str:
        """The instance's id."""
        return self.instance.id

    @property
    def status(self) -> InstanceStatus:
        """The instance's status."""
        return self.instance.status


@attrs.define(kw_only=True)
class FleetPlan:
    """What an apply of fleet ``name`` would do now, from one instance list and one
    instance-types list (``plan`` sends nothing that changes state).

    ``kept`` are the live members left running; ``rename`` those of them to rename to their
    slot's name; ``launch`` the empty slots to fill; ``replace`` the members to terminate and
    launch again; ``terminate`` those to end for good (scale-down, a second instance of a
    slot); ``deferred`` the healthy members of another type or region kept until their
    replacements can be launched (no capacity listed, or no room under the ceiling), during
    which nothing is launched; ``held_back`` the empty slots this pass leaves empty (the spend
    ceiling, or a deferred member).
    ``launch_count`` is the slot range the launch covers (``0``: no launch). Costs are US cents
    per hour: ``hourly_cost_cents`` what the fleet runs now, ``hourly_cost_cents_after`` at
    most what it will (launches priced at the dearest of its types).
    """

    name: str
    run_id: str
    count: int
    min_count: int
    kept: list[FleetMember] = attrs.Factory(list)
    rename: list[SlotChange] = attrs.Factory(list)
    launch: list[SlotChange] = attrs.Factory(list)
    replace: list[SlotChange] = attrs.Factory(list)
    terminate: list[SlotChange] = attrs.Factory(list)
    deferred: list[SlotChange] = attrs.Factory(list)
    held_back: list[int] = attrs.Factory(list)
    launch_count: int = 0
    hourly_cost_cents: int = 0
    hourly_cost_cents_after: int = 0
    #: The spend ceiling it was planned under (``None``: none).
    max_hourly_cost_cents: int | None = None

    @property
    def converged(self) -> bool:
        """Nothing to do: ``count`` live members, none to rename, replace, defer or terminate."""
        return not (
            self.launch
            or self.rename
            or self.replace
            or self.terminate
            or self.deferred
            or self.held_back
        )

    @property
    def doomed(self) -> list[str]:
        """Ids the apply terminates: scale-down and duplicates, then those replaced."""
        return [c.instance_id for c in (*self.terminate, *self.replace) if c.instance_id]

    def summary(self) -> str:
        """A few lines: counts, then one line per change."""
        live = len(self.kept) + len(self.replace)
        head = (
            f"fleet {self.name}: {live} live of {self.count}; launch {len(self.launch)}, "
            f"replace {len(self.replace)}, terminate {len(self.terminate)}"
        )
        if self.rename:
            head += f", rename {len(self.rename)}"
        if self.deferred:
            head += f", defer {len(self.deferred)}"
        lines = [head]
        for verb, changes in (
            ("rename", self.rename),
            ("launch", self.launch),
            ("replace", self.replace),
            ("terminate", self.terminate),
            ("defer", self.deferred),
        ):
            lines += [f"  {verb:<9} {change}" for change in changes]
        if self.held_back:
            slots = ", ".join(map(str, self.held_back))
            why = (
                "a deferred replacement"
                if self.deferred
                else f"the spend ceiling ({self.max_hourly_cost_cents} cents/h)"
            )
            lines.append(f"  held back by {why}: slots {slots}")
        lines.append(
            f"  cost: {self.hourly_cost_cents} -> at most {self.hourly_cost_cents_after} cents/h"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<FleetPlan {self.name} kept={len(self.kept)} launch={len(self.launch)} "
            f"replace={len(self.replace)} terminate={len(self.terminate)}>"
        )


class FleetApplyError(LambdaCloudError):
    """An apply left its fleet below ``min_count`` or failed to terminate what it meant to;
    ``report`` says what it did."""

    def __init__(self, message: str, *, report: FleetApplyReport) -> None:
        super().__init__(message)
        self.report = report


@attrs.define(kw_only=True, repr=False)
class FleetApplyReport:
    """One apply (or one pass of a watch): its ``plan``, the members it ``renamed``, the
    terminate and launch it made (``None`` when there was nothing to do), and ``error``: what
    refused the launch (a spend guard error at the account's books) or failed a rename, or, in
    a watch, what failed the pass (``plan`` is then ``None``)."""

    plan: FleetPlan | None
    #: Ids of the members renamed to their slot's name.
    renamed: list[str] = attrs.Factory(list)
    terminated: BulkTerminateReport | None = None
    launched: BulkLaunchReport | None = None
    error: LambdaCloudError | None = None

    @property
    def live(self) -> list[str]:
        """Ids of the members live after the apply, by slot: those kept, and those launched
        (or adopted) that the launch saw live."""
        if self.plan is None:
            return []
        members = {m.slot: m.id for m in self.plan.kept}
        if self.launched is not None:
            ended = {i.id for i in self.launched.ended}
            members |= {i.slot: i.id for i in self.launched.instances if i.id not in ended}
        return [members[slot] for slot in sorted(members)]

    @property
    def converged(self) -> bool:
        """The fleet has ``count`` live members, none deferred, and nothing failed."""
        return (
            self.plan is not None
            and len(self.live) == self.plan.count
            and not self.plan.deferred
            and self._clean
        )

    @property
    def ok(self) -> bool:
        """At least ``min_count`` live members, and every terminate went through."""
        return self.plan is not None and len(self.live) >= self.plan.min_count and self._clean

    @property
    def _clean(self) -> bool:
        return self.terminated is None or not self.terminated.failed

    def summary(self) -> str:
        """A few lines: what was live before and after, what was launched and terminated."""
        if self.plan is None:
            return f"fleet apply failed: {type(self.error).__name__}: {self.error}"
        lines = [f"fleet {self.plan.name}: {len(self.live)} live of {self.plan.count}"]
        if self.plan.rename:
            lines.append(f"  renamed: {len(self.renamed)} of {len(self.plan.rename)}")
        if self.terminated is not None:
            ended = len(self.terminated.outcomes) - len(self.terminated.failed)
            lines.append(f"  terminated: {ended} of {len(self.terminated.outcomes)}")
        if self.launched is not None:
            lines.append("  " + self.launched.summary().replace("\n", "\n  "))
        if self.plan.deferred:
            lines.append(f"  deferred (kept until they can be replaced): {len(self.plan.deferred)}")
        if self.plan.held_back:
            lines.append(f"  held back: {len(self.plan.held_back)}")
        if self.error is not None:
            lines.append(f"  {type(self.error).__name__}: {self.error}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        name = self.plan.name if self.plan else "?"
        return f"<FleetApplyReport {name} live={len(self.live)} ok={self.ok}>"

    def raise_for_errors(self) -> None:
        """Raise ``FleetApplyError`` (carrying this report) unless ``ok``."""
        if self.ok:
            return
        if self.plan is None:
            message = f"the pass failed: {self.error}"
        else:
            message = f"{len(self.live)} live of {self.plan.count} (min {self.plan.min_count})"
            if not self._clean:
                message += "; some terminates failed"
            if self.error is not None:
                message += f"; {type(self.error).__name__}: {self.error}"
        raise FleetApplyError(message, report=self)


@attrs.define(kw_only=True)
class FleetStatus:
    """Fleet ``name`` as the instance list shows it, read from the launch tokens alone (the
    spec is not needed, so any machine can look): its live ``members`` by slot (a slot may
    show two while concurrent appliers settle) and the ``ended`` ones still listed."""

    name: str
    run_id: str
    members: list[FleetMember] = attrs.Factory(list)
    ended: list[FleetMember] = attrs.Factory(list)

    @property
    def live(self) -> int:
        """How many members are live."""
        return len(self.members)

    @property
    def statuses(self) -> dict[str, int]:
        """How many live members are in each status."""
        return dict(collections.Counter(m.status.value for m in self.members))

    @property
    def hourly_cost_cents(self) -> int:
        """What the live members cost per hour (those with a valid listed price)."""
        return sum(price_of(m.instance) or 0 for m in self.members)

    def __repr__(self) -> str:
        return f"<FleetStatus {self.name} live={self.live} statuses={self.statuses}>"
