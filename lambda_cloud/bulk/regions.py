"""Which region a bulk launch's next instance goes to, falling back as regions fill up."""

from __future__ import annotations

import asyncio
import logging

from .._deadline import Deadline
from ..errors import LambdaCloudError, ValidationError
from .api import InstancesAPI
from .errors import CapacityExhaustedError

__all__ = ["Regions"]

log = logging.getLogger("lambda_cloud")


class Regions:
    """The regions to try, in order, and which of them are full or unusable.

    Without explicit regions, the order is the regions that report capacity for the type.
    Capacity is re-checked (``GET /instance-types``) only when every candidate is full, and only
    if some launch succeeded since the last check, so a run always ends.
    """

    def __init__(
        self, api: InstancesAPI, instance_type_name: str, explicit: list[str] | None
    ) -> None:
        self._api = api
        self._type = instance_type_name
        self._explicit = explicit is not None
        self.order: list[str] = list(explicit or [])
        self._full: set[str] = set()
        self._unusable: dict[str, Exception] = {}
        self._last_full_error: Exception | None = None
        self.checks = 0
        self._launched_since_check = 0
        self._lock = asyncio.Lock()

    async def start(self, deadline: Deadline) -> None:
        """Learn where the type has capacity (unless the caller named the regions)."""
        if not self._explicit:
            await self._check(deadline)

    def _current(self) -> str | None:
        for region in self.order:
            if region not in self._full and region not in self._unusable:
                return region
        return None

    async def pick(self, deadline: Deadline) -> str | None:
        """A region to launch in; ``None`` when none is left."""
        region = self._current()
        if region is None:
            async with self._lock:
                region = self._current()
                if region is None and (self.checks == 0 or self._launched_since_check > 0):
                    try:
                        await self._check(deadline)
                    except LambdaCloudError as exc:
                        log.warning("could not re-check capacity: %s", exc)
                    region = self._current()
        return region

    async def _check(self, deadline: Deadline) -> None:
        item = (await self._api.list_instance_types(deadline)).get(self._type)
        if item is None and not self._explicit:
            raise ValidationError("instance_type_name", f"unknown instance type {self._type!r}")
        available = [] if item is None else item.region_names
        if self._explicit:
            self._full -= set(available)
        else:
            self.order = available + [r for r in self.order if r not in available]
            self._full = {r for r in self.order if r not in available}
        self.checks += 1
        self._launched_since_check = 0

    def mark_full(self, region: str, check: int, error: Exception) -> None:
        """``region`` answered that it has no capacity, at capacity check number ``check``."""
        if check == self.checks:  # else a newer capacity check has spoken since
            self._full.add(region)
        self._last_full_error = error

    def mark_unusable(self, region: str, error: Exception) -> None:
        """``region`` cannot serve this launch at all (an image or file system missing there)."""
        self._unusable[region] = error

    def launched(self) -> None:
        """A launch succeeded: capacity is worth re-checking once every region is full."""
        self._launched_since_check += 1

    def exhausted_error(self) -> Exception:
        """Why a slot found no region."""
        if not self._full and self._unusable:
            return list(self._unusable.values())[-1]
        error = CapacityExhaustedError(self._type, self.order)
        error.__cause__ = self._last_full_error
        return error
