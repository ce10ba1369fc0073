"""Progress events the bulk operations report as they go, and how they reach the callback."""

from __future__ import annotations

import enum
import inspect
import logging
from collections.abc import Callable

import attrs

from .._validation import check_callback
from ..types.instances import InstanceStatus

__all__ = ["Phase", "ProgressCallback", "ProgressEvent", "ProgressKind"]

log = logging.getLogger("lambda_cloud")


class ProgressKind(str, enum.Enum):
    """What happened."""

    #: A slot got its instance (``instance_id``, ``region``).
    LAUNCHED = "launched"
    #: A slot will be tried again: its region was full, the API throttled, or a launch whose
    #: outcome was unknown turned out not to have created anything.
    RETRYING = "retrying"
    #: A slot could not be filled, or an instance will not reach the awaited status (``error``).
    FAILED = "failed"
    #: An awaited instance changed status, not yet to the one awaited.
    STATUS = "status"
    #: An awaited instance is active.
    ACTIVE = "active"
    #: A terminate request was accepted for ``instance_id``.
    TERMINATING = "terminating"
    #: ``instance_id`` is terminated (or preempted).
    TERMINATED = "terminated"
    #: ``instance_id`` is unknown to the API: already gone, so nothing to terminate.
    NOT_FOUND = "not_found"
    #: A cancelled launch left ``instance_id`` running, as ``on_cancel="keep"`` asked.
    KEPT = "kept"
    #: A ``Hunt`` found no capacity for any of ``waiting_for`` and is about to poll again.
    WAITING_FOR_CAPACITY = "waiting_for_capacity"
    #: A ``Hunt``'s poll found capacity: ``instance_type_name`` in ``region``, first in line.
    CAPACITY_FOUND = "capacity_found"


class Phase(str, enum.Enum):
    """Which part of a bulk operation an event belongs to; each counts its own ``total``."""

    #: Filling slots: ``total`` is the number of slots.
    LAUNCHING = "launching"
    #: Accounting for launches whose outcome was unknown: ``total`` is how many.
    RECONCILING = "reconciling"
    #: Waiting for instances to reach a status: ``total`` is how many are awaited.
    WAITING = "waiting"
    #: Terminating instances: ``total`` is how many ids.
    TERMINATING = "terminating"


@attrs.frozen(kw_only=True)
class ProgressEvent:
    """One step of a bulk operation: ``done`` of ``total`` items of ``phase`` are settled.

    Within a phase ``total`` is fixed and ``done`` never decreases, so it can drive a progress
    bar directly; a new phase starts a new count.
    """

    kind: ProgressKind
    phase: Phase
    done: int
    total: int
    instance_id: str | None = None
    slot: int | None = None
    region: str | None = None
    status: InstanceStatus | None = None
    error: BaseException | None = None
    instance_type_name: str | None = None
    #: The instance types a ``WAITING_FOR_CAPACITY`` event waits for, in order of preference.
    waiting_for: tuple[str, ...] = ()

    def __str__(self) -> str:
        parts = [f"{self.phase.value} [{self.done}/{self.total}]", self.kind.value]
        if self.slot is not None:
            parts.append(f"slot {self.slot}")
        if self.instance_id is not None:
            parts.append(self.instance_id)
        if self.waiting_for:
            parts.append(f"for {' or '.join(self.waiting_for)}")
        if self.instance_type_name is not None:
            parts.append(self.instance_type_name)
        if self.region is not None:
            parts.append(f"in {self.region}")
        if self.status is not None and self.status.value != self.kind.value:
            parts.append(f"({self.status.value})")
        if self.error is not None:
            parts.append(f"- {type(self.error).__name__}: {self.error}")
        return " ".join(parts)


#: Called with each event; a coroutine function is awaited.
ProgressCallback = Callable[[ProgressEvent], object]


class Progress:
    """Delivers events to the caller's callback, if any.

    A failing callback (a progress bar's bug, say) is logged and otherwise ignored: stopping a
    bulk operation halfway would leave instances nobody accounted for.
    """

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = check_callback(callback, "on_progress")

    async def emit(self, event: ProgressEvent) -> None:
        """Hand ``event`` to the callback, awaiting it if it returns an awaitable."""
        if self._callback is None:
            return
        try:
            result = self._callback(event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("on_progress callback failed on %s", event)
