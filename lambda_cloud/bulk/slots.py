"""The slots of a bulk launch: each one an explicit state machine, counted as it moves.

Every transition goes through ``Slots.move``, which refuses the ones the table does not allow
and keeps count of the settled slots, so a progress event costs O(1) however many there are.
"""

from __future__ import annotations

import enum
import re

import attrs

from ..errors import ValidationError
from .reports import LaunchedInstance

__all__ = ["RUN_ID_PATTERN", "Slot", "SlotState", "Slots", "check_run_id", "parse_token", "token"]

#: A run id: letters, digits and ``-``, 1 to 32 characters (it becomes part of a tag value).
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9-]{1,32}")


def check_run_id(run_id: object) -> str:
    """A valid run id, else ``ValidationError``."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.fullmatch(run_id):
        raise ValidationError("run_id", f"expected 1 to 32 letters, digits or '-', got {run_id!r}")
    return run_id


def token(run_id: str, index: int) -> str:
    """The launch-token tag value of slot ``index`` of run ``run_id``."""
    return f"{run_id}/{index}"


def parse_token(value: str | None) -> tuple[str, int] | None:
    """``(run_id, slot)`` from a launch-token tag value; ``None`` if it is not one."""
    run_id, slash, index = (value or "").rpartition("/")
    if not slash or not index.isdigit() or not RUN_ID_PATTERN.fullmatch(run_id):
        return None
    return run_id, int(index)


class SlotState(enum.Enum):
    """Where a slot stands."""

    #: Waiting for its (next) launch.
    PENDING = "pending"
    #: A launch request is on its way.
    SENDING = "sending"
    #: A launch may or may not have created an instance; the instance list will tell.
    UNKNOWN = "unknown"
    #: The launch answered with the instance's id.
    CONFIRMED = "confirmed"
    #: The instance list showed an instance carrying the slot's token.
    ADOPTED = "adopted"
    #: Given up (``Slot.error`` says why).
    FAILED = "failed"
    #: The run was cancelled before the slot was filled.
    CANCELLED = "cancelled"


_S = SlotState
#: The allowed transitions. A failed or cancelled slot may still be adopted: a launch that
#: seemed lost can turn up in the instance list later, and then it is the slot's. A filled slot
#: adopts another instance when the keeper rule prefers it (another run of the same ``run_id``
#: launched that slot first, or the slot's instance ended while another one lives).
_NEXT: dict[SlotState, frozenset[SlotState]] = {
    _S.PENDING: frozenset({_S.SENDING, _S.ADOPTED, _S.FAILED, _S.CANCELLED}),
    _S.SENDING: frozenset({_S.PENDING, _S.UNKNOWN, _S.CONFIRMED, _S.FAILED}),
    _S.UNKNOWN: frozenset({_S.PENDING, _S.ADOPTED, _S.FAILED}),
    _S.CONFIRMED: frozenset({_S.ADOPTED}),
    _S.ADOPTED: frozenset({_S.ADOPTED}),
    _S.FAILED: frozenset({_S.ADOPTED}),
    _S.CANCELLED: frozenset({_S.ADOPTED}),
}
FILLED = frozenset({_S.CONFIRMED, _S.ADOPTED})
#: States that end the slot's part of the launching phase.
SETTLED = FILLED | {_S.FAILED, _S.CANCELLED}


@attrs.define(eq=False)
class Slot:
    """One requested instance."""

    index: int
    token: str
    name: str | None
    hostname: str | None
    state: SlotState = SlotState.PENDING
    instance: LaunchedInstance | None = None
    error: Exception | None = None
    #: The failure that made the outcome of its latest launch unknown, while it is.
    unknown_cause: Exception | None = None
    #: ``_clock.monotonic()`` when the outcome of its latest launch became unknown: the settle
    #: horizon counts from there, not from the send, so a request timeout does not eat it.
    unknown_at: float = 0.0
    #: The launch-time tag values of every launch this run sent for the slot: an instance
    #: carrying one of them is this run's own, not another run's.
    stamps: list[str] = attrs.Factory(list)
    #: ``launch_order`` of ``instance`` (``None`` while the slot is empty).
    order: tuple[bool, str, str] | None = None
    #: A launch of unknown outcome was given up as absent: it could still land.
    maybe_landing: bool = False
    regions_tried: list[str] = attrs.Factory(list)
    #: Launches that failed in a way worth retrying only a few times.
    failures: int = 0


class Slots:
    """Every slot of a run: how many are settled, and which are of unknown outcome."""

    def __init__(self, slots: list[Slot]) -> None:
        self.all = slots
        #: Slots whose launch outcome is unknown, in the order they became so.
        self.unknown: dict[int, Slot] = {}
        self.settled = 0

    def __len__(self) -> int:
        return len(self.all)

    def move(self, slot: Slot, to: SlotState, *, error: Exception | None = None) -> None:
        """Move ``slot`` to state ``to``; ``error`` records why it failed."""
        if to not in _NEXT[slot.state]:
            raise AssertionError(f"slot {slot.index}: no transition {slot.state} -> {to}")
        self.settled += (to in SETTLED) - (slot.state in SETTLED)
        slot.state = to
        if to is SlotState.UNKNOWN:
            self.unknown[slot.index] = slot
        else:
            self.unknown.pop(slot.index, None)
        if error is not None:
            slot.error = error
        elif to in FILLED:
            slot.error = None
