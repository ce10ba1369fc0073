"""Three Ctrl-C during a bulk launch's cleanup, sent to a process launching against an emulator
(issue 17: the third used to abandon every instance). Each press waits for the state it is
meant for, read from the emulator or the process's own output, never for time to pass.

- ``hold_listings(emu)``: let the run's first instance list through (a rerun's look for earlier
  instances) and hold every later one for ten real minutes: the run's final listing, then its
  cleanup's. Returns the holding fault.
- ``press_ctrl_c_thrice(process, held)``: press once the final listing is held (every launch
  has been answered), again once the cleanup's is, and a third time once the launch says it
  hurried; returns what the process wrote to stderr meanwhile.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

from lambda_cloud.emulator import Emulator, Fault

__all__ = ["hold_listings", "press_ctrl_c_thrice"]


def hold_listings(emu: Emulator) -> Fault:
    emu.faults.add(Fault(kind="delay", delay=0.0, method="GET", path="/instances", times=1))
    hold = 600.0 / emu.time_scale
    return emu.faults.add(Fault(kind="delay", delay=hold, method="GET", path="/instances"))


def press_ctrl_c_thrice(process: subprocess.Popen[str], held: Fault) -> str:
    assert process.stderr is not None
    _until(lambda: held.fired == 1, "the run's final listing")
    process.send_signal(signal.SIGINT)
    _until(lambda: held.fired == 2, "the cleanup's listing")
    process.send_signal(signal.SIGINT)
    seen = ""
    while "cancelled again" not in seen:  # the launch's own word that it hurried
        line = process.stderr.readline()
        assert line, f"the process ended before its cleanup hurried: {seen}"
        seen += line
    process.send_signal(signal.SIGINT)
    return seen


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60  # a broken run fails instead of hanging
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)
