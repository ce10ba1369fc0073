"""Where a bulk launch's next instance goes: the (instance type, region) pairs to try in order,
falling back as they fill up, and, with a ``Hunt``, waiting for capacity to appear."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import attrs

from .._clock import monotonic
from .._deadline import Deadline
from ..errors import DeadlineExceededError, LambdaCloudError, ValidationError
from ..types.instance_types import InstanceTypesItem
from .api import InstancesAPI
from .errors import CapacityExhaustedError
from .options import Hunt
from .progress import ProgressKind

__all__ = ["Capacity", "Notify", "Target"]

log = logging.getLogger("lambda_cloud")


@attrs.frozen
class Target:
    """An instance type in a region: where one launch goes."""

    instance_type_name: str
    region: str


#: Reports a capacity event (what is waited for, or what appeared) to the run's progress.
Notify = Callable[[ProgressKind, "Target | None"], Awaitable[None]]


class Capacity:
    """The targets to try, in order (types in order of preference, then regions), which of
    them are full or unusable, and what each type costs as the latest listing says.

    Without explicit regions, a type's regions are those reporting capacity for it. Without a
    hunt, capacity is re-checked (``GET /instance-types``) only when every target is full, and
    only if some launch succeeded since the last check, so a run always ends. With a hunt, the
    latest check decides: a target it showed without capacity is never launched into, and when
    none is left the types are listed again once per ``poll_interval`` until the hunt's time
    is up.
    """

    def __init__(
        self,
        api: InstancesAPI,
        instance_type_names: list[str],
        explicit: list[str] | None,
        hunt: Hunt | None,
        notify: Notify,
        listing: Mapping[str, InstanceTypesItem] | None = None,
    ) -> None:
        self._api = api
        self._listing = listing  # the caller's fresh listing: the first check needs no request
        self._types = instance_type_names
        self._explicit = explicit is not None
        self._hunt = hunt
        self._notify = notify
        self.order = [Target(t, r) for t in instance_type_names for r in explicit or ()]
        self._full: set[Target] = set()
        self._prices: dict[str, object] = {}  # by type, as the latest listing gave them
        self._unusable: dict[str, Exception] = {}  # by region: an image or file system missing
        self._last_full_error: Exception | None = None
        self.checks = 0
        self._checked_at = -float("inf")
        self._launched_since_check = 0
        self._hunt_deadline = Deadline(None)
        #: Seconds spent waiting for capacity to appear (``None`` without a hunt).
        self.hunted: float | None = None if hunt is None else 0.0
        self._lock = asyncio.Lock()

    async def start(self, deadline: Deadline) -> None:
        """Learn where the types have capacity (unless the caller named the regions and does
        not hunt), from the caller's listing if it gave one; the hunt's time starts now."""
        if self._hunt is not None:
            self._hunt_deadline = Deadline(self._hunt.timeout)
        if self._explicit and self._hunt is None:
            if self._listing is not None:  # a spend-guarded run's: its launches are priced
                self._prices = _prices(self._types, self._listing)
            return
        if self._listing is None:
            await self._check(deadline)
        else:
            self._apply(self._listing)
        self._listing = None

    def price(self, instance_type_name: str) -> object:
        """The type's price per hour as the latest listing gave it (``None`` if it had none)."""
        return self._prices.get(instance_type_name)

    def _current(self) -> Target | None:
        for target in self.order:
            if target not in self._full and target.region not in self._unusable:
                return target
        return None

    async def pick(self, deadline: Deadline) -> Target | None:
        """A target to launch into; ``None`` when none is left (and the hunt, if any, is over)."""
        async with self._lock:
            while (target := self._current()) is None:
                if not await self._look_again(deadline):
                    return None
            return target

    async def _look_again(self, deadline: Deadline) -> bool:
        """Check capacity again if that may help; whether it was checked."""
        if self._hunt is None:
            if self.checks and not self._launched_since_check:
                return False
            try:
                await self._check(deadline)
            except LambdaCloudError as exc:
                log.warning("could not re-check capacity: %s", exc)
                return False
            return True
        return await self._poll(self._hunt, self._hunt_deadline.earliest(deadline))

    async def _poll(self, hunt: Hunt, deadline: Deadline) -> bool:
        """One poll of the hunt, once ``poll_interval`` has passed since the last check."""
        wait = max(0.0, self._checked_at + hunt.poll_interval - monotonic())
        if not deadline.allows(wait):
            return False
        await self._notify(ProgressKind.WAITING_FOR_CAPACITY, None)
        started = monotonic()
        try:
            await asyncio.sleep(wait)
            await self._check(deadline)
        except DeadlineExceededError:
            return False
        except LambdaCloudError as exc:  # the next poll may fare better
            log.warning("could not poll for capacity: %s", exc)
            self._checked_at = monotonic()
        finally:
            self.hunted = (self.hunted or 0.0) + monotonic() - started
        found = self._current()
        if found is not None:
            await self._notify(ProgressKind.CAPACITY_FOUND, found)
        return True

    async def _check(self, deadline: Deadline) -> None:
        self._apply(await self._api.list_instance_types(deadline))

    def _apply(self, items: Mapping[str, InstanceTypesItem]) -> None:
        """Take a capacity check's listing as the latest word on where there is room."""
        if self.checks == 0:
            unknown = [t for t in self._types if t not in items]
            if unknown:
                field = "instance_type_name" if len(self._types) == 1 else "instance_type_names"
                raise ValidationError(field, f"unknown instance type(s): {', '.join(unknown)}")
        # In order of preference, each type's regions in the API's order.
        listed = [t for name in self._types for t in _targets(name, items.get(name))]
        available = set(listed)
        if self._explicit and self._hunt is None:
            self._full -= available
        else:
            if not self._explicit:
                self.order = listed + [t for t in self.order if t not in available]
            self._full = {t for t in self.order if t not in available}
        self._prices = _prices(self._types, items)
        self.checks += 1
        self._checked_at = monotonic()
        self._launched_since_check = 0

    def mark_full(self, target: Target, check: int, error: Exception) -> None:
        """``target`` answered that it has no capacity, at capacity check number ``check``."""
        if check == self.checks:  # else a newer capacity check has spoken since
            self._full.add(target)
        self._last_full_error = error

    def mark_unusable(self, region: str, error: Exception) -> None:
        """``region`` cannot serve this launch at all (an image or file system missing there)."""
        self._unusable[region] = error

    def launched(self) -> None:
        """A launch succeeded: capacity is worth re-checking once every target is full."""
        self._launched_since_check += 1

    def exhausted_error(self) -> Exception:
        """Why a slot found no target."""
        if not self._full and self._unusable:
            return list(self._unusable.values())[-1]
        regions = list(dict.fromkeys(t.region for t in self.order))
        error = CapacityExhaustedError(self._types[0], regions, self._types, hunted=self.hunted)
        error.__cause__ = self._last_full_error
        return error


def _targets(name: str, item: InstanceTypesItem | None) -> list[Target]:
    return [] if item is None else [Target(name, r) for r in item.region_names]


def _prices(names: list[str], items: Mapping[str, InstanceTypesItem]) -> dict[str, object]:
    return {n: items[n].instance_type.price_cents_per_hour for n in names if n in items}
