"""Fault injection: make chosen requests fail the way real networks and servers do."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable, Iterator
from typing import Literal, get_args

import attrs

__all__ = ["FAULT_KINDS", "Fault", "FaultKind", "FaultSet"]

FaultKind = Literal[
    "status",
    "reset_before_commit",
    "reset_after_commit",
    "timeout_after_commit",
    "delay",
    "late_commit",
    "malformed_body",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)


@attrs.define(kw_only=True, eq=False)
class Fault:
    """One fault rule. Faults compare by identity, so ``FaultSet.remove`` takes the very one.

    ``kind``:

    - ``status``: answer ``status`` (default 503) with an error envelope; nothing happens.
    - ``reset_before_commit``: drop the connection; nothing happens.
    - ``reset_after_commit``: do the operation, then drop the connection unanswered.
    - ``timeout_after_commit``: do the operation, then hold the answer for ``delay`` seconds,
      or, when ``delay`` is 0, until the client hangs up or the emulator stops.
    - ``delay``: wait ``delay`` seconds, then handle the request normally.
    - ``late_commit``: hold the request ``delay`` seconds, then do the operation even if the
      client has hung up meanwhile (and answer, if it is still there). A server still working
      on a request its client gave up on.
    - ``malformed_body``: do the operation, then answer with a truncated JSON body.

    ``method`` (``None`` = any) and ``path`` (an ``fnmatch`` pattern relative to ``/api/v1``,
    ``None`` = any) choose the requests; ``probability`` is rolled on the emulator's seeded RNG;
    after ``times`` firings the fault stops matching. ``fired`` counts firings. Durations
    (``delay``, ``retry_after``) are multiplied by the emulator's ``time_scale``.
    """

    kind: FaultKind = attrs.field(validator=attrs.validators.in_(FAULT_KINDS))
    method: str | None = None
    path: str | None = None
    probability: float = attrs.field(default=1.0, validator=[attrs.validators.ge(0.0)])
    times: int | None = None
    status: int | None = None
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    delay: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to ``method path`` and has firings left."""
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)


class FaultSet:
    """The ordered fault rules of one emulator; safe to change from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Append ``fault`` (checked after those added before it); return it."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        """Remove this very fault; ValueError if it is not in the set."""
        with self._lock:
            for i, candidate in enumerate(self._faults):
                if candidate is fault:
                    del self._faults[i]
                    return
        raise ValueError("fault is not in this set")

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)

    def pick(self, method: str, path: str, roll: Callable[[], float]) -> Fault | None:
        """The first matching fault that fires for this request (counting the firing)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                # A certain fault does not roll, so adding one leaves the RNG sequence alone.
                if fault.probability >= 1.0 or (
                    fault.probability > 0.0 and roll() < fault.probability
                ):
                    fault.fired += 1
                    return fault
            return None
