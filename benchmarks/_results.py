"""Each benchmark's figures as JSON in ``benchmarks/results/<name>.json``, with the machine.

A figure is one ratio measured in one run (the contenders interleaved, medians of rounds), its
target and whether it was met, plus the absolute numbers behind it as plain text.
"""

from __future__ import annotations

import datetime
import os
import pathlib
import platform
import sys
from typing import Any

import attrs
import orjson

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


@attrs.frozen(kw_only=True)
class Figure:
    """One row of the table: ``value`` (a ratio) against ``target`` (``">= 0.75"``, or ``""``
    for a figure reported without one)."""

    scenario: str
    measure: str
    value: float
    target: str
    detail: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the target was met; ``None`` without a target."""
        if not self.target:
            return None
        sense, bound = self.target.split()
        return self.value >= float(bound) if sense == ">=" else self.value <= float(bound)


def machine() -> dict[str, Any]:
    """Where and when: the load average is read as the benchmark finishes."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def record(bench: str, figures: list[Figure]) -> pathlib.Path:
    """Write ``benchmarks/results/<bench>.json`` and return its path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{bench}.json"
    data = {
        "bench": bench,
        "argv": sys.argv[1:],
        "machine": machine(),
        "figures": [{**attrs.asdict(f), "met": f.met} for f in figures],
    }
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    return path
