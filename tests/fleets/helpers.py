"""Helpers for the fleet tests: fleets to apply, and the truth read from the emulator."""

from __future__ import annotations

import collections
from typing import Any

from lambda_cloud.bulk import LAUNCH_TOKEN_TAG
from lambda_cloud.emulator import Emulator
from lambda_cloud.fleets import Fleet

from ..bulk.helpers import A10, KEY

ENDED = ("terminating", "terminated", "preempted")


def fleet(name: str = "web", count: int = 3, **fields: Any) -> Fleet:
    """A fleet of A10s with the tests' SSH key."""
    fields.setdefault("instance_type_names", [A10])
    return Fleet(name=name, count=count, ssh_key_names=[KEY], **fields)


def _token(instance: dict[str, Any]) -> str | None:
    return next(
        (t["value"] for t in instance.get("tags") or () if t["key"] == LAUNCH_TOKEN_TAG), None
    )


def live_slots(emu: Emulator, name: str = "web") -> dict[int, list[str]]:
    """Fleet ``name``'s live instances in the emulator, by slot (ids in launch order)."""
    found: dict[int, list[str]] = collections.defaultdict(list)
    for instance in emu.instances():
        token = _token(instance)
        if token and token.startswith(f"fleet-{name}/") and instance["status"] not in ENDED:
            found[int(token.rpartition("/")[2])].append(instance["id"])
    return dict(found)


def check_converged(emu: Emulator, count: int, name: str = "web") -> dict[int, str]:
    """Exactly one live instance in each of slots ``0..count-1`` and none elsewhere; the ids."""
    slots = live_slots(emu, name)
    assert sorted(slots) == list(range(count)), f"live slots {sorted(slots)}, want {count}"
    assert all(len(ids) == 1 for ids in slots.values()), f"a slot has two: {slots}"
    return {slot: ids[0] for slot, ids in slots.items()}


#: Requests that change nothing.
def only_reads(requests: list[str]) -> bool:
    return all(r.startswith("GET ") for r in requests)
