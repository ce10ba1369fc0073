"""Every code example in README.md and docs/ runs, as a reader would run it.

Each ``python`` block is saved as a script and run in a fresh interpreter, in an empty working
directory, against an emulator this test starts. The emulator is reached the way a user points
the SDK anywhere: ``LAMBDA_API_KEY`` and ``LAMBDA_BASE_URL``, so the examples written for the
real API run unchanged. Examples that start their own ``Emulator`` simply ignore the variables.
A block that is deliberately a fragment carries ``<!-- example: fragment -->`` (see
``examples.py``) and is the only kind skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from lambda_cloud.emulator import Emulator

from .examples import MARKER_WORDS, Example, all_examples, markdown_files, stray_markers

EXAMPLES = all_examples()
RUNNABLE = [example for example in EXAMPLES if example.runs]
#: Names that exist only from Python 3.11, while the package supports 3.10.
PY311_ONLY = re.compile(
    r"asyncio\.timeout\b|asyncio\.TaskGroup|\bExceptionGroup\b|except\*|tomllib"
)
#: What an unclosed client or session, or a crash, leaves on stderr.
LEAKS = ("Unclosed", "ResourceWarning", "Traceback", "Exception ignored")
#: How long one example may run: a guard against a hang, not a speed goal. On a loaded machine
#: an example's interpreter start and imports alone take tens of seconds (30 s seen at load 10
#: on 2 cores); kept under pytest-timeout's 120 s so a hang fails with this limit's message.
SECONDS = 110
#: pytest plugins of this repository's dev environment that a reader's would not have: a pytest
#: example runs without them (they only add seconds to its start, more on a loaded machine).
DEV_ONLY_PLUGINS = ("schemathesis", "hypothesispytest")
#: Examples run at once.
WORKERS = 4


def test_the_docs_have_runnable_examples() -> None:
    assert len(RUNNABLE) >= 20, [example.id for example in RUNNABLE]


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.name)
def test_every_marker_marks_a_block(path: Path) -> None:
    assert stray_markers(path) == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_markers_are_known_and_examples_stay_on_python_3_10(example: Example) -> None:
    assert set(example.markers) <= set(MARKER_WORDS)
    if example.lang == "python":
        assert not PY311_ONLY.search(example.source)


def _environment(emulator: Emulator) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LAMBDA_")}
    env.update(LAMBDA_API_KEY=emulator.api_key, LAMBDA_BASE_URL=emulator.base_url)
    return env


def _run(example: Example, directory: Path) -> subprocess.CompletedProcess[str]:
    """Run one example in ``directory`` against an emulator of its own."""
    pytest_module = "pytest" in example.markers
    script = directory / ("test_example.py" if pytest_module else "example.py")
    script.write_text(example.source, encoding="utf-8")
    for name in example.files:
        (directory / name).write_bytes(b"made-up contents for the example\n")
    command = [sys.executable, "-W", "always::ResourceWarning", str(script)]
    if pytest_module:
        disabled = [f"-pno:{name}" for name in ("cacheprovider", *DEV_ONLY_PLUGINS)]
        command[-1:] = ["-m", "pytest", "-q", *disabled, script.name]
    with Emulator(time_scale=0.001) as emulator:
        return subprocess.run(
            command,
            cwd=directory,
            env=_environment(emulator),
            capture_output=True,
            text=True,
            timeout=SECONDS,
            check=False,
        )


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[subprocess.CompletedProcess[str]]]]:
    """The selected examples, started together a few at a time: most of an example's time is
    interpreter start-up and rate-limit waits, which overlap well."""
    selected = [
        item.callspec.params["example"]
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.originalname == "test_example_runs"
    ]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        yield {
            example.id: pool.submit(_run, example, tmp_path_factory.mktemp("example"))
            for example in selected
        }


@pytest.mark.parametrize("example", RUNNABLE, ids=lambda e: e.id)
def test_example_runs(example: Example, runs: dict[str, Future[Any]]) -> None:
    result = runs[example.id].result()
    assert result.returncode == 0, result.stdout + result.stderr
    if "pytest" in example.markers:
        passed = re.search(r"^\d+ passed(, \d+ warnings?)? in ", result.stdout, re.MULTILINE)
        assert passed, result.stdout
    if "stderr" in example.markers:
        assert not any(leak in result.stderr for leak in LEAKS), result.stderr
    else:
        assert result.stderr == ""
