"""``make demo``: a fleet's life on the embedded emulator, in well under a minute.

Starts a time-compressed emulator, launches twenty ``gpu_1x_a10`` instances across regions
(no region has room for all of them, so launches fall back from region to region), waits until
they are active, lists them, renames and restarts one, terminates them all, and sums up::

    python -m lambda_cloud.demo [--count 20] [--time-scale 0.02]

Rate limits (1 request/s, a launch every 12 s) are compressed with the emulator's clock and
enforced on both sides, so the demo paces itself exactly as a real run would, only faster.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import secrets
import sys
import time
from collections.abc import Sequence

from . import AsyncLambdaCloud, Instance, InsufficientCapacityError
from .bulk import DEFAULT_SETTLE_TIMEOUT, ProgressEvent, ProgressKind
from .emulator import Emulator

__all__ = ["main", "run"]

INSTANCE_TYPE = "gpu_1x_a10"
KEY_NAME = "demo-key"
# Emulated seconds (before compression): a boot takes 90 s, a restart 30 s.
BOOT, RESTART, TERMINATE = 90.0, 30.0, 10.0
POLL = 2.0  # emulated seconds between two polls

_SHOWN = {
    ProgressKind.LAUNCHED: "launched",
    ProgressKind.ACTIVE: "active",
    ProgressKind.FAILED: "FAILED",
    ProgressKind.TERMINATED: "terminated",
}


class _Printer:
    """Plain-text progress: one line per instance milestone, one per region fallback."""

    def __init__(self, started: float) -> None:
        self._started = started
        self._full: set[str] = set()

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind is ProgressKind.RETRYING:
            region = event.region or "?"
            if isinstance(event.error, InsufficientCapacityError) and region not in self._full:
                self._full.add(region)
                self._line(f"{region} is full: falling back to the next region")
            return
        label = _SHOWN.get(event.kind)
        if label is None:
            return
        where = f" in {event.region}" if event.region else ""
        what = event.instance_id[:8] if event.instance_id else f"slot {event.slot}"
        error = f" ({event.error})" if event.error else ""
        self._line(f"[{event.done:>2}/{event.total}] {label:<10} {what}{where}{error}")

    def _line(self, text: str) -> None:
        print(f"  {time.monotonic() - self._started:6.2f}s  {text}", flush=True)


def _table(instances: Sequence[Instance]) -> str:
    rows = [("ID", "NAME", "REGION", "STATUS", "IP")]
    rows += [
        (i.id[:8], i.name or "-", i.region.name, i.status.value, i.ip or "-") for i in instances
    ]
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = ("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join("  " + line.rstrip() for line in lines)


async def run(count: int = 20, time_scale: float = 0.02) -> int:
    """Run the demo; return the process exit status."""
    started = time.monotonic()
    emulator = Emulator(
        time_scale=time_scale,
        boot_delay=BOOT,
        restart_delay=RESTART,
        terminate_delay=TERMINATE,
        enforce_rate_limits=True,
        seed=2025,
    )
    poll = POLL * time_scale
    async with (
        emulator as emu,
        AsyncLambdaCloud(
            api_key=emu.api_key, base_url=emu.base_url, rate_limits=emu.rate_limits
        ) as client,
    ):
        print(f"Emulator at {emu.base_url} (time x{1 / time_scale:g}, rate limits enforced)")
        await client.ssh_keys.create(name=KEY_NAME)
        types = await client.instance_types.list()
        print(f"{INSTANCE_TYPE} has capacity in: {', '.join(types[INSTANCE_TYPE].region_names)}")

        run_id = f"demo-{secrets.token_hex(4)}"  # chosen first, so a crash can be cleaned up
        print(f"\nLaunching {count} x {INSTANCE_TYPE} and waiting until they are active ...")
        print(f"(run {run_id}: after a crash, instances.reclaim({run_id!r}) terminates them)")
        printer = _Printer(started)
        report = await client.instances.launch_many(
            count,
            instance_type_name=INSTANCE_TYPE,
            ssh_key_names=[KEY_NAME],
            name_prefix="demo",
            tags={"project": "demo"},
            run_id=run_id,
            wait=True,
            poll_interval=poll,
            settle_timeout=DEFAULT_SETTLE_TIMEOUT * time_scale,
            on_progress=printer,
        )
        report.raise_for_errors()
        print("\nOur instances:")
        listed = {i.id: i for i in await client.instances.list()}
        print(_table([listed[i] for i in report.ids]))  # in slot order

        first = report.instances[0]
        renamed = await client.instances.update(first.id, name="demo-renamed")
        print(f"\nRenamed {first.id[:8]} from {first.name} to {renamed.name}; restarting it ...")
        await client.instances.restart([first.id])
        (restarted,) = await client.instances.wait_for([first.id], poll_interval=poll)
        print(f"  {restarted.id[:8]} is {restarted.status.value} again")

        print(f"\nTerminating all {len(report.ids)} ...")
        terminated = await client.instances.terminate_many(
            report.ids, wait=True, poll_interval=poll, on_progress=printer
        )
        terminated.raise_for_errors()
        left = [i for i in emu.instances() if i["status"] not in ("terminated", "preempted")]

    elapsed = time.monotonic() - started
    regions = ", ".join(f"{r}: {n}" for r, n in sorted(report.region_counts.items()))
    outcomes = collections.Counter(o.value for o in terminated.outcomes.values())
    print("\nSummary")
    print(f"  launched     {len(report.instances)}/{count} ({regions})")
    print(f"  terminated   {dict(outcomes)}; still running: {len(left)}")
    print(f"  server 429s  {emu.rate_limited_count}")
    print(
        f"  wall time    {elapsed:.1f} s (about {elapsed / time_scale / 60:.0f} minutes "
        "of API time at the real rate limits)"
    )
    return 0 if not left else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m lambda_cloud.demo", description=__doc__)
    parser.add_argument("--count", type=int, default=20, help="instances to launch (20)")
    parser.add_argument(
        "--time-scale", type=float, default=0.02, help="emulated second in real seconds (0.02)"
    )
    args = parser.parse_args(argv)
    return asyncio.run(run(args.count, args.time_scale))


if __name__ == "__main__":
    sys.exit(main())
