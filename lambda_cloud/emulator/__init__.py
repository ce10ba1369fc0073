"""A local, stateful emulator of the Lambda Cloud API, for tests and demos.

It is written from the OpenAPI spec and shares no code with the client, so the client's tests
can trust it as an independent oracle::

    from lambda_cloud.emulator import Emulator, Fault

    with Emulator(time_scale=0.01) as emu:
        emu.faults.add(Fault(kind="status", status=503, path="/instances", times=1))
        ...  # point a client at emu.base_url with emu.api_key

See docs/emulator.md for every knob.
"""

from __future__ import annotations

from .clock import ManualClock
from .faults import Fault, FaultKind, FaultSet
from .launch import LaunchAttempt
from .model import Account
from .server import Emulator

__all__ = [
    "Account",
    "Emulator",
    "Fault",
    "FaultKind",
    "FaultSet",
    "LaunchAttempt",
    "ManualClock",
]
