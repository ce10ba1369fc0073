"""The benchmark scripts are not run by the suite (speed goals live in ``benchmarks/``), but they
must keep importing: a renamed helper once broke ``make bench`` without any test noticing."""

from __future__ import annotations

import importlib
import pathlib

import pytest

# The contender driver runs in the contender's own venv, where its client is installed.
ELSEWHERE = {"__main__", "_contender_driver"}
SCRIPTS = sorted(
    path.stem
    for path in (pathlib.Path(__file__).resolve().parents[2] / "benchmarks").glob("*.py")
    if path.stem not in ELSEWHERE
)


@pytest.mark.parametrize("name", SCRIPTS)
def test_benchmark_module_imports(name: str) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    if name.startswith("bench_"):
        assert callable(module.main)
