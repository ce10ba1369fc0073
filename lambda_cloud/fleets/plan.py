"""A fleet's plan and status, computed from one instance list: pure functions, no I/O.

Members are the instances carrying the fleet's launch tokens (``fleet-<name>/<slot>``), so the
slots are ``launch_many``'s: slot ``i`` keeps the live instance every run keeps
(``bulk.inventory.launch_order``), an apply fills the empty slots below ``count`` with
``launch_many(run_id=fleet.run_id)``, and the slots past ``count`` are the ones a lower count
terminates (the highest first). Every applier computes the same plan from the same list.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

import attrs

from .._clock import monotonic
from ..bulk.inventory import is_live, launch_order, mismatch, run_instances
from ..bulk.launch import slot_name
from ..bulk.options import LAUNCH_TOKEN_TAG, LAUNCHED_AT_TAG
from ..bulk.slots import parse_token
from ..lifecycle.expiry import expires_at_of
from ..lifecycle.reap import price_of
from ..types.instances import Instance, InstanceStatus
from .reports import FleetMember, FleetPlan, FleetStatus, Reason, SlotChange
from .spec import Fleet, fleet_name_of

__all__ = ["Sightings", "fleet_names", "fleet_status", "plan_fleet"]


class Sightings:
    """How long each instance has been seen ``unhealthy``, by this process's listings (the API
    says since when no more than a tag can): a member is replaced once this reaches the
    fleet's ``unhealthy_timeout``."""

    def __init__(self) -> None:
        self._since: dict[str, float] = {}

    def observe(self, instances: Iterable[Instance]) -> dict[str, float]:
        """Take a listing in; the seconds each unhealthy instance in it has been seen so."""
        now = monotonic()
        unhealthy = {i.id for i in instances if i.status is InstanceStatus.UNHEALTHY}
        self._since = {iid: self._since.get(iid, now) for iid in unhealthy}
        return {iid: now - since for iid, since in self._since.items()}


def _launched_at(instance: Instance) -> datetime.datetime | None:
    value = instance.tag(LAUNCHED_AT_TAG)
    if value is None:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _verdict(
    fleet: Fleet,
    slot: int,
    instance: Instance,
    *,
    now: datetime.datetime,
    unhealthy_for: Mapping[str, float],
) -> tuple[Reason, str] | None:
    """Why the live member kept in ``slot`` must be replaced, if it must."""
    why = mismatch(
        instance,
        instance_type_names=fleet.instance_type_names,
        region_names=fleet.region_names,
        name=instance.name or None,  # a wrong name is renamed, never replaced (``_misnamed``)
    )
    if why is not None:
        return Reason.MISMATCHED, why
    expires_at = expires_at_of(instance)
    if expires_at is not None and expires_at <= now:
        return Reason.EXPIRED, f"expired {expires_at:%Y-%m-%dT%H:%M:%SZ}"
    seen = unhealthy_for.get(instance.id)
    limit = fleet.unhealthy_timeout
    if instance.status is InstanceStatus.UNHEALTHY and limit is not None and (seen or 0) >= limit:
        return Reason.UNHEALTHY, f"unhealthy for {seen or 0:.0f} s"
    launched = _launched_at(instance)
    if (
        instance.status is InstanceStatus.BOOTING
        and fleet.boot_timeout is not None
        and launched is not None
        and (booted := (now - launched).total_seconds()) >= fleet.boot_timeout
    ):
        return Reason.STUCK_BOOTING, f"booting for {booted:.0f} s"
    return None


def _misnamed(fleet: Fleet, slot: int, instance: Instance) -> SlotChange | None:
    """The rename a kept member needs, if its name is not its slot's (renamed by hand, or
    ``name_prefix`` changed): a rename costs nothing, a replacement the work on the machine."""
    name = slot_name(fleet.prefix, slot)
    if (instance.name or None) == name:
        return None
    return _change(slot, Reason.RENAMED, instance, f"name {instance.name!r}, not {name!r}")


def _change(slot: int, reason: Reason, instance: Instance, detail: str | None) -> SlotChange:
    return SlotChange(
        slot=slot,
        reason=reason,
        instance_id=instance.id,
        instance_type_name=instance.instance_type.name,
        region=instance.region.name,
        price_cents_per_hour=price_of(instance),
        detail=detail,
    )


def plan_fleet(
    fleet: Fleet,
    instances: list[Instance],
    *,
    now: datetime.datetime,
    unhealthy_for: Mapping[str, float],
    launch_price: int,
    max_hourly_cost_cents: int | None,
    has_capacity: bool,
) -> FleetPlan:
    """What an apply of ``fleet`` does, given the account's ``instances``: ``now`` (aware, UTC)
    judges expiry and booting, ``unhealthy_for`` how long members have been seen unhealthy,
    ``launch_price`` (the dearest of its types, cents per hour) prices launches,
    ``max_hourly_cost_cents`` bounds what the account may run once they are made, and
    ``has_capacity`` is whether the instance-types listing shows capacity for one of its types
    in one of its regions (without it, no healthy mismatched member is replaced)."""
    plan = FleetPlan(
        name=fleet.name,
        run_id=fleet.run_id,
        count=fleet.count,
        min_count=fleet.floor,
        max_hourly_cost_cents=max_hourly_cost_cents,
    )
    by_slot = run_instances(instances, fleet.run_id)
    fill: list[SlotChange] = []
    mismatched: list[tuple[SlotChange, Instance]] = []
    for slot in sorted(set(by_slot) | set(range(fleet.count))):
        found = sorted(by_slot.get(slot, ()), key=launch_order)
        live = [i for i in found if is_live(i)]
        if slot >= fleet.count:
            plan.terminate += [_change(slot, Reason.SCALE_DOWN, i, None) for i in live]
            continue
        plan.terminate += [
            _change(slot, Reason.DUPLICATE, i, f"{live[0].id} was launched first") for i in live[1:]
        ]
        if not live:
            ended = found[-1] if found else None
            fill.append(
                SlotChange(slot=slot, reason=Reason.MISSING)
                if ended is None
                else SlotChange(
                    slot=slot,
                    reason=Reason.ENDED,
                    instance_id=ended.id,
                    instance_type_name=ended.instance_type.name,
                    region=ended.region.name,
                    detail=ended.status.value,
                )
            )
            continue
        verdict = _verdict(fleet, slot, live[0], now=now, unhealthy_for=unhealthy_for)
        if verdict is None:
            _keep(plan, fleet, slot, live[0])
        elif verdict[0] is Reason.MISMATCHED:
            mismatched.append((_change(slot, verdict[0], live[0], verdict[1]), live[0]))
        else:
            change = _change(slot, verdict[0], live[0], verdict[1])
            plan.replace.append(change)
            fill.append(change)
    plan.terminate.sort(key=lambda c: -c.slot)  # the highest slots first
    mine = {i.id for found in by_slot.values() for i in found}
    others = sum(price_of(i) or 0 for i in instances if is_live(i) and i.id not in mine)
    span = _affordable(plan, others=others, price=launch_price)
    _roll(plan, fleet, mismatched, fill, span=span, has_capacity=has_capacity)
    _budget(plan, fill, span=span, price=launch_price)
    return plan


def _keep(plan: FleetPlan, fleet: Fleet, slot: int, instance: Instance) -> None:
    plan.kept.append(FleetMember(slot=slot, instance=instance))
    if (rename := _misnamed(fleet, slot, instance)) is not None:
        plan.rename.append(rename)


def _affordable(plan: FleetPlan, *, others: int, price: int) -> int:
    """The widest slot range the launch may cover: ``launch_many`` holds that many times the
    dearest price on top of what the rest of the account runs (the fleet's members, those
    replaced included, count only as the slots they hold)."""
    ceiling = plan.max_hourly_cost_cents
    if ceiling is None or price <= 0:
        return plan.count
    return min(plan.count, max(ceiling - others, 0) // price)


def _roll(
    plan: FleetPlan,
    fleet: Fleet,
    mismatched: list[tuple[SlotChange, Instance]],
    fill: list[SlotChange],
    *,
    span: int,
    has_capacity: bool,
) -> None:
    """Replace the healthy members the fleet no longer launches (another type or region) only
    when their replacements can be launched now; else keep them all (``plan.deferred``).

    All or none: ``launch_many`` refuses a live mismatched member in its slot range and ends
    those past it, so while one is kept nothing is launched. Replacing needs capacity for one
    of the fleet's types in one of its regions, and a range the ceiling affords that covers
    every live member (the replaced ones priced at the new type, their own cost gone)."""
    if not mismatched:
        return
    live_slots = [m.slot for m in plan.kept] + [c.slot for c, _ in mismatched]
    why = None
    if not has_capacity:
        why = "no capacity for its replacement"
    elif span <= max(live_slots):
        why = f"no budget room: the ceiling affords {span} of {max(live_slots) + 1} slots"
    for change, instance in mismatched:
        if why is None:
            plan.replace.append(change)
            fill.append(change)
        else:
            plan.deferred.append(attrs.evolve(change, detail=f"{change.detail}; kept: {why}"))
            _keep(plan, fleet, change.slot, instance)
    plan.kept.sort(key=lambda m: m.slot)
    plan.rename.sort(key=lambda c: c.slot)


def _budget(plan: FleetPlan, fill: list[SlotChange], *, span: int, price: int) -> None:
    """Which empty slots the launch fills: all of them, unless the spend ceiling holds some
    back (the range ``span`` it affords) or a member is deferred (nothing is launched). Never
    narrower than the members kept: a narrower range would end them as extras."""
    kept_cost = sum(price_of(m.instance) or 0 for m in plan.kept)
    doomed = (*plan.replace, *plan.terminate)
    plan.hourly_cost_cents = kept_cost + sum(c.price_cents_per_hour or 0 for c in doomed)
    if plan.deferred or span < max((m.slot + 1 for m in plan.kept), default=0):
        span = 0
    launching = [c for c in fill if c.slot < span]
    plan.launch = [c for c in launching if c.reason in (Reason.MISSING, Reason.ENDED)]
    plan.held_back = [c.slot for c in fill if c.slot >= span]
    plan.launch_count = span if launching else 0
    plan.hourly_cost_cents_after = kept_cost + len(launching) * price


def fleet_status(name: str, run_id: str, instances: Iterable[Instance]) -> FleetStatus:
    """Fleet ``name``'s members in ``instances``, by slot."""
    status = FleetStatus(name=name, run_id=run_id)
    by_slot = run_instances(list(instances), run_id)
    for slot in sorted(by_slot):
        for instance in sorted(by_slot[slot], key=launch_order):
            member = FleetMember(slot=slot, instance=instance)
            (status.members if is_live(instance) else status.ended).append(member)
    return status


def fleet_names(instances: Iterable[Instance]) -> list[str]:
    """The names of the fleets that have instances in ``instances``, sorted."""
    names = set()
    for instance in instances:
        parsed = parse_token(instance.tag(LAUNCH_TOKEN_TAG))
        name = None if parsed is None else fleet_name_of(parsed[0])
        if name is not None:
            names.add(name)
    return sorted(names)
