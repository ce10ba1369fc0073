"""Live progress of a bulk operation, driven by its ``ProgressEvent`` callbacks.

The sync facade runs the callback in the command's own thread, so the display needs no locking.
On a terminal it is a rich progress bar; otherwise one plain line per event on stderr. A
capacity hunt's polls show as what it waits for (said once while nothing changes, in plain
output) and where it found capacity, not as counts.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import lambda_cloud

from .output import Output, clean

if TYPE_CHECKING:
    from rich.progress import Progress

    from lambda_cloud import ProgressEvent

__all__ = ["Step", "Tracker", "read", "track"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Step:
    """What the display shows of one event."""

    kind: str
    phase: str
    done: int
    total: int
    line: str
    #: What a capacity hunt is doing, for its events (``None`` for the others).
    hunt: str | None = None


def read(event: ProgressEvent) -> Step:
    """The one place the CLI reads a ``ProgressEvent``'s fields."""
    hunt = _hunt(event)
    counts = f"{event.phase.value} [{event.done}/{event.total}]"
    return Step(
        kind=event.kind.value,
        phase=event.phase.value,
        done=event.done,
        total=event.total,
        line=str(event) if hunt is None else f"{counts} {hunt}",
        hunt=hunt,
    )


def _hunt(event: ProgressEvent) -> str | None:
    if event.kind is lambda_cloud.ProgressKind.WAITING_FOR_CAPACITY:
        return f"waiting for capacity: {' or '.join(event.waiting_for)}"
    if event.kind is lambda_cloud.ProgressKind.CAPACITY_FOUND:
        return f"capacity found: {event.instance_type_name} in {event.region}"
    return None


class Tracker:
    """Counts events by kind and keeps the display current; the ``on_progress`` callback."""

    def __init__(self, output: Output, progress: Progress | None) -> None:
        self.output = output
        self.counts: collections.Counter[str] = collections.Counter()
        self._progress = progress
        self._task = progress.add_task("starting", total=None) if progress else None
        self._hunt: str | None = None  # the latest hunt event's note

    def __call__(self, event: ProgressEvent) -> None:
        step = read(event)
        repeated = step.hunt is not None and step.hunt == self._hunt
        if step.hunt is None:
            self.counts[step.kind] += 1
        else:
            self._hunt = step.hunt
        if self._progress is None or self._task is None:
            if not repeated:  # a hunt's polls finding nothing new say nothing new
                self.output.message(step.line)
            return
        self._progress.update(
            self._task,
            description=clean(self._describe(step)),  # it may quote the server
            completed=step.done,
            total=step.total,
            refresh=True,  # a frame per event, not only at the timer's next tick
        )

    def _describe(self, step: Step) -> str:
        shown = ", ".join(f"{kind} {n}" for kind, n in sorted(self.counts.items()))
        hunt = f"({self._hunt})" if self._hunt and step.phase == "launching" else ""
        return " ".join(filter(None, [f"{step.phase:<11}", shown, hunt]))


@contextmanager
def track(output: Output) -> Iterator[Tracker]:
    """A tracker whose display lasts as long as the ``with`` block."""
    if not output.live:
        yield Tracker(output, None)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=output.err,
        transient=False,
    )
    with progress:
        yield Tracker(output, progress)
