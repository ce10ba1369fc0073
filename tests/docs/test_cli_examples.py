"""The command-line transcripts in docs/cli.md marked ``<!-- example: replay -->`` are what the
CLI prints today.

The marked blocks are replayed in page order, in-process (click's runner: stdout is not a
terminal, and stdout and stderr come out interleaved as on a screen), against one emulator
seeded as the page's was, so ids and IPs come out the same, and named ``lambda-cloud`` as
installed (usage lines name it). A ``[y/N]: y`` in the output is answered ``y``; ``(exit N)`` is
the expected status. Blank lines separate steps, so the output's own are not compared;
``waiting ... status`` lines are left out of the comparison too: whether a poll catches an
instance mid-transition depends on timing.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambda_cloud.cli import cli
from lambda_cloud.emulator import Emulator

from .examples import ROOT, Example, examples_in

PAGE = ROOT / "docs" / "cli.md"
#: A transcript's command lines; ``| cat`` only chose plain output, as click's runner does.
COMMAND = re.compile(r"^\$ lambda-cloud (?P<args>.*?)(?: 2>&1)?(?: \| cat)?$")
EXIT = re.compile(r"^\(exit (?P<status>\d+)\)$")
TIMING = re.compile(r"^waiting \[\d+/\d+\] status ")
KEY_FILE = "~/.ssh/id_ed25519.pub"


def _transcripts() -> list[Example]:
    return [example for example in examples_in(PAGE) if "replay" in example.markers]


def _steps(example: Example) -> list[tuple[str, list[str]]]:
    """A transcript's ``(command, output lines)`` pairs; blank lines separate them."""
    steps: list[tuple[str, list[str]]] = []
    for line in example.source.splitlines():
        if COMMAND.match(line):
            steps.append((line, []))
        elif line and steps:
            steps[-1][1].append(line)
    return steps


def _comparable(lines: list[str]) -> list[str]:
    return [line for line in lines if line and not TIMING.match(line)]


def test_the_page_has_transcripts_to_replay() -> None:
    transcripts = _transcripts()
    assert len(transcripts) >= 4
    assert all(_steps(example) for example in transcripts)


def test_the_marked_transcripts_are_what_the_cli_prints(tmp_path: Path) -> None:
    steps = [step for example in _transcripts() for step in _steps(example)]
    # Terminated instances leave the list at once: a wait for `terminated` then sees an instance
    # either still terminating (a `status` line, left out) or gone (`terminated ID`, as the page
    # shows), never listed as terminated (`terminated ID in REGION`), which only a poll landing
    # between the terminate's end and the retention's (5 and 55 ms after it at this time_scale,
    # a real-time window) would see. Whether one does depends on how busy the machine is.
    with Emulator(time_scale=0.01, seed=1, terminated_retention=0) as emu:
        env = {
            "LAMBDA_API_KEY": emu.api_key,
            "LAMBDA_BASE_URL": emu.base_url,
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        }
        for command, expected in steps:
            match = COMMAND.match(command)
            assert match is not None
            args = shlex.split(match["args"])
            if KEY_FILE in args:  # the page's key, from its output, in a file of our own
                key = tmp_path / "id.pub"
                key.write_text(next(e for e in expected if e.startswith("PUBLIC KEY\t"))[11:])
                args[args.index(KEY_FILE)] = str(key)
            status = EXIT.match(expected[-1]) if expected else None
            answer = "y\n" if any(line.endswith("[y/N]: y") for line in expected) else None
            result = CliRunner().invoke(cli, args, env=env, input=answer, prog_name="lambda-cloud")
            shown = expected[:-1] if status else expected
            assert _comparable(result.output.splitlines()) == _comparable(shown), command
            assert result.exit_code == (int(status["status"]) if status else 0), command


@pytest.mark.parametrize("example", _transcripts(), ids=lambda e: e.id)
def test_transcripts_show_only_commands_and_output(example: Example) -> None:
    first = example.source.splitlines()[0]
    assert COMMAND.match(first), first
