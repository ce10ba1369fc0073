"""The command line's start-up, each run in a fresh interpreter against ``import aiohttp``:

- ``lambda-cloud --help`` (target <= 1.0);
- ``lambda-cloud --output json instances list`` against an emulator in its own process
  (``python -m lambda_cloud.emulator``; its CPU is not counted), which loads the sync facade and
  a resource and makes one request (target <= 1.5).

The command runs as ``python -m lambda_cloud``, what the ``lambda-cloud`` script calls, with
the package's bytecode compiled first as a wheel install compiles it. Runs alternate, so machine
noise hits all alike; figures are medians.

    python -m benchmarks.bench_cli_startup [--runs N]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import lambda_cloud

from ._results import Figure, record

HELP_TARGET, LIST_TARGET = 1.0, 1.5


@contextmanager
def emulator() -> Iterator[dict[str, str]]:
    """An emulator process on a free port; yields the environment that points the CLI at it."""
    server = subprocess.Popen(
        [sys.executable, "-m", "lambda_cloud.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        found = dict(server.stdout.readline().split(":", 1) for _ in range(2))
        yield {
            **os.environ,
            "LAMBDA_BASE_URL": found["base_url"].strip(),
            "LAMBDA_API_KEY": found["api_key"].strip(),
            "XDG_CONFIG_HOME": "/nonexistent",  # no profile file in the way
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure(runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median seconds of each command in a fresh interpreter, interleaved."""
    cli = [sys.executable, "-m", "lambda_cloud"]
    commands = {
        "aiohttp": [sys.executable, "-c", "import aiohttp"],
        "help": [*cli, "--help"],
        "list": [*cli, "--output", "json", "instances", "list"],
    }

    def once(argv: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started

    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(once(argv))
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="fresh interpreters per command")
    args = parser.parse_args(argv)

    compileall.compile_dir(Path(lambda_cloud.__file__).parent, quiet=1)
    with emulator() as env:
        seconds = measure(args.runs, env)
    aiohttp_ms = seconds["aiohttp"] * 1e3
    figures = [
        Figure(
            scenario="lambda-cloud --help, fresh interpreter",
            measure="that / import aiohttp",
            value=seconds["help"] / seconds["aiohttp"],
            target=f"<= {HELP_TARGET}",
            detail=f"aiohttp {aiohttp_ms:.0f} ms, --help {seconds['help'] * 1e3:.0f} ms",
        ),
        Figure(
            scenario="lambda-cloud --output json instances list, emulator in its own process",
            measure="that / import aiohttp",
            value=seconds["list"] / seconds["aiohttp"],
            target=f"<= {LIST_TARGET}",
            detail=f"aiohttp {aiohttp_ms:.0f} ms, instances list {seconds['list'] * 1e3:.0f} ms",
        ),
    ]
    record("bench_cli_startup", figures)
    print(f"bench_cli_startup: medians of {args.runs} runs each")
    for figure in figures:
        verdict = {True: "ok", False: "MISSED", None: "no target"}[figure.met]
        print(f"  {figure.scenario[:50]:50s}: {figure.value:5.2f}  ({figure.target}: {verdict})")
        print(f"    {figure.detail}")
    return 0 if all(f.met is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
