"""Cost to date: instance lifetimes from the audit log, joined with prices.

The API records when an instance was launched and terminated only in its audit log
(``cloud.instance`` events ``launched`` and ``terminated``), so that is where lifetimes come
from; an instance whose launch the log does not show inside the window is reported as
unaccounted, not guessed. An instance is priced at what its own listing shows (the price it
was launched at); one no longer listed is priced at its type's current price and marked
``estimated``. Pure functions; ``instances.costs`` does the requests.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Literal

import attrs

from ..bulk.inventory import is_live
from ..bulk.options import LAUNCH_TOKEN_TAG, OWNER_TAG
from ..errors import ValidationError
from ..types.audit_events import AuditEvent
from ..types.instance_types import InstanceTypesItem
from ..types.instances import Instance, InstanceStatus
from .reap import IdleFileSystem, price_of

__all__ = [
    "GROUP_BY",
    "CostGroup",
    "CostReport",
    "GroupBy",
    "InstanceCost",
    "UnaccountedInstance",
    "check_group_by",
    "compute_costs",
]

#: What ``instances.costs`` sums by.
GroupBy = Literal["run", "owner", "instance", "type"]
GROUP_BY: tuple[GroupBy, ...] = ("run", "owner", "instance", "type")
#: The group of an instance whose run or owner is unknown (untagged, or no longer listed).
UNKNOWN = "(unknown)"
#: The audit log's resource type for instances, and the actions that bound a lifetime.
INSTANCE_EVENTS = "cloud.instance"
_LAUNCHED = "launched"
_TERMINATED = "terminated"


def check_group_by(value: object) -> GroupBy:
    """One of ``GROUP_BY``."""
    for choice in GROUP_BY:
        if value == choice:
            return choice
    raise ValidationError("group_by", f"expected one of {', '.join(GROUP_BY)}, got {value!r}")


@attrs.define(kw_only=True)
class InstanceCost:
    """One instance's spend inside the window."""

    id: str
    instance_type_name: str
    price_cents_per_hour: int
    #: When it was launched and terminated (``None``: still running).
    launched_at: datetime.datetime
    terminated_at: datetime.datetime | None
    cents: float
    run: str
    owner: str
    #: True when it is no longer listed, so it was priced at its type's current price.
    estimated: bool = False


@attrs.define(kw_only=True)
class CostGroup:
    """The spend of one run, owner, instance or type."""

    key: str
    cents: float
    instances: int
    #: What its instances still running cost per hour.
    running_cents_per_hour: int


@attrs.define(kw_only=True)
class UnaccountedInstance:
    """An instance the window shows but cannot price: its launch predates the audit log's reach
    (or ``since``), its end was not recorded, or its type or price is unknown."""

    id: str
    reason: str
    #: Its listing, if it is still listed.
    instance: Instance | None = None
    #: When it was launched, if the audit log shows it (a preempted instance's end is unknown).
    launched_at: datetime.datetime | None = None


@attrs.define(kw_only=True)
class CostReport:
    """Cents spent from ``since`` to ``until``, per group, and what runs now per hour."""

    since: datetime.datetime
    until: datetime.datetime
    group_by: GroupBy
    #: Dearest first.
    groups: list[CostGroup] = attrs.Factory(list)
    instances: list[InstanceCost] = attrs.Factory(list)
    unaccounted: list[UnaccountedInstance] = attrs.Factory(list)
    idle_file_systems: list[IdleFileSystem] = attrs.Factory(list)
    #: What every live instance costs per hour now (unaccounted ones included).
    running_cents_per_hour: int = 0

    @property
    def total_cents(self) -> float:
        """The priced instances' spend in the window."""
        return sum(g.cents for g in self.groups)


def _instance_id(event: AuditEvent) -> str | None:
    """The instance an event is about: its ``lrn:<service>:instance:<id>`` among the resource
    LRNs, else in ``additional_details["instance_lrn"]`` (the spec's example of an instance's
    details); ``None`` if neither names one."""
    for lrn in [*event.resource_lrns, event.additional_details.get("instance_lrn")]:
        parts = lrn.split(":") if isinstance(lrn, str) else []
        if len(parts) == 4 and parts[0] == "lrn" and parts[2] == "instance" and parts[3]:
            return parts[3]
    return None


def _no_end(instance: Instance | None) -> str:
    """Why an instance that is over, launched in the window, has no end: the API records a
    preemption nowhere (no audit event, no time on the instance), so it is not guessed."""
    if instance is None:
        return "no longer listed, and its end is not in the audit log (preempted, perhaps)"
    if instance.status == InstanceStatus.PREEMPTED:
        return (
            "preempted: the API records no time for a preemption, so how long it ran (from "
            "launched_at) is unknown"
        )
    return f"{instance.status!s}, but its end is not in the audit log"


def _key(cost: InstanceCost, group_by: GroupBy) -> str:
    if group_by == "run":
        return cost.run
    if group_by == "owner":
        return cost.owner
    if group_by == "instance":
        return cost.id
    return cost.instance_type_name


def compute_costs(
    *,
    events: Iterable[AuditEvent],
    instances: Iterable[Instance],
    types: Mapping[str, InstanceTypesItem],
    since: datetime.datetime,
    until: datetime.datetime,
    group_by: GroupBy,
    idle: list[IdleFileSystem],
) -> CostReport:
    """The cost report of ``events`` (the instance events from ``since`` on) and the current
    instance listing; times are clipped to ``[since, until]``."""
    launched: dict[str, AuditEvent] = {}
    ended: dict[str, datetime.datetime] = {}
    for event in events:
        iid = _instance_id(event)
        if iid is None or event.resource_type != INSTANCE_EVENTS:
            continue
        if event.action == _LAUNCHED:
            launched.setdefault(iid, event)
        elif event.action == _TERMINATED:
            ended.setdefault(iid, event.event_time)
    listed = {i.id: i for i in instances}
    report = CostReport(since=since, until=until, group_by=group_by, idle_file_systems=idle)
    report.running_cents_per_hour = sum(price_of(i) or 0 for i in listed.values() if is_live(i))
    # Every instance the window shows: launched or ended in it, or running now.
    running = [i for i, instance in listed.items() if is_live(instance)]
    seen = list(dict.fromkeys([*launched, *ended, *running]))
    for iid in seen:
        instance = listed.get(iid)
        start = launched.get(iid)
        if start is not None and start.event_time > until:
            continue  # launched after the window
        if start is None:
            reason = "launched before the audit log's reach (or before since)"
            report.unaccounted.append(UnaccountedInstance(id=iid, reason=reason, instance=instance))
            continue
        end = ended.get(iid)
        over = end is None and (instance is None or not is_live(instance))
        priced = _no_end(instance) if over else _price(start, instance, types)
        if isinstance(priced, str):
            report.unaccounted.append(
                UnaccountedInstance(
                    id=iid,
                    reason=priced,
                    instance=instance,
                    launched_at=start.event_time,
                )
            )
            continue
        type_name, price = priced
        begin = max(start.event_time, since)
        finish = min(end or until, until)
        seconds = max((finish - begin).total_seconds(), 0.0)
        report.instances.append(
            InstanceCost(
                id=iid,
                instance_type_name=type_name,
                price_cents_per_hour=price,
                launched_at=start.event_time,
                terminated_at=end,
                cents=price * seconds / 3600,
                run=_tag_part(instance, LAUNCH_TOKEN_TAG),
                owner=_tag_part(instance, OWNER_TAG),
                estimated=instance is None,
            )
        )
    report.groups = _groups(report.instances, listed, group_by)
    return report


def _tag_part(instance: Instance | None, key: str) -> str:
    """The run (a launch token's part before ``/``) or the owner, or ``UNKNOWN``."""
    value = None if instance is None else instance.tag(key)
    if value is None:
        return UNKNOWN
    return value.split("/", 1)[0] if key == LAUNCH_TOKEN_TAG else value


def _price(
    launch: AuditEvent, instance: Instance | None, types: Mapping[str, InstanceTypesItem]
) -> tuple[str, int] | str:
    """The instance's type and price (its listing's, else its type's current one), or why
    there is none."""
    if instance is not None:
        price = price_of(instance)
        if price is None:
            return "its listing shows no price in whole cents"
        return instance.instance_type.name, price
    name = launch.additional_details.get("instance_type")
    item = types.get(name) if isinstance(name, str) else None
    if item is None:
        return "no longer listed, and its launch event names no known instance type"
    price = item.instance_type.price_cents_per_hour
    if not isinstance(price, int) or isinstance(price, bool):
        return f"the instance type {item.instance_type.name} has no price in whole cents"
    return item.instance_type.name, price


def _groups(
    costs: list[InstanceCost], listed: Mapping[str, Instance], group_by: GroupBy
) -> list[CostGroup]:
    groups: dict[str, CostGroup] = {}
    for cost in costs:
        key = _key(cost, group_by)
        group = groups.setdefault(
            key, CostGroup(key=key, cents=0.0, instances=0, running_cents_per_hour=0)
        )
        group.cents += cost.cents
        group.instances += 1
        instance = listed.get(cost.id)
        if cost.terminated_at is None and instance is not None and is_live(instance):
            group.running_cents_per_hour += cost.price_cents_per_hour
    return sorted(groups.values(), key=lambda g: (-g.cents, g.key))
