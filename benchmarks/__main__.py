"""``make bench``: run every ``benchmarks/bench_*.py`` in turn, each in its own interpreter,
then write their results into docs/performance.md (``benchmarks.report``).

Extra arguments are passed to every script. The exit status is non-zero if any script failed
(or reported a missed target); the table is written either way, misses marked.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys


def main(argv: list[str]) -> int:
    here = pathlib.Path(__file__).resolve().parent
    scripts = sorted(here.glob("bench_*.py"))
    if not scripts:
        print("no benchmarks found", file=sys.stderr)
        return 1
    failed: list[str] = []
    for script in scripts:
        name = f"{here.name}.{script.stem}"
        print(f"== {name}", flush=True)
        result = subprocess.run([sys.executable, "-m", name, *argv], cwd=here.parent, check=False)
        if result.returncode != 0:
            failed.append(f"{name} (exit {result.returncode})")
        print(flush=True)
    subprocess.run([sys.executable, "-m", f"{here.name}.report"], cwd=here.parent, check=True)
    if failed:
        print("failed or below target: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
